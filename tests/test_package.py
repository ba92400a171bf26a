"""The package a stranger installs: its options, its data files (shipped or fetched, each checked
against its SHA-256), the sources its defaults cite, its types and its wheel."""

from __future__ import annotations

import csv
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import gridmodel
from gridmodel import datasets
from gridmodel.cli import app
from gridmodel.resources import bundled_dir

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


# ---------------------------------------------------------------------------------------------
# Options


def test_set_options_applies_inside_the_block_and_restores_after(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDMODEL_THREADS", "3")
    assert gridmodel.get_options()["threads"] == 3  # the environment variable is the default
    with gridmodel.set_options(threads=1, cache_dir=tmp_path / "c"):
        from gridmodel.powerflow.batch import SolverOptions
        from gridmodel.resources import cache_dir

        assert SolverOptions().n_threads() == 1
        assert cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()
    assert gridmodel.get_options()["threads"] == 3
    monkeypatch.delenv("GRIDMODEL_THREADS")
    assert gridmodel.get_options()["threads"] is None


@pytest.mark.parametrize(
    "options, message",
    [({"thread": 2}, "unknown option 'thread'"), ({"threads": 0}, "at least 1"),
     ({"threads": True}, "whole number"), ({"cache_dir": 3}, "must be a path")],
)  # fmt: skip
def test_set_options_refuses_what_it_cannot_use(options, message):
    with pytest.raises(ValueError, match=message):
        gridmodel.set_options(**options)
    assert gridmodel.get_options()["threads"] in (None, int(os.environ.get("GRIDMODEL_THREADS", 0)) or None)  # fmt: skip


def test_study_at_the_top_level_with_a_short_repr():
    study = gridmodel.Study.from_yaml("ercot-headroom", progress=False)
    text = repr(study)
    assert text.startswith("<gridmodel.Study 'ercot-headroom': network texas2000")
    assert "stages headroom" in text and "results none" in text and len(text) < 200


# ---------------------------------------------------------------------------------------------
# Data files


def test_every_shipped_copy_unpacks_to_its_registered_bytes():
    """The xz copies in data/ are the registered files byte for byte (size and SHA-256)."""
    shipped = [e for e in datasets.registry().values() if e.how == "shipped"]
    assert len(shipped) >= 4
    for item in shipped:
        data = lzma.decompress(item.shipped_copy.read_bytes())
        assert len(data) == item.bytes
        import hashlib

        assert hashlib.sha256(data).hexdigest() == item.sha256, item.key


def test_every_fetched_file_names_a_public_url_and_every_dataset_its_source_and_licence():
    for item in datasets.registry().values():
        if item.how == "fetched":
            assert re.match(r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/", item.url)  # fmt: skip
        assert item.licence and re.fullmatch(r"[0-9a-f]{64}", item.sha256)
    for name in datasets.datasets():
        folder = bundled_dir("data") / name
        assert (folder / "SOURCE.md").is_file() and list(folder.glob("LICENSE*"))


def test_a_fetched_file_comes_from_the_mirror_checked_and_a_bad_copy_is_refused(tmp_path):
    item = datasets.entry("eia930/cleaned/ERCO-WEST.csv")
    mirror = os.environ.get("GRIDMODEL_DATA_MIRROR")
    assert mirror, "the tests' data mirror (conftest) or the network is where fetched files come from"  # fmt: skip
    with gridmodel.set_options(cache_dir=tmp_path / "cache"):
        path = datasets.data_file(item.key)
        assert path == tmp_path / "cache" / "data" / "eia930" / "cleaned" / "ERCO-WEST.csv"
        assert datasets.file_sha256(path) == item.sha256
        bad = tmp_path / "bad-mirror" / "eia930" / "cleaned"
        bad.mkdir(parents=True)
        (bad / "ERCO-WEST.csv").write_bytes(Path(mirror, item.key).read_bytes()[:-10])
        path.unlink()
        with gridmodel.set_options(data_mirror=tmp_path / "bad-mirror"):
            with pytest.raises(datasets.DataUnavailableError, match="does not match the registered"):  # fmt: skip
                datasets.data_file(item.key)
        assert not path.exists() and not list(path.parent.glob(".ERCO-WEST*"))


def test_offline_the_error_says_how_to_get_the_file(tmp_path):
    """No mirror and an address that refuses the connection: the message names the URL, the
    path to save it under and its SHA-256, and nothing half-written is left."""
    item = replace(datasets.entry("eia930/raw_eia/ERCO.csv"), url="http://127.0.0.1:9/ERCO.csv")
    with gridmodel.set_options(cache_dir=tmp_path, data_mirror=tmp_path / "no-mirror"):
        with pytest.raises(datasets.DataUnavailableError) as err:
            datasets._fetch(item)
    text = str(err.value)
    target = tmp_path / "data" / "eia930" / "raw_eia" / "ERCO.csv"
    assert "http://127.0.0.1:9/ERCO.csv" in text and item.sha256 in text and str(target) in text
    assert "GRIDMODEL_DATA_MIRROR" in text and not target.exists()
    assert not list(target.parent.glob("*ERCO*"))  # no partial download left


def test_data_commands_list_and_fetch(tmp_path):
    env = {"GRIDMODEL_CACHE": str(tmp_path)}
    listed = runner.invoke(app, ["data", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "TEXAS_IC.csv" in listed.output and "shipped" in listed.output and "fetched" in listed.output  # fmt: skip
    fetched = runner.invoke(app, ["data", "fetch", "ercot_renewables"], env=env)
    assert fetched.exit_code == 0, fetched.output
    assert (tmp_path / "data" / "ercot_renewables" / "breakthrough_2016" / "texas_solar_v4.1.csv").is_file()  # fmt: skip
    unknown = runner.invoke(app, ["data", "fetch", "eia-930"], env=env)
    assert unknown.exit_code == 2 and "unknown dataset 'eia-930'" in unknown.output


def test_a_scenario_naming_a_file_its_dataset_lacks_is_refused():
    from gridmodel.schema import ScenarioError, load_scenario

    with pytest.raises(ScenarioError, match=r"'eia930/cleaned/ERCOT\.csv' is not a registered data file \(files of 'eia930': "):  # fmt: skip
        load_scenario("ercot-headroom", {"headroom.demand.files": ["cleaned/ERCOT.csv"]})


def test_no_bundled_scenario_reads_outside_the_package():
    """Every file a bundled scenario names is in the package or one of its datasets."""
    from gridmodel.schema import load_scenario
    from gridmodel.study import _files_in

    for path in sorted(bundled_dir("scenarios").glob("*.yaml")):
        if "axes:" in path.read_text():
            continue  # a sweep file: its base scenario is one of the others
        scenario = load_scenario(path)
        for name in type(scenario).model_fields:
            for file in _files_in(getattr(scenario, name)):
                assert not file.is_absolute() or ROOT in file.parents, (path.name, file)
        assert "shared" not in path.read_text(), path.name


# ---------------------------------------------------------------------------------------------
# Sources a reader can follow

INTERNAL = re.compile(r"rates_and_costs|ai_loads_and_grid_events|shared/|reference notes|notes file|STYLE\.md", re.I)  # fmt: skip
FILE = re.compile(r"(?<![\w/.:-])([\w-]+(?:/[\w.*-]+)*\.(?:md|csv|py|yaml|txt|json))\b")


def _sources() -> list[tuple[str, str]]:
    """(where, source) of every schema field and every row of the package's data tables."""
    from gridmodel import schema as sc
    from gridmodel.schema.docs import _models
    from gridmodel.schema.sweep import Sweep

    found = []
    for root in (sc.Scenario, Sweep):
        for model in _models(root):
            for name, field in model.model_fields.items():
                extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}  # fmt: skip
                if extra.get("source"):
                    found.append((f"{model.__name__}.{name}", str(extra["source"])))
    for table in sorted((ROOT / "gridmodel").rglob("*.csv")):
        with open(table, newline="") as fh:
            for k, row in enumerate(csv.DictReader(fh)):
                if row.get("source"):
                    found.append((f"{table.name} row {k + 1}", row["source"]))
    return found


def _points_outside(source: str) -> list[str]:
    """File names in ``source`` that are neither in the package nor part of a URL; a source
    that cites a public GitHub repository may name that repository's files."""
    if "https://github.com/" in source:
        return []
    missing = []
    for m in FILE.finditer(source):
        name = m.group(1)
        if not any((base / name).exists() for base in (ROOT, ROOT / "gridmodel")):
            missing.append(name)
    return missing


def test_every_source_names_a_public_document_not_an_internal_note():
    sources = _sources()
    assert len(sources) > 150
    internal = [(where, s[:90]) for where, s in sources if INTERNAL.search(s)]
    assert not internal, internal
    outside = [(where, _points_outside(s)) for where, s in sources if _points_outside(s)]
    assert not outside, outside


def test_the_check_catches_a_note_and_a_missing_file():
    assert INTERNAL.search("PJM 2025/26 BRA (rates_and_costs.md section 1a)")
    assert _points_outside("see notes/costs.md and gridmodel/optimize/technologies.csv") == ["notes/costs.md"]  # fmt: skip
    assert _points_outside("financials_sys_ATB2024.csv of https://github.com/NREL/ReEDS-2.0") == []  # fmt: skip
    assert _points_outside("https://eia.gov/x.csv and docs/headroom.md") == []


# ---------------------------------------------------------------------------------------------
# The scenario's JSON schema, types


def test_scenario_json_schema_is_generated_and_checks_a_scenario():
    from gridmodel.schema.docs import json_schema

    schema = json_schema()
    assert json.loads((ROOT / "docs" / "scenario.schema.json").read_text()) == schema, (
        "run: .venv/bin/gridmodel schema --json > docs/scenario.schema.json"
    )
    result = runner.invoke(app, ["schema", "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == schema
    assert schema["additionalProperties"] is False and "campuses" in schema["properties"]
    campus = schema["$defs"]["Campus"]
    assert campus["additionalProperties"] is False and "mw" in campus["properties"]


def test_public_api_type_checks():
    """mypy on the public API (the package's top level, options, data files, the study and the
    schema), following imports silently; configuration in pyproject.toml."""
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]


# ---------------------------------------------------------------------------------------------
# The wheel


def test_wheel_installs_and_runs_from_a_fresh_venv(tmp_path):
    """Build the wheel, install it alone into a fresh venv whose only other packages are this
    environment's (a .pth line, so no download), check its metadata, and run the CLI from it
    away from the repository: every command's --help, `gridmodel data list` and the bundled
    `ercot-headroom` scenario on its shipped data."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)], check=True, capture_output=True)  # fmt: skip
    (wheel,) = dist.glob("gridmodel-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("gridmodel/py.typed", "gridmodel/_bundled/data/registry.csv",
                     "gridmodel/_bundled/data/eia930/cleaned/TEXAS_IC.csv.xz",
                     "gridmodel/_bundled/scenarios/ercot-headroom.yaml",
                     "gridmodel/_bundled/networks/texas2000.yaml"):  # fmt: skip
        assert required in names, required
    assert any(n.endswith("licenses/LICENSE") for n in names)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", "--no-compile", str(wheel)], check=True, capture_output=True)  # fmt: skip
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    (site / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # the wheel's declared dependencies are met by the environment the tests run in
    check = "from importlib.metadata import requires, version; from packaging.requirements import Requirement; bad = [r for r in map(Requirement, requires('gridmodel')) if not r.marker and version(r.name) not in r.specifier]; print(bad); raise SystemExit(bool(bad))"  # fmt: skip
    done = subprocess.run([python, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDMODEL_")}
    env["GRIDMODEL_CACHE"] = str(tmp_path / "user-cache")  # a user's empty cache
    gridmodel_cli = [venv / "bin" / "gridmodel"]
    where = subprocess.run([python, "-c", "import gridmodel; print(gridmodel.__file__)"], cwd=work, env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert str(site) in where, where
    done = subprocess.run([*gridmodel_cli, "--help"], cwd=work, env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and "headroom" in done.stdout and "<bool>" not in done.stdout
    # every command's --help, in one process of the fresh venv's interpreter
    helps = (
        "from typer.testing import CliRunner\nfrom gridmodel.cli import app\n"
        "for c in ['study', 'run', 'profile', 'events', 'optimize', 'bills', 'brief', 'figures', "
        "'headroom', 'sweep', 'networks', 'schema', 'data']:\n"
        "    r = CliRunner().invoke(app, [c, '--help'])\n"
        "    assert r.exit_code == 0 and 'Usage:' in r.output and '<bool>' not in r.output, (c, r.output)\n"
    )  # fmt: skip
    done = subprocess.run([python, "-c", helps], cwd=work, env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    done = subprocess.run([*gridmodel_cli, "headroom", "ercot-headroom", "--out", "ercot"], cwd=work, env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    table = pd.read_csv(work / "ercot" / "headroom" / "headroom.csv", comment="#")
    gw = (table.set_index("rate_percent").headroom_mw.loc[[0.25, 0.5, 1.0]] / 1e3).round(2)
    assert gw.tolist() == [6.49, 10.0, 14.73]  # README and docs/headroom.md
    assert (tmp_path / "user-cache" / "data" / "eia930" / "cleaned" / "TEXAS_IC.csv").is_file()
    shutil.rmtree(venv)


def test_study_run_shows_progress_and_stages_log_their_steps(capsys, caplog):
    """`progress=True` draws a bar per task outside the CLI (a notebook gets it by default);
    the stage logs its main steps through `logging`."""
    from gridmodel.progress import in_notebook

    assert not in_notebook()  # pytest is no Jupyter kernel: no bar unless asked
    with caplog.at_level("INFO", logger="gridmodel"):
        gridmodel.Study.from_yaml("ercot-headroom", progress=True).run("headroom")
    shown = capsys.readouterr().out
    assert "stages" in shown and "1/1" in shown and "headroom" in shown and "2/2" in shown
    logged = [r.getMessage() for r in caplog.records if r.name == "gridmodel.headroom.run"]
    assert any(m.startswith("headroom: reading cleaned/ERCO_2016_2019.csv") for m in logged)
