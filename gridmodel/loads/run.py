"""``gridmodel profile``: campus load profiles of a scenario, their metrics and figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.io import write_csv
from gridmodel.loads.metrics import ProfileMetrics, coincidence_factor, compliance_report
from gridmodel.loads.profile import HOUR_S, CampusLoad, build_campus_load
from gridmodel.loads.store import write_profiles
from gridmodel.schema import Mitigation, ModelProfile, Scenario, ScenarioError

SPECTRUM_S = 600.0  # profile length behind the spectrum figure, at 10 ms


@dataclass
class ProfileRun:
    loads: dict[str, CampusLoad]
    start_s: float
    duration_s: float
    resolution_s: float
    metrics: pd.DataFrame
    compliance: pd.DataFrame
    events: pd.DataFrame
    written: list[Path]


def campus_loads(scenario: Scenario, hours: int | None = None):
    """Load models of the scenario's ``model`` campuses, the network and the study hours."""
    from gridmodel.networks import load_network
    from gridmodel.powerflow.case import campus_load_model, study_hours

    if hours is not None:
        period = scenario.period.model_copy(update={"hours": hours})
        scenario = scenario.model_copy(update={"period": period})
    try:
        network = load_network(scenario.network)
    except KeyError as err:
        raise ScenarioError(f"field 'network': {err.args[0]}") from None
    study = study_hours(network, scenario)
    modelled = [k for k, c in enumerate(scenario.campuses) if isinstance(c.profile, ModelProfile)]
    if not modelled:
        raise ScenarioError(
            "field 'campuses': no campus has `profile: {kind: model}`; nothing to profile"
        )
    loads = {scenario.campuses[k].name: campus_load_model(network, scenario, k) for k in modelled}
    return loads, network, study


def run_profile(
    scenario: Scenario,
    out: Path,
    resolution_s: float,
    hours: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ProfileRun:
    """Write profile.nc, metrics.csv, compliance.csv, events.csv and figures/ into ``out``."""
    from gridmodel.powerflow.case import system_load_mw
    from gridmodel.report import load_figures as fig

    loads, network, study = campus_loads(scenario, hours)
    start_s, duration_s = study[0] * HOUR_S, len(study) * HOUR_S
    accumulators = {name: ProfileMetrics(resolution_s) for name in loads}
    total = round(duration_s / resolution_s) * len(loads)

    def on_chunk(name: str, p_mw: np.ndarray, _it: np.ndarray) -> None:
        accumulators[name].update(p_mw)
        if progress is not None:
            progress(f"profile at {resolution_s:g} s", len(p_mw), total)

    # about a million samples per chunk, in whole hours, at most a day
    chunk_s = min(24 * HOUR_S, max(HOUR_S, (resolution_s * 2**20) // HOUR_S * HOUR_S))
    written = [write_profiles(loads, out / "profile.nc", start_s, duration_s, resolution_s,
                              chunk_s=chunk_s, on_chunk=on_chunk)]  # fmt: skip
    system = system_load_mw(network, scenario)[study]
    rows, compliance, events = [], [], []
    figures = out / "figures"
    for name, load in loads.items():
        metrics = accumulators[name].result()
        hourly = load.profile(start_s, duration_s, HOUR_S).p_mw.to_numpy()
        metrics["hourly_load_factor"] = float(hourly.mean() / hourly.max())
        metrics["coincidence_system_peak"] = coincidence_factor(hourly, system, top=1)
        metrics["coincidence_top10_system_hours"] = coincidence_factor(hourly, system, top=10)
        ev = load.events[
            (load.events.time_s >= start_s) & (load.events.time_s < start_s + duration_s)
        ]
        days = duration_s / 86400.0
        metrics["interruptions_per_day"] = float(ev.kind.str.contains("interruption").sum() / days)
        metrics["checkpoints_per_day"] = float((ev.kind == "checkpoint").sum() / days)
        metrics["rated_mw"] = load.rated_mw
        rows += [{"campus": name, "metric": k, "value": v} for k, v in metrics.items()]
        report = compliance_report(metrics, load.model.compliance)
        compliance.append(report.assign(campus=name))
        events.append(ev.assign(campus=name))
        if len(load.curtailments):
            cur = load.curtailments.rename(columns={"start_s": "time_s"})
            events.append(cur.assign(campus=name, kind="curtailment", job=-1))
        written += fig.multiscale(load, name, start_s, duration_s, figures)
        written += fig.timeline(load, name, start_s, duration_s, figures)
        written += fig.spectrum(_spectra(load, start_s), name, figures)
    tables = (pd.DataFrame(rows), pd.concat(compliance, ignore_index=True),
              pd.concat(events, ignore_index=True))  # fmt: skip
    for table, stem in zip(tables, ("metrics", "compliance", "events"), strict=True):
        written.append(write_csv(table, out / f"{stem}.csv", index=False))
    return ProfileRun(loads, start_s, duration_s, resolution_s, *tables, written)


def _spectra(load: CampusLoad, start_s: float) -> dict:
    """10-ms spectra over the first minutes of the period, with and without mitigation."""
    cases = {"as configured": load}
    if load.model.mitigation != Mitigation():
        cases = {"no mitigation": _rebuilt_without_mitigation(load), "with mitigation": load}
    out = {}
    for label, case in cases.items():
        acc = ProfileMetrics(0.01)
        acc.update(case.profile(start_s, SPECTRUM_S, 0.01).p_mw.to_numpy())
        out[label] = acc.spectrum()
    return out


def _rebuilt_without_mitigation(load: CampusLoad) -> CampusLoad:
    # same seed and events; flexibility is left out (the spectrum compares mitigation only)
    model = load.model.model_copy(update={"mitigation": Mitigation(), "flexibility": None})
    hours = int(np.ceil(load.horizon_s / HOUR_S))
    return build_campus_load(model, hours, seed=load.seed, year=load.year)
