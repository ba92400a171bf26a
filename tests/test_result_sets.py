"""Result sets are replaced whole: a run killed while it writes over an earlier result leaves the
complete old set or the complete new one, and the next run leaves no debris."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from typer.testing import CliRunner

from gridmodel.cli import app

SCENARIO = {
    "name": "kill-test",
    "network": "illinois200",
    "period": {"start_hour": 4700, "hours": 24},
    "campuses": [{"name": "dc", "site": "springfield-230", "mw": 300}],
    "study": {"contingencies": None, "hosting_capacity": None},
}


def _gridmodel(*args: str) -> list[str]:
    return [sys.executable, "-m", "gridmodel.cli", *args]


def _write(folder: Path, name: str, hours: int) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**SCENARIO, "name": name, "period": {"start_hour": 4700, "hours": hours}}))  # fmt: skip
    return path


def _whole_set(out: Path) -> str:
    """The scenario name of the complete result set in ``out`` (every file the manifest lists is
    there with its size and checksum, and nothing else is)."""
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    listed = set(manifest["files"])
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert present - {"manifest.json"} == listed, "files outside the manifest"
    for rel, entry in manifest["files"].items():
        data = (out / rel).read_bytes()
        assert len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == entry["sha256"], (
            rel
        )
    return manifest["scenario"]


def test_a_killed_run_leaves_the_old_set_or_the_new_one(tmp_path):
    """Runs that alternate between two scenarios over the same folder, each killed (SIGKILL) at
    another point of its work, writing included."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    sets = {"set-a": _write(tmp_path, "set-a", 24), "set-b": _write(tmp_path, "set-b", 12)}
    out = tmp_path / "out"
    first = subprocess.run(_gridmodel("run", str(sets["set-a"]), "--out", str(out)), env=env, capture_output=True, text=True)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    current = _whole_set(out)
    started = time.perf_counter()
    subprocess.run(_gridmodel("run", str(sets["set-b"]), "--out", str(tmp_path / "timing")), env=env, capture_output=True, check=True)  # fmt: skip
    full = time.perf_counter() - started
    for share in (0.6, 0.9, 1.0):
        target = "set-b" if current == "set-a" else "set-a"
        proc = subprocess.Popen(_gridmodel("run", str(sets[target]), "--out", str(out)), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(share * full)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcome = _whole_set(out)
        assert outcome in (current, target)
        current = outcome
    # a run after the kills cleans what they left and lands whole
    last = subprocess.run(_gridmodel("run", str(sets["set-b"]), "--out", str(out)), env=env, capture_output=True, text=True)  # fmt: skip
    assert last.returncode == 0, last.stdout + last.stderr
    assert _whole_set(out) == "set-b"
    _no_debris(tmp_path, out)


def _no_debris(folder: Path, out: Path) -> None:
    """Nothing beside or inside ``out`` but its results and its lock file, which is free."""
    from filelock import FileLock

    debris = [p.name for p in folder.iterdir() if p.name.startswith(f".{out.name}.")]
    debris += [p.name for p in out.rglob(".*")]
    assert debris == [f".{out.name}.lock"]
    with FileLock(folder / f".{out.name}.lock").acquire(timeout=0):
        pass


def test_a_terminated_run_leaves_the_old_set(tmp_path):
    """SIGTERM (a scheduler's or a user's Ctrl-C) during the power flow: nothing of the new run
    remains, not even its staging folder."""
    old, new = _write(tmp_path, "old-set", 12), _write(tmp_path, "new-set", 24)
    out = tmp_path / "out"
    subprocess.run(_gridmodel("run", str(old), "--out", str(out)), capture_output=True, check=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(_gridmodel("run", str(new), "--out", str(out)), text=True, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    for line in proc.stdout:  # the stage has started: its staging folder is in place
        if "stress: running" in line:
            break
    assert list(tmp_path.glob(".out.staging-*"))
    proc.send_signal(signal.SIGTERM)
    proc.stdout.read()
    assert proc.wait(timeout=60) != 0
    assert _whole_set(out) == "old-set"
    _no_debris(tmp_path, out)


def test_a_rerun_drops_results_of_another_scenario(tmp_path):
    """A result of another scenario (stale files of an earlier run) does not survive a new run
    into the same folder."""
    first = _write(tmp_path, "first", 12)
    data = yaml.safe_load(first.read_text())
    data["events"] = {
        "oscillation": None,
        "window_s": 5,
        "lost_mw": [100],
        "trajectories_mw": [100],
    }
    first.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["study", str(first), "--out", str(out)]).exit_code == 0
    assert (out / "events").is_dir()
    second = _write(tmp_path, "second", 6)
    assert runner.invoke(app, ["run", str(second), "--out", str(out)]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "stress"]
    assert _whole_set(out) == "second"


def _lines_until(proc: subprocess.Popen, text: str) -> str:
    """Read ``proc``'s output until a line holding ``text`` (everything read so far)."""
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            break
    return "".join(seen)


def test_two_runs_into_one_folder_follow_one_another(tmp_path):
    """`run` and `bills` started together into one folder: the second waits for the first, then
    works on what it left, so neither result is lost and the manifest is true for every file."""
    path = tmp_path / "both.yaml"
    bills = {"years": 5, "baseline": {"region": "ohio"}, "monte_carlo": None,
             "large_loads": [{"campus": "dc"}]}  # fmt: skip
    short = {"start_hour": 4700, "hours": 6}
    path.write_text(yaml.safe_dump({**SCENARIO, "name": "both", "period": short, "bills": bills}))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    first = subprocess.Popen(_gridmodel("run", str(path), "--out", str(out)), text=True, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    head = _lines_until(first, "stress: running")  # the first holds the folder's lock
    second = CliRunner().invoke(app, ["bills", str(path), "--out", str(out)])
    rest = first.stdout.read()
    assert first.wait(timeout=60) == 0, head + rest
    assert second.exit_code == 0, second.output
    assert "waiting for it to finish" in " ".join(second.output.split())
    assert _whole_set(out) == "both"
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["stages"]) == ["bills", "stress"]
    _no_debris(tmp_path, out)


def test_brief_then_runs_leave_a_true_manifest(tmp_path):
    """`brief a` then `run` of a scenario with the same grid inputs keeps the brief (its stage
    results are unchanged) under its own scenario; `run b` with another campus replaces the stage
    result, and the brief written from the old one goes."""
    runner = CliRunner()
    a = _write(tmp_path, "brief-a", 6)
    out = tmp_path / "out"
    res = runner.invoke(app, ["brief", str(a), "--out", str(out), "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert (out / "brief.html").is_file() and _whole_set(out) == "brief-a"
    brief_entry = json.loads((out / "manifest.json").read_text())["brief"]
    assert brief_entry["scenario"] == "brief-a" and list(brief_entry["stages"]) == ["stress"]

    same_grid = _write(tmp_path, "renamed-a", 6)  # another name, the same stress inputs
    res = runner.invoke(app, ["run", str(same_grid), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _whole_set(out) == "renamed-a"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["brief"] == brief_entry  # still the brief of scenario A, and said so
    assert manifest["stages"]["stress"]["scenario"] == "brief-a"  # reused, computed for A
    assert manifest["files"]["brief.html"]["part"] == "brief"

    b = tmp_path / "b.yaml"
    data = yaml.safe_load(same_grid.read_text())
    data["name"], data["campuses"][0]["mw"] = "set-b", 150
    b.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["run", str(b), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _whole_set(out) == "set-b"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "brief" not in manifest and not (out / "brief.html").exists()
    assert manifest["stages"]["stress"]["scenario"] == "set-b"
    _no_debris(tmp_path, out)


def test_a_run_through_a_symlinked_out_writes_behind_the_link(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    res = CliRunner().invoke(app, ["run", str(_write(tmp_path, "linked", 6)), "--out", str(link)])
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert _whole_set(target) == "linked"
    _no_debris(tmp_path, target)


def test_a_hung_browser_is_killed_with_its_children(tmp_path):
    """Chromium runs in a process group of its own: on a timeout the group is killed, helper
    processes included (here a shell whose child would outlive it)."""
    from gridmodel.brief.browser import run_in_group

    pid_file = tmp_path / "pid"
    script = f"echo $$ > {pid_file}; sleep 300 & sleep 300"
    started = time.perf_counter()
    try:
        run_in_group(["sh", "-c", script], timeout_s=1.0)
    except subprocess.TimeoutExpired:
        pass
    else:
        raise AssertionError("the hung command returned")
    assert time.perf_counter() - started < 30
    group = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"process group {group} still has processes")
