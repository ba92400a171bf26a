"""Command line: ``gridmodel run``, ``gridmodel networks``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridmodel.io import write_csv, write_netcdf
from gridmodel.schema import ScenarioError, load_scenario

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="AI campuses on regional power grids."
)
console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _progress_callback(progress: Progress):
    tasks: dict[str, int] = {}

    def report(task: str, advance: int, total: int) -> None:
        if task not in tasks:
            tasks[task] = progress.add_task(task, total=total)
        progress.update(tasks[task], advance=advance, total=total)

    return report


def write_stress_outputs(result, out: Path) -> list[Path]:
    """results.nc, summary.csv, the violation tables and figures/ in ``out`` (each file atomic)."""
    from gridmodel.report import stress_figures as fig
    from gridmodel.report.layout import geographic_positions, network_positions
    from gridmodel.stress.run import summary_table

    ds = result.timeseries.copy()
    if result.baseline is not None:
        ds["loading_percent_without_campus"] = result.baseline.loading_percent
        ds["vm_pu_without_campus"] = result.baseline.vm_pu
        ds["converged_without_campus"] = result.baseline.converged
    written = [write_netcdf(ds, out / "results.nc")]
    written.append(write_csv(summary_table(result), out / "summary.csv", index=False))
    written.append(write_csv(result.overloads, out / "overloads.csv", index=False))
    written.append(write_csv(result.voltage, out / "voltage_violations.csv", index=False))
    bad = pd.DataFrame({"hour": ds.time.to_numpy()[~ds.converged.to_numpy()]})
    written.append(write_csv(bad, out / "nonconverged_hours.csv", index=False))
    if result.contingencies is not None:
        written.append(write_csv(result.contingencies, out / "contingencies.csv", index=False))
    if result.hosting:
        hc = pd.DataFrame(
            [
                {
                    "criterion": h.criterion,
                    "hosting_capacity_mw": h.mw,
                    "first_violating_mw": h.mw_violating,
                    "evaluations": len(h.evaluations),
                }
                for h in result.hosting
            ]
        )
        written.append(write_csv(hc, out / "hosting_capacity.csv", index=False))
    figures = out / "figures"
    study = result.scenario.study
    written += fig.loading_duration(
        ds, result.baseline, min(study.worst_branches, 8), study.loading_limit_percent, figures
    )
    peak_row = int(np.nanargmax(ds.load_mw.to_numpy()))
    network = result.case.network
    written += fig.network_map(
        ds,
        peak_row,
        network_positions(network),
        geographic_positions(network.net) is not None,
        figures,
    )
    areas = [result.case.network.area_of_bus(b) for b in result.case.campus_buses] or [
        str(ds.area.values[0])
    ]
    written += fig.voltage_heatmap(ds, areas[0], figures)
    if result.hosting:
        written += fig.hosting_capacity_bars(result.hosting, figures)
    return written


def _print_summary(result) -> None:
    from gridmodel.stress.run import summary_table

    table = Table(title=f"Grid stress: {result.scenario.name}")
    for col in ("metric", "value", "unit"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for row in summary_table(result).itertuples(index=False):
        value = f"{row.value:,.2f}" if isinstance(row.value, float) else f"{row.value}"
        table.add_row(row.metric, value, row.unit)
    console.print(table)
    if len(result.overloads):
        worst = Table(title="Most loaded branches")
        for col in (
            "branch",
            "from_bus",
            "to_bus",
            "hours_over",
            "worst_loading_percent",
            "worst_hour",
        ):
            worst.add_column(col, justify="right")
        for row in result.overloads.head(result.scenario.study.worst_branches).itertuples(
            index=False
        ):
            worst.add_row(
                str(row.branch),
                str(row.from_bus),
                str(row.to_bus),
                str(row.hours_over),
                f"{row.worst_loading_percent:.1f}",
                str(row.worst_hour),
            )
        console.print(worst)


@app.command()
def run(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario YAML; the bundled default if omitted.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("results"),
    hours: Annotated[
        int | None, typer.Option("--hours", min=1, help="Study only the first N hours.")
    ] = None,
) -> None:
    """Grid stress: time-series AC power flow, violations, N-1 and hosting capacity."""
    from gridmodel.stress.run import run_stress

    started = time.perf_counter()
    try:
        spec = load_scenario(scenario)
        with _progress() as progress:
            result = run_stress(spec, hours=hours, progress=_progress_callback(progress))
    except ScenarioError as err:
        console.print(f"[bold red]error:[/] {err}")
        raise typer.Exit(2) from None
    written = write_stress_outputs(result, out)
    _print_summary(result)
    console.print(f"Wrote {len(written)} files to {out} in {time.perf_counter() - started:.0f} s")


@app.command()
def profile(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with `model` campus profiles.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("results"),
    resolution: Annotated[
        str, typer.Option("--resolution", help="Sample interval: 10ms ... 1h; divides one hour.")
    ] = "1s",
    hours: Annotated[
        int | None, typer.Option("--hours", min=1, help="Profile only the first N hours.")
    ] = None,
) -> None:
    """Campus load profiles: profile.nc, metrics, compliance report, events and figures."""
    from gridmodel.loads.profile import parse_resolution
    from gridmodel.loads.run import run_profile

    started = time.perf_counter()
    try:
        step = parse_resolution(resolution)
    except ValueError as err:
        console.print(f"[bold red]error:[/] --resolution: {err}")
        raise typer.Exit(2) from None
    try:
        spec = load_scenario(scenario)
        with _progress() as progress:
            result = run_profile(spec, out, step, hours, progress=_progress_callback(progress))
    except ScenarioError as err:
        console.print(f"[bold red]error:[/] {err}")
        raise typer.Exit(2) from None
    table = Table(title=f"Campus load: {spec.name}")
    for col in ("campus", "metric", "value"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for row in result.metrics.itertuples(index=False):
        table.add_row(row.campus, row.metric, f"{row.value:,.4g}")
    console.print(table)
    for row in result.compliance.itertuples(index=False):
        verdict = {True: "[green]pass[/]", False: "[red]fail[/]", None: "n/a"}[row.compliant]
        console.print(f"{row.campus}: {row.description} = {row.value:.4g} {row.unit} "
                      f"(limit {row.limit:g}): {verdict}")  # fmt: skip
    console.print(
        f"Wrote {len(result.written)} files to {out} in {time.perf_counter() - started:.0f} s"
    )


@app.command()
def optimize(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with an `optimize` block.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("results"),
) -> None:
    """Sizing: regional expansion and behind-the-meter campus supply (Pyomo + HiGHS)."""
    from gridmodel.optimize.run import cost_table, run_optimize
    from gridmodel.optimize.solver import InfeasibleError

    started = time.perf_counter()
    try:
        spec = load_scenario(scenario)
        with _progress() as progress:
            result = run_optimize(spec, out, progress=_progress_callback(progress))
    except ScenarioError as err:
        console.print(f"[bold red]error:[/] {err}")
        raise typer.Exit(2) from None
    except InfeasibleError as err:
        console.print(f"[bold red]infeasible:[/] {err}")
        raise typer.Exit(3) from None
    table = Table(title=f"Annual cost: {spec.name} (2023 $)")
    for col in ("result", "component", "$M/yr"):
        table.add_column(col, justify="right" if col == "$M/yr" else "left")
    for row in cost_table(result).itertuples(index=False):
        if abs(row.usd_per_yr) > 0.5:
            table.add_row(row.result, row.component, f"{row.usd_per_yr / 1e6:,.1f}")
    console.print(table)
    if result.campus is not None:
        ds = result.campus
        built = ", ".join(
            f"{g} {v:,.0f} MW"
            for g, v in zip(ds.gas.values, ds.gas_capacity_mw.values, strict=True)
            if v > 0.5
        )
        console.print(f"Campus: gas {built or 'none'}; battery {float(ds.battery_mw):,.0f} MW / "
                      f"{float(ds.battery_mwh):,.0f} MWh; grid contract {float(ds.contract_mw):,.0f} MW")  # fmt: skip
    if result.bau_note:
        console.print(f"[yellow]{result.bau_note}[/]")
    console.print(
        f"Wrote {len(result.written)} files to {out} in {time.perf_counter() - started:.0f} s"
    )


@app.command()
def bills(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with a `bills` block.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("results"),
) -> None:
    """Residential bill impacts: revenue requirement, cost allocation, tariffs, uncertainty."""
    from gridmodel.rates.run import run_bills

    started = time.perf_counter()
    try:
        spec = load_scenario(scenario)
        with _progress() as progress:
            result = run_bills(spec, out, progress=progress)
    except ScenarioError as err:
        console.print(f"[bold red]error:[/] {err}")
        raise typer.Exit(2) from None
    ds = result.cases
    year = int(ds.year[result.report_year])
    base = float(ds.residential_bill_usd_per_month.sel(case="baseline")[result.report_year])
    table = Table(title=f"Typical household: {spec.name} ({ds.attrs['household_kwh_per_month']:,.0f} kWh/month)")  # fmt: skip
    for col in ("case", f"$/month in {year}", "change", "NPV of change, $"):
        table.add_column(col, justify="left" if col == "case" else "right")
    for case in ds.case.values:
        bill = float(ds.residential_bill_usd_per_month.sel(case=case)[result.report_year])
        npv = float(ds.residential_bill_npv_usd.sel(case=case))
        table.add_row(str(case), f"{bill:,.2f}", f"{bill - base:+,.2f}", f"{npv:+,.0f}")
    console.print(table)
    if result.monte_carlo is not None:
        mc = result.monte_carlo
        stranded = mc.stranded_cost_usd.sum("year")
        recovered = mc.recovered_usd.sum("year")
        console.print(
            f"Monte Carlo ({mc.sizes['draw']} draws): stranded cost median "
            f"${float(stranded.median()) / 1e6:,.0f}M over the horizon, of which minimum take and "
            f"exit fees recover ${float(recovered.median()) / 1e6:,.0f}M (median)"
        )
    console.print(
        f"Wrote {len(result.written)} files to {out} in {time.perf_counter() - started:.0f} s"
    )


@app.command()
def events(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML with an `events` block.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("results"),
) -> None:
    """Fault → campus trips → frequency and post-event power flow; loss sweep; oscillations."""
    from gridmodel.dynamics.run import run_events

    started = time.perf_counter()
    try:
        spec = load_scenario(scenario)
        with _progress() as progress:
            result = run_events(spec, out, progress=_progress_callback(progress))
    except ScenarioError as err:
        console.print(f"[bold red]error:[/] {err}")
        raise typer.Exit(2) from None
    table = Table(title=f"Grid events: {spec.name}")
    for col in ("quantity", "value", "unit"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for row in result.summary.itertuples(index=False):
        value = f"{row.value:,.3f}" if isinstance(row.value, float) else str(row.value)
        table.add_row(row.quantity, value, row.unit)
    console.print(table)
    console.print(
        f"Wrote {len(result.written)} files to {out} in {time.perf_counter() - started:.0f} s"
    )


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


if __name__ == "__main__":
    app()
