"""The brief as a document: findings, figures, tables, methods, limits, assumptions and the
scenario, assembled from stored stage results and rendered to one self-contained HTML file.

Figures are embedded as SVG data URIs (no file beside the HTML, no network access needed to
view it); the stylesheet is inline. The template ships with the package
(``gridmodel/brief/templates/brief.html.j2``).
"""

from __future__ import annotations

import base64
import html
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import xarray as xr
from markupsafe import Markup

import gridmodel
from gridmodel import output
from gridmodel.brief.assumptions import Assumption, assumptions
from gridmodel.brief.figures import (
    CHAIN_STEM,
    chain_figure,
    chain_text,
    figure_rank,
    stage_figure_text,
)
from gridmodel.brief.findings import FINDINGS
from gridmodel.brief.methods import DOCS, LIMITS, METHODS, TITLES
from gridmodel.brief.numbers import Finding
from gridmodel.schema import Scenario
from gridmodel.study import INPUT_SECTIONS, STAGES

#: Key findings are listed with the household bill first, then down the chain.
FINDING_ORDER = ("bills", "stress", "events", "optimize", "profile", "headroom")
#: Errors that mean "this result lacks a group or variable" (a stage that stores less than the
#: brief knows how to read, or an older result): the part is reported as not available.
MISSING = (KeyError, AttributeError, IndexError)


@dataclass
class BriefFigure:
    number: int
    stage: str
    stem: str
    caption: str
    alt: str
    src: str  # data URI


@dataclass
class BriefTable:
    number: int
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class StageSection:
    stage: str
    title: str
    method: str
    docs: str
    docs_href: str | None
    status: str  # "ran", "reused", "failed", "not run"
    findings: list[Finding] = field(default_factory=list)
    figures: list[BriefFigure] = field(default_factory=list)
    tables: list[BriefTable] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)


@dataclass
class Brief:
    title: str
    question: str
    scenario: Scenario
    problems: list[Finding]
    warnings: list[Finding]
    findings: list[Finding]
    assumed: list[Finding]
    chain: BriefFigure | None
    sections: list[StageSection]
    assumptions: list[Assumption]
    limits: list[str]
    scenario_text: str
    scenario_file: str
    changes: dict
    scenario_hash: str
    version: str
    created: str
    timings: dict[str, float]

    @property
    def figures(self) -> list[BriefFigure]:
        return ([self.chain] if self.chain else []) + [f for s in self.sections for f in s.figures]


# ---------------------------------------------------------------------------------------------
# Parts


def question_of(text: str) -> str:
    """The first paragraph of the scenario file's opening comment (the question it answers)."""
    lines = []
    for line in text.splitlines():
        words = line.lstrip("#").strip()
        if not line.startswith("#") or (not words and lines):
            break
        if words:
            lines.append(words)
    return " ".join(lines)


def data_uri(path: Path) -> str:
    """A file as a data URI (SVG or PNG)."""
    mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def stage_figures(stage: str, tree: xr.DataTree, root: Path | None, scratch: Path) -> list[Path]:
    """SVG files of a stage's figures: those stored beside its result, else drawn now from
    the stored dataset into ``scratch``."""
    folder = None if root is None else Path(root) / stage / "figures"
    if folder is None or not any(folder.glob("*.svg")):
        folder = scratch / stage
        output.draw_figures(stage, tree, folder)
    return sorted(folder.glob("*.svg"), key=lambda p: figure_rank(stage, p.stem))


