"""Command line. Every command is parse → study → stage(s) → write, into ``--out DIR/<stage>/``.

Exit codes: 0 done; 2 invalid scenario or usage; 3 infeasible optimisation; 4 numerical failure;
5 a partial result (written whole, with what could not be solved listed: hours whose power flow
did not converge, outages that could not be screened, a stage of a brief that failed); 6 the brief
could not be written (its PDF failed).
"""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

import gridmodel
from gridmodel import output
from gridmodel.progress import rich_bar, rich_callback
from gridmodel.schema import ScenarioError, load_scenario

# Plain help (click's own layout): typer's rich help shows `<bool>` after every flag.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="AI campuses on regional power grids.",
)
data_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Data files gridmodel ships or fetches: list them, or fetch them before a run.",
)
app.add_typer(data_app, name="data")
console = Console()
log = logging.getLogger("gridmodel")

EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NUMERICAL, EXIT_PARTIAL, EXIT_BROWSER = (
    0,
    2,
    3,
    4,
    5,
    6,
)

ScenarioArg = Annotated[
    Path | None, typer.Argument(help="Scenario YAML (or a bundled name); the default if omitted.")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (one subfolder per stage).")]


def _version(value: bool) -> None:
    if value:
        console.print(f"gridmodel {gridmodel.__version__}")
        raise typer.Exit()


def _terminated(signum, frame) -> None:
    output.TERMINATED.set()
    raise SystemExit(128 + signum)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Errors only.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """AI campuses on regional power grids: load, grid stress, events, sizing, bills."""
    # a terminated run unwinds like an interrupted one: its staging folder is removed
    signal.signal(signal.SIGTERM, _terminated)
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    log.handlers[:] = [RichHandler(console=console, show_time=False, show_path=False)]
    log.setLevel(level)
    log.propagate = False


def _progress():
    return rich_bar(console, disable=log.getEffectiveLevel() > logging.INFO)


_progress_callback = rich_callback


def _fail(code: int, kind: str, err: Exception) -> typer.Exit:
    console.print(f"[bold red]{kind}:[/] {err}", highlight=False)
    return typer.Exit(code)


def run_stages(
    scenario: Path | None,
    out: Path,
    stages: list[str] | None,
    changes: dict | None = None,
    figures: bool = True,
):
    """Parse the scenario (``changes``: {dotted.field: value} from the command's options), run
    ``stages`` (None: every stage it asks for) into ``out``; a user error exits 2 with one line,
    an infeasible optimisation 3, a numerical failure 4."""
    from gridmodel.optimize.solver import InfeasibleError, NumericalError
    from gridmodel.study import Study

    started = time.perf_counter()
    try:
        spec = load_scenario(scenario, changes)
        output.check_out_folder(out)
        with _progress() as progress:
            study = Study(spec, cache=out, progress=_progress_callback(progress), figures=figures)
            study.check_scenario()
            if not study.plan(stages):
                raise ScenarioError(
                    "the scenario asks for no stage: write one of its sections "
                    "(profile, study, events, optimize, bills, headroom)"
                )
            study.cache = Path(out) if Path(out).is_dir() else None
            study.preflight(stages)
            with output.result_set(out, study.expected_bytes(stages)) as staging:
                study.cache = staging
                for name in study.stale():
                    output.remove_stage(staging, name)
                results = study.run_all(stages)
                notes = [
                    f"{name}: {note}"
                    for name, tree in results.items()
                    for note in str(tree.attrs.get("partial", "")).splitlines()
                    if note
                ]
                status = "partial" if notes else "complete"
                output.write_manifest(staging, spec.name, spec.digest(), status, notes)
    except ScenarioError as err:
        raise _fail(EXIT_INVALID, "error", err) from None
    except InfeasibleError as err:
        raise _fail(EXIT_INFEASIBLE, "infeasible", err) from None
    except NumericalError as err:
        raise _fail(EXIT_NUMERICAL, "numerical failure", err) from None
    reused = [s for s in results if s not in study.ran]
    for name, tree in results.items():
        _print_result(name, tree)
    note = f" ({', '.join(reused)} unchanged, reused)" if reused else ""
    console.print(
        f"{', '.join(results)} → {out}/ in {time.perf_counter() - started:.0f} s{note}",
        highlight=False,
    )
    if notes:
        for line in notes:
            console.print(f"[bold yellow]partial result:[/] {line}", highlight=False)
        raise typer.Exit(EXIT_PARTIAL)
    return study


def _table(title: str, frame, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, justify="left" if col in ("metric", "quantity", "case") else "right")
    for row in frame[columns].itertuples(index=False):
        table.add_row(*[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row])
    return table


def _print_result(stage: str, tree) -> None:
    name = tree.attrs.get("scenario", "")
    tables = output.tables(stage, tree)
    if stage == "stress":
        console.print(
            _table(f"Grid stress: {name}", tables["summary"], ["metric", "value", "unit"])
        )
    elif stage == "events":
        frame = tables["events_summary"]
        console.print(_table(f"Grid events: {name}", frame, ["quantity", "value", "unit"]))
    elif stage == "optimize":
        frame = tables["costs"]
        frame = frame[frame.usd_per_yr.abs() > 0.5].assign(musd_per_yr=frame.usd_per_yr / 1e6)
        console.print(_table(f"Annual cost: {name} ($/yr)", frame, ["result", "component", "musd_per_yr"]))  # fmt: skip
    elif stage == "bills":
        from gridmodel.rates.run import headline_table

        console.print(_table(f"Typical household: {name}", headline_table(tree), ["case", "usd_per_month", "change_usd_per_month", "npv_change_usd"]))  # fmt: skip
        cases = tree["cases"]
        a = cases.attrs
        console.print(
            f"Household ({a['region']}): {a['household_kwh_per_month']:,.0f} kWh/month, an average "
            f"{a['residential_mean_kw_per_customer']:.2f} kW and "
            f"{a['residential_plc_kw_per_customer']:.2f} kW at the {a['residential_plc_basis'].upper()} "
            "peaks"
        )
        if "capacity_zone" in cases.attrs:
            k = int(cases.attrs["report_year_index"])
            year = int(cases.year[k])
            sc = cases.sel(case="scenario").isel(year=k)
            console.print(
                f"Capacity ({cases.attrs['capacity_zone']} zone, delivery year {year}/{(year + 1) % 100:02d}): "
                f"{float(sc.capacity_price_usd_per_mw_day):,.2f} $/MW-day on a UCAP obligation of "
                f"{float(sc.ucap_obligation_mw):,.0f} MW; residential peak-load contribution "
                f"{cases.attrs['residential_plc_kw_per_customer']:.2f} kW per customer"
            )  # fmt: skip
    elif stage == "headroom":
        _print_headroom(tree)
    elif stage == "profile":
        frame = tables["compliance"]
        console.print(_table(f"Campus load compliance: {name}", frame, ["campus", "description", "value", "unit", "limit", "compliant"]))  # fmt: skip


def _print_overloads(tree, overloads) -> None:
    """The overloaded branches, new and worsened first, and the hours left out as infeasible."""
    if len(overloads):
        columns = {
            "branch": "branch",
            "from_name": "from",
            "to_name": "to",
            "status": "status",
            "hours_over_with_campus": "h over",
            "hours_over_without_campus": "h over w/o",
            "worst_loading_percent_with_campus": "worst %",
            "worst_loading_percent_without_campus": "worst % w/o",
        }
        head = overloads.head(int(tree.attrs.get("worst_branches", 10)))[list(columns)]
        console.print(
            _table("Overloaded branches (new and worsened first)", head.rename(columns=columns),
                   list(columns.values()))
        )  # fmt: skip
    from gridmodel.stress.feasibility import hours_text, infeasible_hours

    ts = tree["timeseries"]
    bad = infeasible_hours(ts)
    if len(bad):
        counted = bool(tree.attrs.get("include_infeasible_hours", 0))
        console.print(
            f"[bold yellow]{len(bad)} hour(s) with infeasible dispatch[/] (demand above the "
            f"committed units, or the slack beyond them): {hours_text(bad)}; "
            + ("counted in" if counted else "left out of")
            + " the limit statistics (study.include_infeasible_hours)"
        )


def _print_headroom(tree) -> None:
    if "headroom" in tree:
        _print_balancing(tree)
    if "nodal" in tree:
        _print_nodal(tree)


def _print_nodal(tree) -> None:
    """Firm and flexible hosting capacity by site and budget (GW) and the gain from flexibility."""
    from gridmodel.headroom.tables import siting_table

    frame = siting_table(tree)
    wide = frame.pivot_table(index=["criterion", "site"], columns="budget_percent",
                             values="hosting_capacity_mw", sort=False)  # fmt: skip
    table = Table(title=f"Firm and flexible hosting capacity (GW): {tree.attrs.get('scenario')}")
    budgets = list(wide.columns)
    for col in ("criterion", "site", *[("firm" if b == 0 else f"{b:g} %") for b in budgets],
                f"gain at {budgets[-1]:g} %"):  # fmt: skip
        table.add_column(col, justify="right")
    for (crit, site), row in wide.iterrows():
        gain = 100 * (row.iloc[-1] / row.iloc[0] - 1) if row.iloc[0] > 0 else float("nan")
        table.add_row(crit, site, *[f"{v / 1e3:,.3f}" for v in row], f"{gain:+.1f} %")
    console.print(table)


def _print_balancing(tree) -> None:
    from gridmodel.headroom.tables import summary_table

    ds = tree["headroom"]
    years = f"{int(ds.year.min())}-{int(ds.year.max())}"
    table = Table(title=f"Curtailment-enabled headroom: {tree.attrs.get('scenario')} ({years})")
    published = "published_headroom_mw" in ds
    for col in ("limit %", "GW", "% peak", "h/yr", "events/yr", "event h",
                f"≥{ds.attrs['served_fraction']:.0%} served", *(["published GW"] * published)):  # fmt: skip
        table.add_column(col, justify="right")
    for row in summary_table(tree).itertuples(index=False):
        cells = [f"{row.rate_percent:g}", f"{row.headroom_mw / 1e3:,.2f}",
                 f"{row.headroom_percent_of_peak:.1f}", f"{row.curtailed_hours_per_year:,.0f}",
                 f"{row.events_per_year:.1f}", f"{row.mean_event_hours:.1f}",
                 f"{row.served_share_percent:.0f} %"]  # fmt: skip
        if published:
            mw = row.published_headroom_mw
            cells.append("" if mw != mw else f"{mw / 1e3:,.1f}")
        table.add_row(*cells)
    console.print(table)
    console.print(f"{tree['changes'].sizes.get('change', 0)} hours changed by cleaning (cleaning_changes.csv)")  # fmt: skip


HoursOpt = Annotated[int | None, typer.Option("--hours", min=1, help="Study only the first N hours.")]  # fmt: skip


@app.command()
def study(scenario: ScenarioArg = None, out: OutOpt = Path("results")) -> None:
    """Every stage the scenario asks for, each re-run only when what it reads has changed."""
    run_stages(scenario, out, None)


@app.command()
def run(
    scenario: ScenarioArg = None, out: OutOpt = Path("results"), hours: HoursOpt = None
) -> None:
    """Grid stress: time-series AC power flow, violations, N-1 and hosting capacity."""
    run_stages(scenario, out, ["stress"], {"period.hours": hours} if hours else None)


@app.command()
def profile(
    scenario: ScenarioArg = None,
    out: OutOpt = Path("results"),
    resolution: Annotated[
        str | None, typer.Option("--resolution", help="Sample interval: 10ms ... 1h; divides one hour.")
    ] = None,
    hours: Annotated[int | None, typer.Option("--hours", min=1, help="Profile only the first N hours.")] = None,
) -> None:  # fmt: skip
    """Campus load profiles: profile.nc, metrics, compliance report, events and figures."""
    changes = {f"profile.{k}": v for k, v in (("resolution", resolution), ("hours", hours)) if v}
    run_stages(scenario, out, ["profile"], changes)


@app.command()
def events(scenario: ScenarioArg = None, out: OutOpt = Path("results")) -> None:
    """Fault → campus trips → frequency and post-event power flow; loss sweep; oscillations."""
    run_stages(scenario, out, ["events"])


@app.command()
def optimize(scenario: ScenarioArg = None, out: OutOpt = Path("results")) -> None:
    """Sizing: regional expansion and behind-the-meter campus supply (Pyomo + HiGHS)."""
    run_stages(scenario, out, ["optimize"])


@app.command()
def bills(scenario: ScenarioArg = None, out: OutOpt = Path("results")) -> None:
    """Residential bill impacts: revenue requirement, cost allocation, tariffs, uncertainty."""
    run_stages(scenario, out, ["bills"])


@app.command()
def brief(
    scenario: ScenarioArg = None,
    out: OutOpt = Path("results"),
    pdf: Annotated[
        bool | None,
        typer.Option("--pdf/--no-pdf", help="PDF by headless Chromium: required / skipped (default: when Chromium is found)."),
    ] = None,
    hours: HoursOpt = None,
) -> None:  # fmt: skip
    """Policy brief: every stage the scenario asks for (reused when unchanged), then one
    self-contained HTML file and its PDF in OUT. Exits non-zero when a stage failed or an hour
    did not converge (the brief says so)."""
    from gridmodel.brief.browser import BrowserError
    from gridmodel.brief.run import make_brief

    try:
        with _progress() as progress:
            done = make_brief(scenario, out, pdf, {"period.hours": hours} if hours else None,
                              _progress_callback(progress))  # fmt: skip
    except ScenarioError as err:
        raise _fail(EXIT_INVALID, "error", err) from None
    except BrowserError as err:
        raise _fail(EXIT_BROWSER, "brief not written", err) from None
    for problem in done.brief.problems:
        console.print(f"[bold red]problem:[/] {problem.text()}", highlight=False)
    for warning in done.brief.warnings:
        console.print(f"[yellow]warning:[/] {warning.text()}", highlight=False)
    for finding in done.brief.findings:
        console.print(f"- {finding.text()}", highlight=False)
    if done.pdf_note:
        console.print(f"[yellow]{done.pdf_note}[/]", highlight=False)
    files = ", ".join(str(p) for p in (done.html, done.pdf) if p is not None)
    reused = [s for s in done.study.plan() if s not in done.study.ran and s not in done.failures]
    note = f" ({', '.join(reused)} unchanged, reused)" if reused else ""
    console.print(f"Brief → {files} in {done.seconds:.0f} s{note}", highlight=False)
    raise typer.Exit(done.exit_code())


@app.command()
def figures(folder: Annotated[Path, typer.Argument(help="A folder written by a command.")]) -> None:
    """Redraw every figure of the stage or sweep results stored in FOLDER, from the files alone."""
    if not output.stored_stages(folder) and not (folder / output.SWEEP_FOLDER).is_dir():
        raise _fail(EXIT_INVALID, "error", ValueError(f"{folder} holds no stage or sweep result"))
    written = output.redraw(folder)
    console.print(f"Redrew {len(written)} figure files under {folder}")


@app.command()
def headroom(
    scenario: ScenarioArg = None,
    out: OutOpt = Path("results"),
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Folder of the demand files (replaces `data_dir`)."),
    ] = None,
) -> None:
    """Curtailment-enabled headroom of a balancing area from measured hourly demand, and firm
    and flexible hosting capacity at network sites (the siting frontier)."""
    changes = {"headroom.data_dir": str(data_dir.resolve()), "headroom.dataset": None} if data_dir else None  # fmt: skip
    run_stages(scenario, out, ["headroom"], changes)


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML (a base scenario and its axes).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (members/ and sweep/).")] = Path("results"),
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Worker processes of the local cluster (default: one per core).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786) instead of a local cluster.")] = None,
) -> None:  # fmt: skip
    """Scenario sweep or Monte Carlo on Dask: every member validated, run (or resumed) and combined.

    Exit code 5 (partial) when some members failed: the others are done and combined, the failed
    ones are listed in DIR/sweep/failures.csv and run again by the next call."""
    from gridmodel.sweep import dask_client, load_sweep, run_sweep

    started = time.perf_counter()
    try:
        plan = load_sweep(sweep_file)
        output.check_out_folder(out, ours=output.SWEEP_PARTS)
        n = len(plan.distinct)
        console.print(f"Sweep {plan.sweep.name}: {len(plan.members)} members ({n} distinct), stages {', '.join(plan.stages)}", highlight=False)  # fmt: skip
        with dask_client(workers, scheduler) as client:
            console.print(f"Dask dashboard: {client.dashboard_link}", highlight=False)
            with _progress() as progress:
                ds = run_sweep(plan, out, client, _progress_callback(progress))
    except ScenarioError as err:
        raise _fail(EXIT_INVALID, "error", err) from None
    status = ds.status.to_numpy()
    computed = len({m for m, s in zip(ds.member_id.values, ds.stages_run.values, strict=True) if s})
    console.print(
        f"{int((status == 'ok').sum())} members done ({computed} computed, the rest read back), "
        f"{int((status != 'ok').sum())} failed → {out}/sweep/ in {time.perf_counter() - started:.0f} s",
        highlight=False,
    )
    if (status != "ok").any():
        console.print(f"[bold red]failed members:[/] see {out}/sweep/failures.csv", highlight=False)
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def networks() -> None:
    """List the bundled networks and their candidate data-centre sites."""
    from gridmodel.networks import available_networks, load_descriptor

    for name in available_networks():
        desc = load_descriptor(name)
        table = Table(title=f"{name}: {desc.title}", title_justify="left")
        for col in ("site", "bus", "kV", "area", "note"):
            table.add_column(col)
        for site in desc.sites:
            table.add_row(site.name, str(site.bus), f"{site.kv:g}", site.area, site.note)
        console.print(table)


