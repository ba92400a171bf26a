"""Policy briefs: key findings filled from stored stage results, the chain figure, the stage
figures with captions, assumptions from the schema, one self-contained HTML file and its PDF.

``gridmodel brief`` calls :func:`gridmodel.brief.run.make_brief`; the method is in docs/brief.md.
"""
