"""``gridmodel brief``: run (or reuse) every stage a scenario asks for, then write the brief.

A stage that fails (an infeasible optimisation, a numerical failure, an input a stage refuses
once it runs) does not stop the brief: the stages that do not need it still run, and the brief
says prominently what is missing. The HTML and the PDF are built in a staging folder and moved
into place together, so a brief that fails leaves no half-written file (and an earlier brief
untouched).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gridmodel import output
from gridmodel.brief.browser import BrowserError, print_pdf
from gridmodel.brief.document import Brief, build_brief, render_html
from gridmodel.optimize.solver import InfeasibleError, NumericalError
from gridmodel.progress import Progress, no_progress
from gridmodel.resources import chromium_path
from gridmodel.schema import ScenarioError, load_scenario
from gridmodel.schema.loading import scenario_path
from gridmodel.study import STAGES, Study

HTML_NAME, PDF_NAME = output.BRIEF_FILES
#: Failures a brief reports instead of stopping on.
STAGE_FAILURES = (InfeasibleError, NumericalError, ScenarioError)


class UpstreamFailed(RuntimeError):
    """A stage not run because a stage it reads has no result."""


@dataclass
class BriefRun:
    """What ``gridmodel brief`` did: the files, the brief and the study behind it."""

    html: Path
    pdf: Path | None
    brief: Brief
    study: Study
    failures: dict[str, Exception] = field(default_factory=dict)
    pdf_note: str = ""
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.brief.problems

    def exit_code(self) -> int:
        """0 complete; 3 a stage infeasible; 2 a stage refused its input; 4 a numerical failure;
        5 a partial result (hours whose power flow did not converge, what a stage lists as not
        solved)."""
        if self.complete:
            return 0
        kinds = [type(e) for e in self.failures.values()]
        for kind, code in ((InfeasibleError, 3), (ScenarioError, 2), (NumericalError, 4)):
            if kind in kinds:
                return code
        return 5


def run_study(study: Study) -> tuple[dict, dict[str, Exception]]:
    """Every stage of the study's plan that can run: (results, failures by stage)."""
    results, failures = {}, {}
    for name in study.plan():
        missing = [up for up in STAGES[name].upstream(study.scenario) if up not in results]
        if missing:
            failures[name] = UpstreamFailed(
                f"not run: it needs {', '.join(missing)}, which has no result"
            )
            continue
        try:
            results[name] = study.run(name)
        except STAGE_FAILURES as err:
            failures[name] = err
    return results, failures


def _why(err: Exception) -> str:
    kind = {
        InfeasibleError: "infeasible",
        NumericalError: "numerical failure",
        ScenarioError: "input refused",
    }.get(type(err))
    return f"{kind}: {err}" if kind else str(err)


def write_brief(brief: Brief, out: Path, pdf: bool | None = None) -> tuple[Path, Path | None, str]:
    """Write ``brief.html`` (and ``brief.pdf`` by headless Chromium) into ``out`` together.

    ``pdf``: True = required (BrowserError without Chromium), None = when Chromium is found,
    False = HTML only. Returns (html, pdf or None, a note on the PDF). A PDF from an earlier
    brief that this one does not replace is removed, so the two never disagree.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = chromium_path() if pdf is not False else None
    note = ""
    if pdf is True and chromium is None:
        raise BrowserError(
            "--pdf needs Chromium (install Debian's `chromium` package or set "
            "GRIDMODEL_CHROMIUM); no brief written"
        )
    if pdf is None and chromium is None:
        note = (
            "PDF not written: Chromium not found (install Debian's `chromium` package or "
            "set GRIDMODEL_CHROMIUM; --no-pdf silences this)"
        )
    staging = Path(tempfile.mkdtemp(prefix=".brief.staging-", dir=out))
    try:
        html = staging / HTML_NAME
        html.write_text(render_html(brief), encoding="utf-8")
        if chromium is not None:
            print_pdf(html, staging / PDF_NAME, chromium)
        written_pdf = None
        for name in (HTML_NAME, PDF_NAME):
            if (staging / name).exists():
                os.chmod(staging / name, 0o644)
                os.replace(staging / name, out / name)
                written_pdf = out / name if name == PDF_NAME else written_pdf
        if written_pdf is None and (out / PDF_NAME).exists():
            (out / PDF_NAME).unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out / HTML_NAME, written_pdf, note


def make_brief(
    scenario: str | Path | None,
    out: str | Path,
    pdf: bool | None = None,
    changes: dict | None = None,
    progress: Progress = no_progress,
) -> BriefRun:
    """Run the scenario's stages into ``out`` (each reused when unchanged) and write its brief.

    A scenario that cannot be read or asks for no stage raises ScenarioError before anything
    runs or is written.
    """
    started = time.perf_counter()
    path = scenario_path(scenario)
    spec = load_scenario(path, changes)
    out = Path(out)
    study = Study(spec, cache=out if out.is_dir() else None, progress=progress)
    study.check_scenario()
    plan = study.plan()
    if not plan:
        raise ScenarioError(
            "the scenario asks for no stage: write one of its sections "
            "(profile, study, events, optimize, bills, headroom)"
        )
    study.preflight()
    with output.result_set(out, study.expected_bytes()) as staging:
        study.cache = staging
        for name in study.stale():
            output.remove_stage(staging, name)
        results, failures = run_study(study)
        reused = [name for name in results if name not in study.ran]
        brief = build_brief(
            spec,
            results,
            plan,
            root=staging,
            scenario_text=path.read_text(encoding="utf-8"),
            scenario_file=path.name,
            changes=changes,
            failures={name: _why(err) for name, err in failures.items()},
            reused=reused,
            timings=dict(study.timings),
        )
        _, written_pdf, note = write_brief(brief, staging, pdf)
        notes = [problem.text() for problem in brief.problems]
        status = "partial" if notes else "complete"
        output.write_manifest(staging, spec.name, spec.digest(), status, notes)
    pdf_path = out / PDF_NAME if written_pdf is not None else None
    return BriefRun(
        out / HTML_NAME, pdf_path, brief, study, failures, note, time.perf_counter() - started
    )
