"""Scenario sweeps on a real Dask LocalCluster (two worker processes on the loopback interface):
the sweep's results equal the same members run one by one, a failing member is recorded while the
others finish, a killed worker loses nothing, a re-run recomputes nothing, and a wrong axis path
stops the sweep before any member runs."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.schema import ScenarioError
from gridmodel.study import Study
from gridmodel.sweep import dask_client, load_sweep, run_sweep
from gridmodel.sweep.metrics import member_metrics
from gridmodel.sweep.run import member_folder, run_members

runner = CliRunner()

# ohio-capacity-bills on illinois200: bills only, about a second a member without Monte Carlo
BILLS = {
    "name": "bills-test",
    "scenario": "ohio-capacity-bills",
    "changes": {"bills.monte_carlo": None},
    "axes": [
        {"path": "bills.wacc", "name": "wacc", "values": [0.06, 0.09]},
        {
            "path": ["bills.allocation.generation", "bills.allocation.transmission"],
            "name": "allocation",
            "values": ["1cp", "12cp"],
        },  # fmt: skip
    ],
    "stages": ["bills"],
}
# illinois200 grid stress: two sites x two campus sizes, 6 hours, N-0 hosting capacity
STRESS = {
    "name": "stress-test",
    "scenario": {
        "name": "illinois-base",
        "network": "illinois200",
        "period": {"start_hour": 4800, "hours": 6},
        "campuses": [{"name": "dc", "site": "springfield-230", "mw": 300}],
        "study": {
            "contingencies": None,
            "hosting_capacity": {"hours": 2, "max_mw": 2000, "tolerance_percent": 5, "n1": False},
        },
    },
    "axes": [
        {
            "path": "campuses.0.site",
            "name": "site",
            "values": ["springfield-230", "bartonville-230"],
        },  # fmt: skip
        {"path": "campuses.0.mw", "name": "campus_mw", "values": [200, 400]},
    ],
}


def _write(tmp_path, data, name="sweep.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def bills_serial(tmp_path_factory):
    """The BILLS members run one by one in this process: (plan, metrics by member id)."""
    plan = load_sweep(_write(tmp_path_factory.mktemp("bills"), BILLS))
    return plan, _serial(plan)


def _serial(plan) -> dict[str, xr.Dataset]:
    """Each distinct member run on its own, in this process, without Dask or a cache."""
    out = {}
    for member in plan.distinct.values():
        results = Study(member.scenario).run_all(plan.stages)
        out[member.id] = member_metrics(results)
    return out


def _assert_equal_to_serial(ds: xr.Dataset, serial: dict[str, xr.Dataset]) -> None:
    for k, mid in enumerate(ds.member_id.to_numpy()):
        row = ds.isel(member=k)
        for name, expected in serial[str(mid)].data_vars.items():
            got = row[name].reindex_like(expected) if expected.dims else row[name]
            np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, err_msg=name)  # fmt: skip


def _stage_files(out):
    return {p: p.stat().st_mtime_ns for p in (out / "members").rglob("*.nc")}


def test_bundled_sweeps_validate():
    from gridmodel.resources import bundled_dir

    paths = sorted(bundled_dir("scenarios").glob("*-sweep.yaml"))
    assert len(paths) >= 2
    for path in paths:
        assert path.read_text().startswith("#")  # opens with the question it answers
        plan = load_sweep(path)
        assert len(plan.distinct) == len(plan.members) >= 16


def test_misspelt_axis_path_fails_before_any_member_runs(tmp_path):
    data = {**BILLS, "axes": [{"path": "bills.wac", "values": [0.06, 0.08]}]}
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(_write(tmp_path, data)), "--out", str(out)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "axes.0.path" in text and "'bills' has no field 'wac'" in text and "wacc" in text
    assert not out.exists()
    # a list index past the end, a wrong value of one member
    bad = {**BILLS, "axes": [{"path": "bills.large_loads.3.materialisation", "values": [0.5]}]}
    with pytest.raises(ScenarioError, match=r"bills\.large_loads.*list of 1 item.*'3'"):
        load_sweep(_write(tmp_path, bad))
    bad = {**BILLS, "axes": [{"path": "bills.wacc", "values": [0.06, 0.5]}]}
    with pytest.raises(
        ScenarioError,
        match=r"(?s)member m-\w+ \(bills\.wacc=0\.5\).*field .bills\.wacc.*less than 0\.3",
    ):
        load_sweep(_write(tmp_path, bad))


def test_members_reading_a_dataset_are_checked_by_its_file_names(tmp_path):
    """The demand files of a section that names a dataset are the dataset's file names, not
    paths: every member is checked and none is refused for them, while a member naming a file
    the dataset lacks is refused before any runs."""
    years = [[2016, 2017, 2018], [2022, 2023, 2024]]
    data = {"name": "headroom-test", "scenario": "ercot-headroom", "stages": ["headroom"],
            "axes": [{"path": "headroom.years", "name": "years", "values": years}]}  # fmt: skip
    assert len(load_sweep(_write(tmp_path, data)).distinct) == 2
    files = [["cleaned/ERCO_2016_2019.csv"], ["cleaned/ERCOT.csv"]]
    data["axes"].append({"path": "headroom.demand.files", "name": "files", "values": files})
    with pytest.raises(ScenarioError, match=r"member m-\w+ \(.*files=.*ERCOT\.csv.*\).*'eia930/cleaned/ERCOT\.csv' is not a registered data file"):  # fmt: skip
        load_sweep(_write(tmp_path, data))


def test_wrong_site_fails_before_any_member_runs(client, tmp_path):
    data = {**STRESS, "axes": [{"path": "campuses.0.site", "values": ["springfield-230", "nowhere"]}]}  # fmt: skip
    with pytest.raises(ScenarioError, match=r"member m-\w+ \(campuses\.0\.site='nowhere'\).*campuses\.0\.site.*nowhere"):  # fmt: skip
        load_sweep(_write(tmp_path, data))
    # a class-load file of one day: present, so the sweep file validates, but too short for the
    # bills of the members that take it, which refuse it before any member runs
    day = tmp_path / "classes.csv"
    pd.DataFrame({c: np.full(24, 100.0) for c in ("residential", "commercial", "industrial")}).to_csv(day, index=False)  # fmt: skip
    axes = [BILLS["axes"][0], {"path": "bills.classes.csv", "name": "classes", "values": [None, str(day)]}]  # fmt: skip
    plan = load_sweep(_write(tmp_path, {**BILLS, "axes": axes}))
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match=r"member m-\w+ \(.*classes=.*\): field 'bills\.classes\.csv'.*24 rows"):  # fmt: skip
        run_members(plan, out, client)
    assert not out.exists()


def test_sampled_designs_are_seeded_and_stratified(tmp_path):
    axes = [{"path": "bills.wacc", "range": [0.05, 0.10]},
            {"path": "seed", "range": [0, 9], "integer": True}]  # fmt: skip
    data = {**BILLS, "axes": axes, "design": {"kind": "latin_hypercube", "samples": 10, "seed": 3}}
    first = load_sweep(_write(tmp_path, data))
    again = load_sweep(_write(tmp_path, data, "again.yaml"))
    assert [m.values for m in first.members] == [m.values for m in again.members]
    wacc = np.array([m.values["bills.wacc"] for m in first.members])
    # a Latin hypercube puts exactly one member in each tenth of every axis
    assert sorted(np.floor((wacc - 0.05) / 0.005).astype(int)) == list(range(10))
    assert sorted(m.values["seed"] for m in first.members) == list(range(10))
    assert all(m.scenario.bills.wacc == m.values["bills.wacc"] for m in first.members)


def test_stress_sweep_equals_serial_and_resumes(client, tmp_path):
    plan = load_sweep(_write(tmp_path, STRESS))
    out = tmp_path / "out"
    ds = run_sweep(plan, out, client)
    assert (ds.status == "ok").all(), ds.error.values
    assert ds.sizes["member"] == 4 and set(ds.site.values) == {"springfield-230", "bartonville-230"}
    _assert_equal_to_serial(ds, _serial(plan))
    assert (ds.stress_hosting_capacity_n_0 > 0).all()
    assert (out / "sweep" / "figures" / "siting_map.png").exists()
    assert (out / "sweep" / "figures" / "stress_response.png").exists()

    before = _stage_files(out)
    results, _ = run_members(plan, out, client)
    assert all(r.ok and r.ran == [] for r in results.values())  # nothing recomputed
    assert _stage_files(out) == before  # nor rewritten


def test_bills_sweep_shares_inputs_and_records_a_failing_member(client, bills_serial, tmp_path):
    # the members at 12CP cannot write their folder (a file stands in its place): they fail in
    # the worker, the others finish
    path = _write(tmp_path, BILLS)
    plan = load_sweep(path)
    out = tmp_path / "out"
    blocked = [m for m in plan.distinct.values() if m.values["allocation"] == "12cp"]
    for member in blocked:
        member_folder(out, member.id).parent.mkdir(parents=True, exist_ok=True)
        member_folder(out, member.id).write_text("not a folder")
    results, shared = run_members(plan, out, client)
    assert len(shared.networks) == 1 and len(shared.inputs) == 1  # four members, one input key
    ok = [r for r in results.values() if r.ok]
    assert len(ok) == 2, [r.error for r in results.values()]
    assert all("inputs" not in r.timings for r in ok)  # none rebuilt its inputs

    # through the command line, on the same cluster: exit 5 (partial), the failures recorded
    address = client.scheduler.address
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--scheduler", address])
    assert result.exit_code == 5, result.output
    ds = xr.open_dataset(out / "sweep" / "sweep.nc")
    failed = ds.status.to_numpy() == "failed"
    assert sorted(ds.member_id.to_numpy()[failed]) == sorted(m.id for m in blocked)
    for mid, error in zip(
        ds.member_id.to_numpy()[failed], ds.error.to_numpy()[failed], strict=True
    ):
        assert mid in error, error  # the folder it could not write
    assert np.isnan(ds.bills_report_year.to_numpy()[failed]).all()
    failures = pd.read_csv(out / "sweep" / "failures.csv", comment="#")
    assert len(failures) == 2
    _assert_equal_to_serial(ds.isel(member=np.flatnonzero(~failed)), bills_serial[1])


def test_what_a_killed_sweep_left_is_removed_by_the_next_run(client, bills_serial, tmp_path):
    """A sweep killed (SIGKILL) while members write leaves staging folders with half-written
    NetCDF files in member folders and beside `sweep/`; the next run removes them before any
    member runs, under the folder's lock, and completes every member."""
    plan = load_sweep(_write(tmp_path, BILLS))
    out = tmp_path / "out"
    member = member_folder(out, plan.members[0].id)
    (member / ".bills.staging-k1ll").mkdir(parents=True)
    (member / ".bills.staging-k1ll" / "bills.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    (out / ".sweep.staging-k1ll").mkdir()
    (out / ".sweep.staging-k1ll" / "sweep.nc").write_bytes(b"\x89HDF\r\n\x1a\n")
    (member / ".bills.nc.abc.tmp").write_bytes(b"\x89HDF")
    ds = run_sweep(plan, out, client, figures=False)
    assert (ds.status == "ok").all(), ds.error.values
    assert [p.name for p in out.rglob(".*")] == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".out.lock"]
    _assert_equal_to_serial(ds, bills_serial[1])