@data_app.command("list")
def data_list() -> None:
    """Every data file: its dataset, size, licence, whether it ships with gridmodel or is
    fetched, and whether it is ready in the cache."""
    from gridmodel.datasets import datasets, is_ready, registry

    for name in datasets():
        items = [item for item in registry().values() if item.dataset == name]
        licences = ", ".join(sorted({item.licence for item in items}))
        table = Table(title=f"{name} ({licences}; data/{name}/SOURCE.md)", title_justify="left")
        for col in ("file", "MB", "how", "in cache"):
            table.add_column(col, no_wrap=True)
        try:
            for item in items:
                table.add_row(item.file, f"{item.bytes / 1e6:.2f}", item.how, "yes" if is_ready(item) else "no")  # fmt: skip
        except ScenarioError as err:  # a cache folder that cannot be written
            raise _fail(EXIT_INVALID, "error", err) from None
        console.print(table)


@data_app.command("fetch")
def data_fetch(
    dataset: Annotated[str | None, typer.Argument(help="A dataset (default: every dataset).")] = None,
) -> None:  # fmt: skip
    """Unpack the shipped files and download the others into the cache, each checked against
    its SHA-256, so later runs need no network."""
    from gridmodel.datasets import fetch

    try:
        paths = fetch(dataset)
    except ScenarioError as err:
        raise _fail(EXIT_INVALID, "error", err) from None
    for path in paths:
        console.print(str(path), highlight=False)


@app.command("schema")
def schema_command(
    json_schema: Annotated[bool, typer.Option("--json", help="The JSON schema of a scenario file (for YAML editors).")] = False,
) -> None:  # fmt: skip
    """The scenario reference: every field, its unit, default and source (Markdown), or with
    --json the JSON schema of a scenario file."""
    import json

    from gridmodel.schema.docs import json_schema as scenario_json_schema
    from gridmodel.schema.docs import markdown

    text = json.dumps(scenario_json_schema(), indent=2) if json_schema else markdown()
    typer.echo(text)


if __name__ == "__main__":
    app()
