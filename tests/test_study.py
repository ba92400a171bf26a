"""The study spine: one chain of stages on illinois200, its links, its cache and its outputs."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.inputs import build_inputs
from gridmodel.schema import parse_scenario
from gridmodel.study import STAGES, Study

#: Three days around illinois200's 2017 peak (17 July 15:00): with the campus the fleet needs new
#: capacity, a transmission branch comes near its rating and the dispatch sheds about 10 MW in a
#: few peak hours (priced anyway: `allow_unserved_energy`).
CHAIN = {
    "name": "chain-test",
    "network": "illinois200",
    "period": {"start_hour": 4707, "hours": 72},
    "campuses": [{"name": "dc", "site": "springfield-230", "mw": 400}],
    "dispatch": {"rule": "economic", "allow_unserved_energy": True},
    "study": {"contingencies": None, "hosting_capacity": None},
    "events": {
        "hour": "peak",
        "systems": ["ercot"],
        "fault": {"site": "springfield-230"},
        "window_s": 30,
        "oscillation": None,
        "lost_mw": [400],
        "trajectories_mw": [400],
    },
    "optimize": {
        "expansion": {
            "network": "zonal",
            "technologies": ["frame_ct", "battery"],
            "typical_periods": 2,
        },
        "campus": {
            "technologies": ["recip", "battery"],
            "grid": {"price_usd_per_mwh": "lmp", "transmission_4cp_usd_per_kw_yr": 150},
        },
    },  # fmt: skip
    "bills": {
        "years": 8,
        "baseline": {"region": "ohio"},
        "allocation": {"generation": "1cp", "transmission": "1cp"},
        "procurement": {"market": "vertically_integrated"},
        "transmission": {"reinforce_overloads": True},
        "large_loads": [{"campus": "dc", "first_year": 1, "ramp_years": 4}],
        "monte_carlo": None,
    },
}


def _write(folder: Path, data: dict) -> Path:
    path = folder / "chain.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """`gridmodel study` of the chain scenario: (folder written, scenario path)."""
    folder = tmp_path_factory.mktemp("chain")
    path = _write(folder, CHAIN)
    res = CliRunner().invoke(app, ["study", str(path), "--out", str(folder / "out")])
    assert res.exit_code == 0, res.output
    return folder / "out", path


def _tree(out: Path, stage: str) -> xr.DataTree:
    from gridmodel.output import read_stage

    return read_stage(out, stage)


def _copy(out: Path, tmp_path: Path) -> Path:
    target = tmp_path / "out"
    shutil.copytree(out, target)
    return target


# ---------------------------------------------------------------------------------------------
# One chain, two ways


def test_study_command_equals_the_stages_called_one_by_one(chain):
    from gridmodel.dynamics.run import events
    from gridmodel.optimize.run import optimize
    from gridmodel.rates.run import bills
    from gridmodel.stress.run import stress

    out, _ = chain
    inputs = build_inputs(parse_scenario(copy.deepcopy(CHAIN)))
    s = stress(inputs)
    e = events(inputs, s)
    o = optimize(inputs, s)
    b = bills(inputs, s, o)
    stored = {name: _tree(out, name) for name in ("stress", "events", "optimize", "bills")}
    for name in ("vm_pu", "loading_percent", "lmp_usd_per_mwh", "gen_p_mw"):
        xr.testing.assert_allclose(stored["stress"]["timeseries"][name], s["timeseries"][name])
    xr.testing.assert_allclose(stored["events"]["cascade"].vm_pu, e["cascade"].vm_pu)
    for group in ("expansion", "expansion_without_campus", "campus"):
        np.testing.assert_allclose(
            stored["optimize"][group].cost_usd_per_yr, o[group].cost_usd_per_yr, rtol=1e-9
        )
    xr.testing.assert_allclose(
        stored["bills"]["cases"].residential_bill_usd_per_month,
        b["cases"].residential_bill_usd_per_month,
    )


# ---------------------------------------------------------------------------------------------
# The links


def test_new_generation_in_the_bills_is_the_optimisers_build_by_vintage(chain):
    """Each year the bills carry the optimiser's annualised build cost (with the campus minus
    the no-campus twin) for the share of the campus the forecast needs by then (lead 2 years,
    ramp 4 years from year 1: 1/2, 3/4, then all of it)."""
    out, _ = chain
    opt, bills = _tree(out, "optimize"), _tree(out, "bills")
    cost = float(opt["expansion"].fixed_cost_usd_per_yr.sum())
    cost -= float(opt["expansion_without_campus"].fixed_cost_usd_per_yr.sum())
    mw = float(opt["expansion"].capacity_mw.sum() - opt["expansion_without_campus"].capacity_mw.sum())  # fmt: skip
    assert mw > 50 and cost > 0  # the campus makes the fleet build
    case = bills["cases"].sel(case="as_forecast")
    paid = case.allocated_usd.sel(component="new_generation").sum("class").to_numpy()
    share = np.minimum(1.0, np.maximum(0, np.arange(8) + 2 - 1 + 1) / 4)
    np.testing.assert_allclose(paid, cost * share, rtol=1e-9)
    np.testing.assert_allclose(case.new_generation_mw.to_numpy(), mw * share, rtol=1e-9)


def test_peak_avoidance_is_the_on_site_share_at_the_allocators_peak_hour(chain):
    """The 1CP hour of the year (system plus campus), and the campus dispatch in that hour:
    the share served on site is what the bills use."""
    out, _ = chain
    inputs = build_inputs(parse_scenario(copy.deepcopy(CHAIN)))
    system = (inputs.inputs.system_load_mw + inputs.inputs.campus_p_mw.sum("campus")).to_numpy()
    peak = inputs.inputs.time.values[int(np.argmax(system))]
    campus = _tree(out, "optimize")["campus"].to_dataset()
    at_peak = campus.sel(time=peak)
    expected = 1.0 - float(at_peak.grid_mw) / float(at_peak.load_mw)
    used = _tree(out, "bills")["links"].attrs["btm_peak_avoidance_dc"]
    assert used == pytest.approx(expected, abs=1e-9)
    # the dispatch does not serve every hour on site: picking another hour would differ
    share = 1.0 - campus.grid_mw / campus.load_mw
    assert float(share.min()) < expected - 0.5


def _reinforcement_mw(out: Path) -> tuple[float, float]:
    """(MW the bills reinforce, the same from the stored loadings by hand). One rule: the bills
    reinforce exactly the branches the stress audit charges to the campus (new or worsened)."""
    stress, links = _tree(out, "stress"), _tree(out, "bills")["links"]
    ts = stress["timeseries"]
    audit = stress["overloads"].to_dataset().to_dataframe()
    charged = audit[audit.status.isin(["new", "worsened"])].branch.to_numpy()
    limit = stress.attrs["loading_limit_percent"]
    above = ts.loading_percent - np.maximum(limit, ts.loading_percent_without_campus)
    mw = (above.max("time").clip(min=0) / 100 * ts.rate_a_mva).sel(branch=charged)
    assert set(links.branch.values) == set(mw.branch.values[mw.values > 0])
    return float(links.overload_mw.sum()), float(mw.sum())


def test_a_tighter_loading_limit_prices_more_reinforcement(chain, tmp_path):
    out, _ = chain
    at_100, by_hand = _reinforcement_mw(out)
    assert at_100 == pytest.approx(by_hand, rel=1e-6)
    tighter = copy.deepcopy(CHAIN)
    tighter["study"]["loading_limit_percent"] = 90.0
    copied = _copy(out, tmp_path)
    study = Study(parse_scenario(tighter), cache=copied, figures=False)
    study.run("bills")
    # the limit reaches the bills through stress (and the campus prices, through optimize)
    assert study.ran == ["stress", "optimize", "bills"]
    at_90, by_hand = _reinforcement_mw(copied)
    assert at_90 == pytest.approx(by_hand, rel=1e-6)
    assert at_90 > at_100
    bills = _tree(copied, "bills")["cases"].sel(case="as_forecast")
    before = _tree(out, "bills")["cases"].sel(case="as_forecast")
    assert float(bills.allocated_usd.sel(component="new_transmission").sum()) > float(
        before.allocated_usd.sel(component="new_transmission").sum()
    )


# ---------------------------------------------------------------------------------------------
# The cache


def test_an_unchanged_study_runs_no_stage_again(chain):
    out, path = chain
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.nc")}
    study = Study.from_yaml(path, cache=out)
    results = study.run_all()
    assert study.ran == [] and set(results) == set(study.plan())
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.nc")} == stamps


@pytest.mark.parametrize(
    ("field", "value", "rerun"),
    [
        ("bills.wacc", 0.07, ["bills"]),
        ("optimize.costs.gas_usd_per_mmbtu", 5.0, ["optimize", "bills"]),
        ("campuses.0.mw", 350.0, ["stress", "events", "optimize", "bills"]),
    ],
)
def test_a_change_reruns_exactly_the_stages_downstream_of_it(chain, tmp_path, field, value, rerun):
    from gridmodel.schema.loading import set_field

    out, _ = chain
    changed = copy.deepcopy(CHAIN)
    set_field(changed, field, value)
    study = Study(parse_scenario(changed), cache=_copy(out, tmp_path), figures=False)
    study.run_all()
    assert study.ran == rerun


# ---------------------------------------------------------------------------------------------
# Outputs


def test_every_output_carries_provenance_datetime_time_and_case_bus_numbers(chain):
    from PIL import Image

    from gridmodel.output import PROVENANCE, STAGE_FILES

    out, _ = chain
    buses = set(build_inputs(parse_scenario(copy.deepcopy(CHAIN))).network.buses.bus.tolist())
    files = list(out.rglob("*.nc"))
    assert {f.name for f in files} == {STAGE_FILES[s] for s in STAGES if (out / s).is_dir()}
    for path in files:
        with xr.open_datatree(path) as tree:
            assert all(tree.attrs.get(key) for key in PROVENANCE), path
            assert yaml.safe_load(tree.attrs["scenario_text"])["name"] == "chain-test"
            for node in tree.subtree:
                ds = node.dataset
                if "time" in ds.coords:
                    assert np.issubdtype(ds.time.dtype, np.datetime64), (path, node.path)
                if "bus" in ds.coords:
                    assert set(ds.bus.values.tolist()) <= buses, (path, node.path)
    for path in out.rglob("*.csv"):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# gridmodel ") and "chain-test" in first, path
        assert len(pd.read_csv(path, comment="#").columns) > 0
    (scenario_hash,) = {xr.open_datatree(p).attrs["scenario_hash"] for p in files}
    for path in out.rglob("*.png"):
        assert scenario_hash in Image.open(path).text["Description"], path


BAD = {
    "unknown network": ({"network": "atlantis"}, "network", "atlantis"),
    "misspelt field": ({"campuses": [{"name": "dc", "site": "springfield-230", "megawatts": 4}]},
                       "campuses.0.megawatts", "4"),
    "unknown site": ({"campuses": [{"name": "dc", "site": "nowhere", "mw": 400}]},
                     "campuses.0.site", "nowhere"),
}  # fmt: skip
COMMANDS = ["run", "profile", "events", "optimize", "bills", "study", "headroom"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("bad", sorted(BAD))
def test_the_same_bad_scenario_is_refused_by_every_command(tmp_path, command, bad):
    change, field, value = BAD[bad]
    path = _write(tmp_path, {**copy.deepcopy(CHAIN), **change})
    res = CliRunner().invoke(app, [command, str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "Traceback" not in res.output and field in text and value in text, text
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# Architecture


def test_import_layers_hold():
    """The import-linter contracts in pyproject.toml: layers, no stage drawing or writing, a
    schema that imports no stage, no import loops."""
    root = Path(__file__).resolve().parents[1]
    lint = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint)], cwd=root, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_importing_gridmodel_leaves_matplotlib_alone():
    code = (
        "import matplotlib as mpl; backend = mpl.get_backend(); size = mpl.rcParams['font.size'];"
        "import gridmodel.cli, gridmodel.study, gridmodel.output, gridmodel.report.style;"
        "assert mpl.get_backend() == backend and mpl.rcParams['font.size'] == size"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_figures_are_redrawn_from_the_files_alone(chain, tmp_path):
    out, _ = chain
    copied = _copy(out, tmp_path)
    before = sorted(p.relative_to(copied) for p in copied.rglob("figures/*"))
    for folder in copied.glob("*/figures"):
        shutil.rmtree(folder)
    res = CliRunner().invoke(app, ["figures", str(copied)])
    assert res.exit_code == 0, res.output
    assert sorted(p.relative_to(copied) for p in copied.rglob("figures/*")) == before
    manifest = yaml.safe_load((copied / "manifest.json").read_text())
    listed = {Path(f) for f in manifest["files"]}
    assert set(before) <= listed