def _kill_a_busy_worker(client, timeout: float = 120.0) -> str:
    """SIGKILL the process of a worker while it runs a member; the member's key."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            busy = [str(k) for k in keys if str(k).startswith("member-")]
            if busy:
                pid = client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)
                return busy[0]
        time.sleep(0.02)
    raise AssertionError("no member was seen running")


def _sweep_in_thread(plan, out, client):
    box = {}

    def sweep():
        try:
            box["ds"] = run_sweep(plan, out, client, figures=False)
        except Exception as err:  # re-raised by the test through box["ds"]
            box["error"] = err

    thread = threading.Thread(target=sweep)
    thread.start()
    return thread, box


def test_killed_worker_member_is_retried_on_another_worker(client, bills_serial, tmp_path):
    plan, serial = bills_serial
    out = tmp_path / "out"
    thread, box = _sweep_in_thread(plan, out, client)
    killed = _kill_a_busy_worker(client)
    thread.join(timeout=600)
    ds = box.get("ds")
    assert ds is not None, box.get("error")
    assert (ds.status == "ok").all(), (killed, ds.error.values)
    _assert_equal_to_serial(ds, serial)
    client.wait_for_workers(2, timeout=120)  # the nanny has restarted the killed worker


def test_member_lost_with_its_worker_is_recorded_and_rerun_completes(client, bills_serial, tmp_path):  # fmt: skip
    plan, serial = bills_serial
    out = tmp_path / "out"
    scheduler = client.cluster.scheduler
    allowed = scheduler.allowed_failures
    scheduler.allowed_failures = 0  # the first worker death fails the member
    try:
        thread, box = _sweep_in_thread(plan, out, client)
        _kill_a_busy_worker(client)
        thread.join(timeout=600)
    finally:
        scheduler.allowed_failures = allowed
    ds = box.get("ds")
    assert ds is not None, box.get("error")
    lost = set(ds.member_id.to_numpy()[ds.status.to_numpy() == "failed"].tolist())
    assert lost and all("KilledWorker" in e for e in ds.error.to_numpy() if e)
    done = set(plan.distinct) - lost
    client.wait_for_workers(2, timeout=120)
    files = {p: t for p, t in _stage_files(out).items() if p.parent.parent.name in done}
    again = run_sweep(plan, out, client, figures=False)
    assert (again.status == "ok").all()
    rerun = {str(m) for m, s in zip(again.member_id.to_numpy(), again.stages_run.to_numpy(), strict=True) if s}  # fmt: skip
    # only lost members ran again (one the worker had finished writing just before its death
    # is read back)
    assert rerun and rerun <= lost
    assert all(p.stat().st_mtime_ns == t for p, t in files.items())
    assert all((member_folder(out, m) / "bills" / "bills.nc").exists() for m in plan.distinct)
    _assert_equal_to_serial(again, serial)
