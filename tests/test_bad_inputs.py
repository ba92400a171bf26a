"""Bad input across every command: refused up front with exit 2, one message naming the field or
file and the value, no traceback, nothing written, and before any solve."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.schema.loading import set_field

#: A small study with every section (illinois200, a day in July).
BASE = {
    "name": "bad-input",
    "network": "illinois200",
    "period": {"start_hour": 4704, "hours": 24},
    "campuses": [{"name": "dc", "site": "springfield-230", "mw": 300}],
    "study": {"contingencies": None, "hosting_capacity": None},
    "events": {"fault": {"site": "springfield-230"}, "oscillation": None, "window_s": 10,
               "lost_mw": [300], "trajectories_mw": [300]},
    "optimize": {"campus": {"technologies": ["battery"], "grid": {"price_usd_per_mwh": 60}}},
    "bills": {"years": 5, "baseline": {"region": "ohio"}, "monte_carlo": None,
              "large_loads": [{"campus": "dc"}]},
    "headroom": {"demand": {"files": ["demand.csv"]}, "years": [2022, 2023]},
}  # fmt: skip

MODEL = {"kind": "model", "gpus": 20000, "jobs": 1}
COMMANDS = ("run", "profile", "events", "optimize", "bills", "study", "headroom")


def _demand(folder: Path) -> None:
    """Two years of a synthetic balancing-area demand in the raw EIA-930 layout."""
    hours = pd.date_range("2022-01-01 07:00", "2024-01-01 06:00", freq="h")
    mw = 50_000 + 10_000 * np.sin(np.arange(len(hours)) * 2 * np.pi / 24)
    pd.DataFrame({"date_time": hours.strftime("%Y-%m-%d %H:%M:%S"), "demand (MW)": mw.round()}).to_csv(folder / "demand.csv", index=False)  # fmt: skip


def _hourly(folder: Path, name: str, column: str, values) -> str:
    pd.DataFrame({column: values}).to_csv(folder / name, index=False)
    return name


YEAR = 8760


def _csv_files(folder: Path) -> None:
    """Files the file cases point at, each wrong in one way."""
    _hourly(folder, "short.csv", "p_mw", [100.0, 200.0])
    _hourly(folder, "negative.csv", "p_mw", [-1.0] * YEAR)
    _hourly(folder, "gap.csv", "p_mw", [100.0] * 4704 + [None] * 24 + [100.0] * 32)
    _hourly(folder, "wrongcol.csv", "mw", [100.0] * YEAR)
    _hourly(folder, "price_nan.csv", "price_usd_per_mwh", [40.0] * 4710 + [np.nan] * 50)
    _hourly(folder, "price_text.csv", "price_usd_per_mwh", ["cheap"] * YEAR)
    _hourly(folder, "price_inf.csv", "price_usd_per_mwh", [40.0] * 4705 + [np.inf] * 55)
    _hourly(folder, "cf5.csv", "cf", [5.0] * YEAR)
    _hourly(folder, "temp.csv", "temperature", [25.0] * YEAR)
    _hourly(folder, "inertia.csv", "h", [1.0])
    (folder / "latin1.csv").write_bytes("p_mw\n1\xe9\n".encode("latin-1"))
    (folder / "adir.csv").mkdir(exist_ok=True)
    (folder / "demand_wrong.csv").write_text("time,mw\n2022-01-01 00:00,1\n")
    (folder / "classes.csv").write_text("residential,commercial\n1,2\n")
    (folder / "commas.csv").write_text("p_mw\n" + "250,5\n" * YEAR)
    _hourly(folder, "huge.csv", "p_mw", [100.0] * 4704 + [1e308] + [100.0] * 4055)
    (folder / "empty.csv").write_text("")
    (folder / "semicolons.csv").write_text("hour;p_mw\n" + "".join(f"{h};250\n" for h in range(YEAR)))  # fmt: skip
    stamps = pd.date_range("2022-01-01 07:00", periods=48, freq="h")
    (folder / "mixed_offsets.csv").write_text(
        "date_time,demand (MW)\n"
        + "".join(
            f"{t:%Y-%m-%d %H:%M:%S}{'-05:00' if k % 2 else ''},50000\n"
            for k, t in enumerate(stamps)
        )  # fmt: skip
    )


# (command, [(dotted field, value)], expected words in the message). A value of ... deletes.
CASES = {
    # the schema: unknown fields, wrong types, out-of-range and non-finite numbers
    "misspelt top field": ("run", [("netwrok", "texas2000")], ["netwrok"]),
    "misspelt campus field": ("run", [("campuses.0.megawatts", 4)], ["campuses.0.megawatts", "4"]),
    "negative campus MW": ("run", [("campuses.0.mw", -5)], ["campuses.0.mw", "-5"]),
    "NaN campus MW": ("run", [("campuses.0.mw", float("nan"))], ["campuses.0.mw", "nan"]),
    "infinite campus MW": ("run", [("campuses.0.mw", float("inf"))], ["campuses.0.mw", "inf"]),
    "campus MW as text": ("run", [("campuses.0.mw", "lots")], ["campuses.0.mw", "lots"]),
    "power factor above 1": ("run", [("campuses.0.power_factor", 1.5)], ["power_factor", "1.5"]),
    "site and bus both": ("run", [("campuses.0.bus", 3)], ["campuses.0", "site"]),
    "duplicate campus names": ("run", [("campuses.1", {"name": "dc", "bus": 3, "mw": 5})], ["dc"]),
    "negative start hour": ("run", [("period.start_hour", -1)], ["period.start_hour", "-1"]),
    "zero hours": ("run", [("period.hours", 0)], ["period.hours", "0"]),
    "start beyond the year": (
        "run",
        [("period.start_hour", 99999)],
        ["period.start_hour", "99999"],
    ),
    "period past the year": ("run", [("period.hours", 9000)], ["period.hours", "9000"]),
    "reversed voltage limits": (
        "run",
        [("study.voltage_limits", [1.1, 0.9])],
        ["voltage_limits", "1.1"],
    ),
    "zero loading limit": (
        "run",
        [("study.loading_limit_percent", 0)],
        ["loading_limit_percent", "0"],
    ),
    "unknown dispatch rule": ("run", [("dispatch.rule", "magic")], ["dispatch.rule", "magic"]),
    "loss factor 50 %": ("run", [("dispatch.loss_factor", 0.5)], ["loss_factor", "0.5"]),
    "NaN loss factor": ("run", [("dispatch.loss_factor", float("nan"))], ["loss_factor", "nan"]),
    "peak scaling without peak": ("run", [("load_growth.kind", "scale_to_peak")], ["peak_mw"]),
    "negative area factor": (
        "run",
        [("load_growth.area_factors", {"x": -1})],
        ["area_factors", "-1"],
    ),
    "unknown area": (
        "run",
        [("load_growth.area_factors", {"Panhandle": 1.1})],
        ["area_factors", "Panhandle"],
    ),
    "negative seed": ("run", [("seed", -1)], ["seed", "-1"]),
    "hour index past the period": ("run", [("study.contingencies", {"hours": [99999]})], ["99999"]),
    "hosting site without campus": (
        "run",
        [("study.hosting_capacity", {"site": "bartonville-230"})],
        ["hosting_capacity.site", "bartonville-230"],
    ),
    "worsening below zero": ("run", [("study.worsening_percent", -1)], ["worsening_percent", "-1"]),
    "iteration limit zero": ("run", [("study.max_iter", 0)], ["max_iter", "0"]),
    # the network and sites
    "unknown network": ("run", [("network", "atlantis")], ["network", "atlantis"]),
    "network given as a path": (
        "run",
        [("network", "../scenarios/default")],
        ["network", "../scenarios/default"],
    ),
    "unknown site": ("run", [("campuses.0.site", "nowhere")], ["campuses.0.site", "nowhere"]),
    "unknown bus": (
        "run",
        [("campuses.0.site", ...), ("campuses.0.bus", 99999)],
        ["campuses.0.bus", "99999"],
    ),
    # campus profiles and their files
    "profile file missing": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "nothere.csv"})],
        ["campuses.0.profile.path", "nothere.csv"],
    ),
    "profile file too short": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "short.csv"})],
        ["campuses.0.profile.path", "short.csv", "2"],
    ),
    "profile file negative": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "negative.csv", "first_hour": 0})],
        ["negative.csv", "-1.0"],
    ),
    "profile file with a gap": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "gap.csv", "first_hour": 0})],
        ["gap.csv", "4705"],
    ),
    "profile column missing": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "wrongcol.csv"})],
        ["wrongcol.csv", "p_mw"],
    ),
    "profile file not UTF-8": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "latin1.csv"})],
        ["latin1.csv", "UTF-8"],
    ),
    "profile path is a folder": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "adir.csv"})],
        ["adir.csv", "folder"],
    ),
    "unknown profile kind": (
        "run",
        [("campuses.0.profile", {"kind": "wave"})],
        ["campuses.0.profile", "wave"],
    ),
    "model with MW": ("run", [("campuses.0.profile", MODEL)], ["campuses.0", "mw"]),
    "model without GPUs": (
        "run",
        [("campuses.0.mw", ...), ("campuses.0.profile", {**MODEL, "gpus": 0})],
        ["campuses.0.profile", "gpus"],
    ),
    "smoothing floor 1.5": (
        "run",
        [
            ("campuses.0.mw", ...),
            ("campuses.0.profile", {**MODEL, "mitigation": {"gpu_smoothing": {"floor_frac": 1.5}}}),
        ],
        ["floor_frac", "1.5"],
    ),
    "smoothing floor -0.5": (
        "run",
        [
            ("campuses.0.mw", ...),
            (
                "campuses.0.profile",
                {**MODEL, "mitigation": {"gpu_smoothing": {"floor_frac": -0.5}}},
            ),
        ],
        ["floor_frac", "-0.5"],
    ),
    "temperature column missing": (
        "run",
        [
            ("campuses.0.mw", ...),
            ("campuses.0.profile", {**MODEL, "facility": {"temperature_csv": "temp.csv"}}),
        ],
        ["temperature_csv", "temp_c"],
    ),
    "more jobs than GPUs": (
        "run",
        [("campuses.0.mw", ...), ("campuses.0.profile", {**MODEL, "gpus": 2, "jobs": 3})],
        ["campuses.0.profile", "3"],
    ),
    # the profile stage
    "profile with no model campus": ("profile", [], ["campuses", "model"]),
    "profile resolution 7 s": (
        "profile",
        [("profile", {"resolution": "7s"})],
        ["profile.resolution", "7s"],
    ),
    "profile resolution not a duration": (
        "profile",
        [("profile", {"resolution": "soon"})],
        ["profile.resolution", "soon"],
    ),
    "profile hours zero": ("profile", [("profile", {"hours": 0})], ["profile.hours", "0"]),
    # events
    "events without a section": ("events", [("events", ...)], ["events"]),
    "unknown frequency system": (
        "events",
        [("events.systems", ["ercot", "atlantis"])],
        ["events.systems", "atlantis"],
    ),
    "negative inertia": (
        "events",
        [("events.systems", [{"preset": "ercot", "inertia_gws": -5}])],
        ["inertia_gws", "-5"],
    ),
    "FFR trigger above 60 Hz": (
        "events",
        [("events.systems", [{"preset": "ercot", "ffr_trigger_hz": 60.5}])],
        ["ffr_trigger_hz", "60.5"],
    ),
    "inertia file missing": (
        "events",
        [("events.systems", [{"preset": "ercot", "inertia_csv": "nothere.csv"}])],
        ["inertia_csv", "nothere.csv"],
    ),
    "inertia file without columns": (
        "events",
        [("events.systems", [{"preset": "ercot", "inertia_csv": "inertia.csv"}])],
        ["inertia_csv", "inertia.csv"],
    ),
    "time step too long": ("events", [("events.dt_s", 0.5)], ["events.dt_s", "0.5"]),
    "negative MW lost": ("events", [("events.lost_mw", [-5])], ["events.lost_mw", "-5"]),
    "NaN MW lost": ("events", [("events.lost_mw", [float("nan")])], ["events.lost_mw", "nan"]),
    "fault site and bus": ("events", [("events.fault.bus", 3)], ["events.fault", "site"]),
    "negative fault time": ("events", [("events.fault.times_s", [-1.0])], ["times_s", "-1"]),
    "fault at an unknown site": (
        "events",
        [("events.fault.site", "nowhere")],
        ["events.fault.site", "nowhere"],
    ),
    "event hour past the period": ("events", [("events.hour", 99999)], ["events.hour", "99999"]),
    "oscillation campus without a model": (
        "events",
        [("events.oscillation", {"campus": "dc"})],
        ["events.oscillation.campus", "dc"],
    ),
    # optimize
    "optimize without a section": ("optimize", [("optimize", ...)], ["optimize"]),
    "optimize asks for nothing": ("optimize", [("optimize", {"costs": {}})], ["optimize"]),
    "negative WACC": ("optimize", [("optimize.costs.wacc", -0.1)], ["optimize.costs.wacc", "-0.1"]),
    "unknown technology": (
        "optimize",
        [("optimize.campus.technologies", ["fusion"])],
        ["technologies", "fusion"],
    ),
    "redundancy n+2": (
        "optimize",
        [("optimize.campus.redundancy", "n+2")],
        ["redundancy", "n+2"],
    ),
    "unknown sized campus": (
        "optimize",
        [("optimize.campus.campus", "elsewhere")],
        ["optimize.campus.campus", "elsewhere"],
    ),
    "unknown expansion site": (
        "optimize",
        [("optimize.expansion", {"sites": ["nowhere"]})],
        ["optimize.expansion.sites.0", "nowhere"],
    ),
    "price file missing": (
        "optimize",
        [("optimize.campus.grid.price_usd_per_mwh", "nothere.csv")],
        ["price_usd_per_mwh", "nothere.csv"],
    ),
    "price file with NaN rows": (
        "optimize",
        [("optimize.campus.grid.price_usd_per_mwh", "price_nan.csv")],
        ["price_usd_per_mwh", "price_nan.csv", "4711"],
    ),
    "price file with text": (
        "optimize",
        [("optimize.campus.grid.price_usd_per_mwh", "price_text.csv")],
        ["price_text.csv", "cheap"],
    ),
    "price file with infinity": (
        "optimize",
        [("optimize.campus.grid.price_usd_per_mwh", "price_inf.csv")],
        ["price_inf.csv", "inf"],
    ),
    "solar without its file": (
        "optimize",
        [("optimize.campus.technologies", ["solar", "battery"])],
        ["solar_cf_csv"],
    ),
    "solar capacity factor 5": (
        "optimize",
        [
            ("optimize.campus.technologies", ["solar", "battery"]),
            ("optimize.campus.solar_cf_csv", "cf5.csv"),
        ],
        ["solar_cf_csv", "cf5.csv", "5.0"],
    ),
    "reversed outage range": (
        "optimize",
        [("optimize.campus.grid.outage_hours", [[10, 5]])],
        ["outage_hours", "10"],
    ),
    "lmp price without prices": (
        "optimize",
        [("dispatch.rule", "participation"), ("optimize.campus.grid.price_usd_per_mwh", "lmp")],
        ["price_usd_per_mwh", "lmp"],
    ),
    "negative demand charge": (
        "optimize",
        [("optimize.campus.grid.demand_charge_usd_per_kw_month", -1)],
        ["demand_charge_usd_per_kw_month", "-1"],
    ),
    # bills
    "bills without a section": ("bills", [("bills", ...)], ["bills"]),
    "zero years": ("bills", [("bills.years", 0)], ["bills.years", "0"]),
    "unknown region": (
        "bills",
        [("bills.baseline.region", "atlantis")],
        ["bills.baseline.region", "atlantis"],
    ),
    "unknown large-load campus": (
        "bills",
        [("bills.large_loads.0.campus", "elsewhere")],
        ["large_loads", "elsewhere"],
    ),
    "materialisation 1.5": (
        "bills",
        [("bills.large_loads.0.materialisation", 1.5)],
        ["materialisation", "1.5"],
    ),
    "pool requirement 2.5": (
        "bills",
        [
            (
                "bills.procurement",
                {
                    "market": "capacity_market",
                    "capacity_market": {"forecast_pool_requirement": 2.5},
                },
            )
        ],
        ["forecast_pool_requirement", "2.5"],
    ),
    "zone not in the price table": (
        "bills",
        [
            (
                "bills.procurement",
                {"market": "capacity_market", "capacity_market": {"zone": "NOWHERE"}},
            )
        ],
        ["zone", "NOWHERE"],
    ),
    "unknown allocation method": (
        "bills",
        [("bills.allocation.transmission", "7cp")],
        ["allocation.transmission", "7cp"],
    ),
    "class file without its columns": (
        "bills",
        [("bills.classes.csv", "classes.csv")],
        ["bills.classes.csv", "industrial"],
    ),
    "NaN WACC": ("bills", [("bills.wacc", float("nan"))], ["bills.wacc", "nan"]),
    "expansion link without expansion": (
        "bills",
        [("bills.procurement.new_generation", "expansion")],
        ["new_generation", "expansion"],
    ),
    # headroom
    "headroom limit 120 %": (
        "headroom",
        [("headroom.rates_percent", [0.5, 120])],
        ["rates_percent", "120"],
    ),
    "headroom limit 0 %": ("headroom", [("headroom.rates_percent", [0.0])], ["rates_percent", "0"]),
    "headroom file missing": (
        "headroom",
        [("headroom.demand.files", ["nothere.csv"])],
        ["nothere.csv"],
    ),
    "headroom file with wrong columns": (
        "headroom",
        [("headroom.demand.files", ["demand_wrong.csv"])],
        ["demand_wrong.csv"],
    ),
    "headroom years without data": (
        "headroom",
        [("headroom.years", [2015, 2016])],
        ["headroom.years", "2015"],
    ),
    "headroom shape of an unknown campus": (
        "headroom",
        [("headroom.shape", {"campus": "elsewhere"})],
        ["headroom.shape.campus", "elsewhere"],
    ),
    "nodal budget 0 %": (
        "headroom",
        [("headroom.nodal", {"budgets_percent": [0.0, 0.5]})],
        ["headroom.nodal.budgets_percent", "0"],
    ),
    "nodal budget 100 %": (
        "headroom",
        [("headroom.nodal", {"budgets_percent": [100]})],
        ["headroom.nodal.budgets_percent", "100"],
    ),
    "nodal unknown site": (
        "headroom",
        [("headroom.nodal", {"sites": ["nowhere-500"]})],
        ["headroom.nodal.sites", "nowhere-500"],
    ),
    "nodal unknown campus": (
        "headroom",
        [("headroom.nodal", {"campus": "elsewhere"})],
        ["headroom.nodal.campus", "elsewhere"],
    ),
    # data files read wrong before: decimal commas, absurd values, empty files, other separators
    "profile file with decimal commas": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "commas.csv", "first_hour": 0})],
        ["campuses.0.profile.path", "commas.csv", "250,5", "point"],
    ),
    "profile file of 1e308 MW": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "huge.csv", "first_hour": 0})],
        ["campuses.0.profile.path", "huge.csv", "4705", "1e+308", "100000"],
    ),
    "profile file empty": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "empty.csv"})],
        ["campuses.0.profile.path", "empty.csv", "empty"],
    ),
    "profile file separated by semicolons": (
        "run",
        [("campuses.0.profile", {"kind": "csv", "path": "semicolons.csv"})],
        ["semicolons.csv", "hour;p_mw", "commas"],
    ),
    "campus MW 1e308": ("run", [("campuses.0.mw", 1e308)], ["campuses.0.mw", "1e+308", "100000"]),
    "headroom demand file empty": (
        "headroom",
        [("headroom.demand.files", ["empty.csv"])],
        ["headroom.demand", "empty.csv", "empty"],
    ),
    "headroom demand file is a folder": (
        "headroom",
        [("headroom.demand.files", ["adir.csv"])],
        ["headroom.demand", "adir.csv", "folder"],
    ),
    "headroom demand file mixing UTC offsets": (
        "headroom",
        [("headroom.demand.files", ["mixed_offsets.csv"])],
        ["mixed_offsets.csv", "date_time", "offset", "2022-01-0108:00:00-05:00"],
    ),
    # values in range one by one that cannot hold together
    "smoothing floors 1.5 and -0.5": (
        "events",
        [("events.oscillation", {"smoothing_floors": [1.5, -0.5]})],
        ["events.oscillation.smoothing_floors.0", "1.5", "smoothing_floors.1", "-0.5"],
    ),
    "profile hours past the period": (
        "profile",
        [("campuses.0.mw", ...), ("campuses.0.profile", MODEL), ("profile", {"hours": 48})],
        ["profile.hours", "48", "24"],
    ),
    "a fleet that cannot serve demand in any hour": (
        "run",
        [("campuses.0.mw", 20000)],
        ["campuses", "illinois200", "any studied hour", "20,000"],
    ),
    # a stage the scenario does not have
    "study with no stage": (
        "study",
        [("study", ...), ("events", ...), ("optimize", ...), ("bills", ...), ("headroom", ...)],
        ["no stage"],
    ),
}


def _scenario(tmp_path: Path, changes) -> Path:
    data = copy.deepcopy(BASE)
    for field, value in changes:
        if value is ...:
            *parents, last = field.split(".")
            node = data
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            if isinstance(node, list):
                node.pop(int(last))
            else:
                node.pop(last, None)
        else:
            set_field(data, field, value)
    _demand(tmp_path)
    _csv_files(tmp_path)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module", autouse=True)
def _warm(tmp_path_factory):
    """Import every module and convert the network once, so each case times its refusal alone."""
    folder = tmp_path_factory.mktemp("warm")
    late = [("study.contingencies", {"hours": [99999]})]  # refused by the stress stage's check
    CliRunner().invoke(app, ["run", str(_scenario(folder, late)), "--out", str(folder / "o")])


def _refused(res, out: Path, expected: list[str], elapsed: float) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    squashed = "".join(res.output.split())
    for word in expected:
        assert "".join(str(word).split()) in squashed, (word, res.output)
    assert not out.exists(), "a refused run wrote files"
    assert not list(out.parent.glob(f".{out.name}.*")), "a refused run left a staging folder"
    assert len(res.output) < 2000, "the message floods the console"
    assert elapsed < 5.0, f"refused after {elapsed:.1f} s: work ran before the check"


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_is_refused_up_front(tmp_path, case):
    command, changes, expected = CASES[case]
    path = _scenario(tmp_path, changes)
    out = tmp_path / "out"
    started = time.perf_counter()
    res = CliRunner().invoke(app, [command, str(path), "--out", str(out)])
    _refused(res, out, expected, time.perf_counter() - started)


YAML_CASES = {
    "key given twice": ("name: a\nnetwork: illinois200\nname: b\n", ["name", "twice"]),
    "alias bomb": (
        "".join(
            f"{k}: &{k} [" + ",".join([f"*{p}"] * 9 if p else ['"lol"'] * 9) + "]\n"
            for p, k in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
        ),
        ["aliases"],
    ),
    "not YAML": ("name: [unclosed\n", ["not valid YAML"]),
    "a list": ("- name: a\n", ["mapping"]),
    "empty file": ("", ["mapping"]),
    "numeric key given twice": (
        "name: a\nnetwork: illinois200\nheadroom:\n  published_mw:\n    1: 100\n    1.0: 200\n",
        ["'1.0'", "twice", "lines5and6"],
    ),
    "a value of a megabyte": (
        "name: " + "x" * 1_000_000 + "\nnetwork: illinois200\ncampuses: 5\n",
        ["campuses", "5"],
    ),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
@pytest.mark.parametrize("command", ["run", "study"])
def test_unreadable_scenario_file_is_refused(tmp_path, case, command):
    text, expected = YAML_CASES[case]
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    started = time.perf_counter()
    res = CliRunner().invoke(app, [command, str(path), "--out", str(out)])
    _refused(res, out, expected, time.perf_counter() - started)


def test_other_unreadable_scenarios_are_refused(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    for target, expected in (
        (tmp_path / "latin1.yaml", "UTF-8"),
        (tmp_path, "folder"),
        (tmp_path / "nothere.yaml", "not found"),
    ):
        out = tmp_path / "out"
        started = time.perf_counter()
        res = CliRunner().invoke(app, ["run", str(target), "--out", str(out)])
        _refused(res, out, [expected], time.perf_counter() - started)


def test_bad_out_folders_are_refused(tmp_path):
    path = _scenario(tmp_path, [])
    afile = tmp_path / "afile"
    afile.write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for out in (afile, foreign):
        res = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
        assert res.exit_code == 2 and str(out.name) in "".join(res.output.split()), res.output
    assert afile.read_text() == "x" and (foreign / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--hours", "0"], "--hours"),
        (["profile", "--resolution", "7s"], "resolution"),
        (["figures", "EMPTY"], "holds no stage or sweep result"),
        (["run", "--no-such-option"], "--no-such-option"),
    ],
)
def test_bad_options_are_refused(tmp_path, args, expected):
    args = [str(tmp_path) if a == "EMPTY" else a for a in args]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and expected in " ".join(res.output.split()), res.output


ALIAS_BOMB = YAML_CASES["alias bomb"][0]
SWEEP_HEAD = "name: s\nscenario: scenario.yaml\nstages: [stress]\n"
SWEEP_CASES = {
    "axes given twice": (
        SWEEP_HEAD + "axes:\n  - {path: campuses.0.mw, values: [100, 200]}\n"
        "axes:\n  - {path: seed, values: [1, 2]}\n",
        ["'axes'", "twice"],
    ),
    "alias bomb": (ALIAS_BOMB, ["aliases"]),
    "not UTF-8": (SWEEP_HEAD.encode() + "description: caf\xe9\n".encode("latin-1"), ["UTF-8"]),
    "a grid of a million members": (
        SWEEP_HEAD + "axes:\n  - {path: campuses.0.mw, range: [100, 200], steps: 1000}\n"
        "  - {path: seed, range: [0, 999], steps: 1000, integer: true}\n",
        ["1,000,000", "10,000"],
    ),
    "a million samples": (
        SWEEP_HEAD + "axes:\n  - {path: campuses.0.mw, range: [100, 200]}\n"
        "design: {kind: latin_hypercube, samples: 1000000}\n",
        ["design.samples", "1000000"],
    ),
    "a member naming a missing file": (
        SWEEP_HEAD + "axes:\n  - path: campuses.0.profile\n"
        "    values: [{kind: constant}, {kind: csv, path: nothere.csv}]\n",
        ["member", "campuses.0.profile.path", "nothere.csv", "notfound"],
    ),
    "an axis no stage reads": (
        SWEEP_HEAD + "axes:\n  - {path: bills.wacc, values: [0.05, 0.07]}\n",
        ["axes.0", "bills.wacc", "changesnothing", "stress"],
    ),
    "an axis of one value": (
        SWEEP_HEAD + "axes:\n  - {path: campuses.0.mw, values: [300]}\n",
        ["axes.0", "campuses.0.mw", "changesnothing"],
    ),
}


@pytest.mark.parametrize("case", sorted(SWEEP_CASES))
def test_bad_sweep_file_is_refused_before_any_member_runs(tmp_path, case):
    """A sweep file has the scenario file's protections, its size is bounded and every member is
    checked before a cluster starts."""
    text, expected = SWEEP_CASES[case]
    _scenario(tmp_path, [])
    path = tmp_path / "sweep.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    out = tmp_path / "out"
    started = time.perf_counter()
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out)])
    _refused(res, out, expected, time.perf_counter() - started)


GOOD_SWEEP = SWEEP_HEAD + "axes:\n  - {path: campuses.0.mw, values: [100, 200]}\n"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--scheduler", "tcp://127.0.0.1:9"], ["--scheduler", "127.0.0.1:9", "10 s"]),
        (["--scheduler", "not-an-address"], ["--scheduler", "not-an-address", "tcp://host:port"]),
        (["--scheduler", "tcp://127.0.0.1:99999"], ["--scheduler", "65535"]),
        (["--out", "AFILE"], ["AFILE", "is a file"]),
    ],
)
def test_sweep_scheduler_and_out_are_checked_before_any_member_runs(tmp_path, options, expected):
    _scenario(tmp_path, [])
    path = tmp_path / "sweep.yaml"
    path.write_text(GOOD_SWEEP)
    afile = tmp_path / "AFILE"
    afile.write_text("mine")
    out = tmp_path / "out"
    options = [str(afile) if o == "AFILE" else o for o in options]
    args = ["sweep", str(path), *(["--out", str(out)] if "--out" not in options else []), *options]
    started = time.perf_counter()
    res = CliRunner().invoke(app, args)
    _refused(res, out, expected, time.perf_counter() - started)
    assert afile.read_text() == "mine"


def test_unusable_output_paths_and_cache_are_refused(tmp_path, monkeypatch):
    import os

    path = _scenario(tmp_path, [])
    long = tmp_path / ("o" * 300)
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(long)])
    assert res.exit_code == 2 and "300 bytes" in " ".join(res.output.split()), res.output
    assert "Traceback" not in res.output and not os.path.exists(long)
    # a cache that cannot be written (here: under a file; read-only mounts fail alike)
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("GRIDMODEL_CACHE", str(afile / "cache"))
    out = tmp_path / "out"
    started = time.perf_counter()
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    _refused(res, out, ["GRIDMODEL_CACHE", "afile/cache", "cannot be written"], time.perf_counter() - started)  # fmt: skip


@pytest.mark.parametrize("browser", ["/nonexistent/chromium", "/bin/false"])
def test_brief_pdf_without_a_usable_chromium_is_refused_before_any_solve(tmp_path, browser):
    path = _scenario(tmp_path, [])
    out = tmp_path / "out"
    started = time.perf_counter()
    res = CliRunner().invoke(app, ["brief", str(path), "--out", str(out), "--pdf"],
                             env={"GRIDMODEL_CHROMIUM": browser})  # fmt: skip
    _refused(res, out, ["--pdf", "Chromium", "nothing run"], time.perf_counter() - started)


def test_byte_order_marks_and_utc_offsets_are_read_as_documented(tmp_path):
    """Handled, not refused: a UTF-8 byte-order mark is dropped (in data and YAML files), and
    demand stamps with UTC offsets across the March DST change land on the same UTC hours as
    the same values stamped in UTC."""
    from gridmodel.data.eia930 import read_demand_file
    from gridmodel.datafiles import read_csv_columns
    from gridmodel.schema.loading import read_mapping

    plain = tmp_path / "plain.csv"
    plain.write_text("p_mw\n250.5\n260\n")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    np.testing.assert_array_equal(read_csv_columns(bom, ["p_mw"], "f"), [[250.5], [260.0]])
    scenario = tmp_path / "bom.yaml"
    scenario.write_bytes(b"\xef\xbb\xbfname: a\nnetwork: illinois200\n")
    assert read_mapping(scenario) == {"name": "a", "network": "illinois200"}

    # 2022-03-13 in Chicago: 00:00 and 01:00 CST (-06:00), then 03:00 CDT (-05:00)
    utc = pd.date_range("2022-03-13 06:00", periods=6, freq="h")
    local = utc.tz_localize("UTC").tz_convert("America/Chicago")
    mw = np.arange(6) * 100.0 + 40_000
    offsets, naive = tmp_path / "offsets.csv", tmp_path / "naive.csv"
    pd.DataFrame({"date_time": [t.isoformat() for t in local], "demand (MW)": mw}).to_csv(offsets, index=False)  # fmt: skip
    pd.DataFrame({"date_time": utc.strftime("%Y-%m-%d %H:%M:%S"), "demand (MW)": mw}).to_csv(naive, index=False)  # fmt: skip
    assert "-06:00" in offsets.read_text() and "-05:00" in offsets.read_text()
    read_offsets, read_naive = read_demand_file(offsets), read_demand_file(naive)
    assert read_offsets.time.equals(pd.DatetimeIndex(utc))
    assert read_offsets.time.equals(read_naive.time)
    np.testing.assert_array_equal(read_offsets.raw_mw, mw)