def fmt(value) -> str:
    """A table cell: numbers grouped and rounded to what a reader needs."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,d}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            return "\u2013"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,d}"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        return f"{v:.3g}"
    return str(value)


def _table(title: str, frame: pd.DataFrame) -> BriefTable:
    return BriefTable(
        0,
        title,
        [str(c) for c in frame.columns],
        [[fmt(v) for v in row] for row in frame.itertuples(index=False)],
    )


def key_tables(stage: str, tree: xr.DataTree) -> list[BriefTable]:
    """The tables of key numbers of a stage result (from the output module's tables)."""
    if stage == "bills":
        from gridmodel.rates.run import headline_table

        frame = headline_table(tree).rename(
            columns={
                "case": "case",
                "usd_per_month": "bill ($/month)",
                "change_usd_per_month": "change ($/month)",
                "npv_change_usd": "present value of change ($)",
            }
        )
        year = int(frame.year.iloc[0])
        return [_table(f"Typical household bill in {year}, by case", frame.drop(columns="year"))]
    tables = output.tables(stage, tree)
    if stage == "stress":
        out = [_table("Grid stress: summary", tables["summary"])]
        over = tables["overloads"]
        if len(over):
            top = over.head(10)  # the audit's order: new and worsened first, then by loading
            cols = [
                "from_name",
                "to_name",
                "rate_a_mva",
                "status",
                "hours_over_with_campus",
                "hours_over_without_campus",
                "worst_loading_percent_with_campus",
                "worst_loading_percent_without_campus",
                "worst_hour_with_campus",
            ]
            out.append(
                _table(
                    "Overloaded branches, those the campus causes or worsens first (up to 10; "
                    "all in stress/overloads.csv)",
                    top[[c for c in cols if c in top]],
                )
            )
        return out
    if stage == "events":
        return [_table("Grid events: summary", tables["events_summary"])]
    if stage == "optimize":
        costs = tables["costs"]
        pivot = (
            costs.pivot_table(index="component", columns="result", values="usd_per_yr", sort=False)
            / 1e6
        )
        pivot = pivot.loc[(pivot.abs() > 0.005).any(axis=1)].reset_index()
        return [_table("Annual cost by component (million $ a year)", pivot)]
    if stage == "profile":
        return [_table("Campus load against proposed limits", tables["compliance"])]
    if stage == "headroom":
        out = []
        if "headroom" in tables:
            out.append(_table("Curtailment-enabled headroom", tables["headroom"]))
        if "siting_frontier" in tables:
            frontier = tables["siting_frontier"].pivot_table(
                index=["criterion", "site"], columns="budget_percent",
                values="hosting_capacity_mw", sort=False,
            ).rename(columns=lambda b: "firm MW" if b == 0 else f"{b:g} % MW").reset_index()  # fmt: skip
            out.append(_table("Firm and flexible hosting capacity by site", frontier))
        return out
    return [_table(name.replace("_", " "), frame) for name, frame in tables.items()]


def _docs_href(doc: str) -> str | None:
    """A link to the document in this installation's source tree, where there is one."""
    path = Path(gridmodel.__file__).resolve().parents[1] / doc
    return path.as_uri() if path.is_file() else None


def finding_html(finding: Finding) -> Markup:
    """A finding's sentence with each number as ``<data value=... data-key=...>``."""
    numbers = {
        k: Markup('<data value="{v}" data-key="{key}" title="{src}">{text}</data>').format(
            v=repr(n.value), key=n.key, src=n.source, text=n.text
        )
        for k, n in finding.numbers.items()
    }
    return Markup(html.escape(finding.template)).format(**numbers)


# ---------------------------------------------------------------------------------------------
# The brief


def build_brief(
    scenario: Scenario,
    results: dict[str, xr.DataTree],
    plan: list[str],
    root: Path | None,
    scenario_text: str = "",
    scenario_file: str = "",
    changes: dict | None = None,
    failures: dict[str, str] | None = None,
    reused: list[str] | None = None,
    timings: dict[str, float] | None = None,
) -> Brief:
    """The brief of a run: ``results`` (stage → stored result) of the stages in ``plan``;
    ``failures`` (stage → why it has no result); ``root``: the folder holding the stage results
    and their figures (None: figures drawn from the datasets)."""
    failures = failures or {}
    reused = reused or []
    problems: list[Finding] = [
        Finding(
            stage, "failed", f"Stage {TITLES.get(stage, stage)} has no result: {why}", {}, "problem"
        )
        for stage, why in failures.items()
    ]
    findings: dict[str, list[Finding]] = {}
    sections = []
    number = 1
    table_number = 0
    with tempfile.TemporaryDirectory(prefix="gridmodel-brief-") as scratch:
        scratch = Path(scratch)
        chain = None
        if any(s in results for s in ("stress", "optimize", "bills", "profile")):
            chain_figure(results, scratch)
            text = chain_text(results)
            chain = BriefFigure(
                number,
                "chain",
                CHAIN_STEM,
                text.caption,
                text.alt,
                data_uri(scratch / f"{CHAIN_STEM}.svg"),
            )
            number += 1
        for stage in plan:
            status = (
                "failed"
                if stage in failures
                else "reused"
                if stage in reused
                else "ran"
                if stage in results
                else "not run"
            )
            section = StageSection(
                stage,
                TITLES.get(stage, stage),
                METHODS.get(stage, ""),
                DOCS.get(stage, ""),
                _docs_href(DOCS.get(stage, "")),
                status,
            )
            sections.append(section)
            tree = results.get(stage)
            if tree is None:
                section.unavailable.append(failures.get(stage, "no result"))
                continue
            for note in str(tree.attrs.get("partial", "")).splitlines():
                if note.strip():  # what the stage itself lists as not solved
                    problems.append(
                        Finding(
                            stage,
                            "partial",
                            f"Partial {stage} result: {note.strip()}",
                            {},
                            "problem",
                        )
                    )
            section.provenance = {
                k: str(tree.attrs.get(k, "")) for k in ("input_hash", "created", "scenario_hash")
            }
            try:
                section.findings = FINDINGS[stage](results)
            except MISSING as err:
                section.unavailable.append(
                    f"key findings: not available in this result ({type(err).__name__}: {err})"
                )
            findings[stage] = section.findings
            try:
                tables = key_tables(stage, tree)
            except MISSING as err:
                tables = []
                section.unavailable.append(
                    f"tables: not available in this result ({type(err).__name__}: {err})"
                )
            for t in tables:
                table_number += 1
                t.number = table_number
            section.tables = tables
            for path in stage_figures(stage, tree, root, scratch):
                try:
                    text = stage_figure_text(stage, path.stem, tree)
                except MISSING as err:
                    section.unavailable.append(
                        f"caption of {path.stem}: {type(err).__name__}: {err}"
                    )
                    continue
                section.figures.append(
                    BriefFigure(number, stage, path.stem, text.caption, text.alt, data_uri(path))
                )
                number += 1
    ordered = [f for stage in FINDING_ORDER for f in findings.get(stage, [])]
    problems += [f for f in ordered if f.level == "problem"]
    limits = [line for stage in plan for line in LIMITS.get(stage, [])]
    used = list(INPUT_SECTIONS)
    for stage in plan:
        used += [s for s in STAGES[stage].sections if s not in used]
    return Brief(
        title=scenario.name,
        question=question_of(scenario_text) or scenario.description,
        scenario=scenario,
        problems=problems,
        warnings=[f for f in ordered if f.level == "warning"],
        findings=[f for f in ordered if f.level == "finding"],
        assumed=[f for f in ordered if f.level == "assumption"],
        chain=chain,
        sections=sections,
        assumptions=assumptions(scenario, used),
        limits=limits,
        scenario_text=scenario_text,
        scenario_file=scenario_file,
        changes=changes or {},
        scenario_hash=scenario.digest(),
        version=gridmodel.__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        timings=timings or {},
    )


def render_html(brief: Brief) -> str:
    """The brief as one self-contained HTML document."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gridmodel.brief", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["finding"] = finding_html
    return env.get_template("brief.html.j2").render(brief=brief)
