"""README.md and docs/ as a contract: the documentation site builds, the notebook page runs, and
every command the pages show is run exactly as written (those whose figures the pages quote, and
the quick ones) or checked for its form (the subcommand, its options, the scenario or sweep file
it names), so a page cannot show a command that fails."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import click
import pandas as pd
import pytest
from typer.main import get_command

from gridmodel.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
INLINE = re.compile(r"`(\.venv/bin/[^`]+)`")


def _commands(text: str) -> list[str]:
    """Every command of a page: the lines of its ``bash`` blocks (continuations joined,
    comments dropped) and inline code that starts with ``.venv/bin/``."""
    found = []
    for lang, body in FENCE.findall(text):
        if lang != "bash":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                found.append(shlex.join(words))
    found += [" ".join(m.split()) for m in INLINE.findall(text)]
    return found


def all_commands() -> dict[str, list[str]]:
    """{command: [pages showing it]}."""
    out: dict[str, list[str]] = {}
    for page in PAGES:
        for command in _commands(page.read_text()):
            out.setdefault(command, []).append(page.name)
    return out


# ---------------------------------------------------------------------------------------------
# Commands run exactly as written, and what their pages quote from the run


def _table(folder: Path, stage: str, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / stage / name, comment="#")


def _headroom_gw(workdir: Path, out: str) -> list[float]:
    table = _table(workdir / out, "headroom", "headroom.csv").set_index("rate_percent")
    return (table.headroom_mw.loc[[0.25, 0.5, 1.0]] / 1e3).round(2).tolist()


#: Norris et al. (Duke Nicholas Institute, "Rethinking Load Growth", 2025), Figure 1: headroom at
#: 0.25 / 0.5 / 1 % curtailment, published to 0.1 GW (README quotes them beside ours).
DUKE_GW = {"ercot": [6.5, 10.0, 14.7], "pjm": [13.3, 17.8, 23.6]}


def check_ercot(workdir: Path, output: str) -> None:
    # README and docs/headroom.md: ERCOT 6.49 / 10.00 / 14.73 GW at 0.25 / 0.5 / 1 %
    ours = _headroom_gw(workdir, "ercot")
    assert ours == [6.49, 10.0, 14.73]
    assert max(abs(a - b) for a, b in zip(ours, DUKE_GW["ercot"], strict=True)) <= 0.1


def check_pjm(workdir: Path, output: str) -> None:
    # README: PJM 13.30 / 17.83 / 23.64 GW (2020-2024 raw EIA screened by gridmodel's rules)
    ours = _headroom_gw(workdir, "pjm")
    assert ours == [13.3, 17.83, 23.64]
    assert max(abs(a - b) for a, b in zip(ours, DUKE_GW["pjm"], strict=True)) <= 0.1


def _report_year_changes(folder: Path) -> dict[str, float]:
    from gridmodel.output import read_stage
    from gridmodel.rates.run import headline_table

    table = headline_table(read_stage(folder, "bills")).set_index("case")
    return table.change_usd_per_month.to_dict()


def check_ohio(workdir: Path, output: str) -> None:
    # README: arrives -$5.5/month; never arrives +$2.9 with the minimum take, +$6.2 without
    change = _report_year_changes(workdir / "bills")
    assert round(change["scenario"], 1) == -5.5
    assert round(change["no_show_protected"], 1) == 2.9
    assert round(change["no_show_unprotected"], 1) == 6.2


def check_maryland(workdir: Path, output: str) -> None:
    # README and docs/bills.md: PJM's 2025/26-2027/28 prices add $0.96-2.76/month, PLC 1.80 kW
    table = _table(workdir / "bills-md", "bills", "bills.csv")
    change = table.scenario_change_usd_per_month.round(2)
    assert (change.min(), change.max()) == (0.96, 2.76)
    assert "residential peak-load contribution 1.80 kW" in " ".join(output.split())


def check_docs_site(workdir: Path, output: str) -> None:
    site = ROOT / "site"
    for page in ("index.html", "reference/index.html", "first-study/index.html", "scenarios/index.html"):  # fmt: skip
        assert (site / page).is_file(), page
    assert "set_options" in (site / "reference" / "index.html").read_text()
    assert (site / "scenario.schema.json").is_file()


def check_data_list(workdir: Path, output: str) -> None:
    assert "cleaned/TEXAS_IC.csv" in output and "shipped" in output and "fetched" in output


def check_data_fetch(workdir: Path, output: str) -> None:
    assert output.count("eia930") >= 16  # every file of the dataset, ready in the cache


def check_headroom_benchmark(workdir: Path, output: str) -> None:
    assert "0.25 %: 6.488, 0.5 %: 10.002, 1 %: 14.729" in output and "peer/ours" in output


RUN = {
    ".venv/bin/gridmodel headroom ercot-headroom --out ercot": check_ercot,
    ".venv/bin/gridmodel headroom pjm-headroom --out pjm": check_pjm,
    ".venv/bin/gridmodel bills ohio-capacity-bills --out bills": check_ohio,
    ".venv/bin/gridmodel bills maryland-capacity-price-bills --out bills-md": check_maryland,
    ".venv/bin/mkdocs build --strict": check_docs_site,
    ".venv/bin/gridmodel data list": check_data_list,
    ".venv/bin/gridmodel data fetch eia930": check_data_fetch,
    ".venv/bin/python benchmarks/headroom.py": check_headroom_benchmark,
    ".venv/bin/ruff check gridmodel tests benchmarks": lambda workdir, output: None,
    ".venv/bin/lint-imports": lambda workdir, output: None,
}
#: Commands run in the repository itself (they read its files); the rest in an empty folder.
IN_REPOSITORY = {
    ".venv/bin/mkdocs build --strict",
    ".venv/bin/python benchmarks/headroom.py",
    ".venv/bin/ruff check gridmodel tests benchmarks",
    ".venv/bin/lint-imports",
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """An empty folder with the virtual environment at `.venv`, as after README's first step."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


@pytest.mark.parametrize("command", sorted(RUN))
def test_command_runs_as_written(command, workdir):
    assert command in all_commands(), f"no page shows {command!r} any more"
    cwd = ROOT if command in IN_REPOSITORY else workdir
    done = subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    RUN[command](workdir, done.stdout)


# ---------------------------------------------------------------------------------------------
# Commands checked for their form: too long for the suite, or run elsewhere by other tests

PLACEHOLDER = re.compile(r"^(\[.*\]|[A-Z][A-Z0-9_.]*(\.yaml)?|<.*>|\|)$")
CLI = get_command(app)


def _parse_gridmodel(words: list[str]) -> tuple[click.Command, dict]:
    """The subcommand and its parameters as click parses ``words`` (no command is run)."""
    ctx = click.Context(CLI, info_name="gridmodel")
    name, *rest = words
    command = CLI.get_command(ctx, name)
    assert command is not None, f"no command {name!r}"
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=name, parent=ctx)
        name, *rest = rest
        command = command.get_command(ctx, name)
        assert command is not None, f"no command {name!r}"
    return command, command.make_context(name, rest, parent=ctx).params


def _options_of(command: click.Command) -> set[str]:
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}


def check_form(command: str) -> None:
    """The command's program exists; a gridmodel command parses, its scenario or sweep file
    loads and validates; a syntax line (placeholders, [optional] parts) names only existing
    options; a benchmark exists and defines the options it is shown with."""
    from gridmodel.schema import load_scenario
    from gridmodel.sweep import load_sweep

    for part in command.split(" && "):
        words = shlex.split(part)
        while words and re.match(r"^[A-Z_]+=", words[0]):  # environment assignments
            words = words[1:]
        program, args = words[0], words[1:]
        if program == "python3":
            assert args[:3] == ["-m", "venv", ".venv"], part
            continue
        assert program.startswith(".venv/bin/"), f"{part!r}: run it as .venv/bin/{program}"
        assert (ROOT / program).exists(), program
        name = program.removeprefix(".venv/bin/")
        if name == "pip":
            assert args[:3] == ["install", "-q", "-e"] and args[3] == ".[test]", part
        elif name == "python" and args[:2] == ["-m", "pytest"]:
            continue
        elif name == "python":
            script = ROOT / args[0]
            assert script.is_file(), args[0]
            source = script.read_text()
            compile(source, str(script), "exec")
            for opt in (w.strip("[]") for w in args[1:] if w.strip("[]").startswith("--")):
                assert f'"{opt}"' in source, (args[0], opt)
        elif name == "gridmodel" and any(PLACEHOLDER.match(w) for w in args):
            concrete = [w for w in args if not PLACEHOLDER.match(w) and not w.startswith("-")]
            subcommand = CLI.get_command(click.Context(CLI), concrete[0])
            assert subcommand is not None, part
            shown = {w.strip("[]").split("/")[0] for w in args if w.strip("[]").startswith("--")}
            assert shown <= _options_of(subcommand), (part, shown - _options_of(subcommand))
        elif name == "gridmodel":
            subcommand, params = _parse_gridmodel(args)
            if params.get("scenario") is not None or subcommand.name in ("study", "run", "profile", "events", "optimize", "bills", "brief", "headroom"):  # fmt: skip
                load_scenario(params.get("scenario"))
            if params.get("sweep_file") is not None:
                load_sweep(ROOT / params["sweep_file"])
        elif name == "dask":
            done = subprocess.run([ROOT / program, args[0], "--help"], capture_output=True, text=True)  # fmt: skip
            assert done.returncode == 0, part
            for opt in (w for w in args if w.startswith("--")):
                assert opt in done.stdout, (part, opt)
        elif command in RUN:
            continue  # run as written by test_command_runs_as_written
        elif name == "mkdocs":
            assert args[0] in ("build", "serve"), part
        else:
            raise AssertionError(f"{part!r}: no check for {name}")


def test_every_command_on_the_pages_is_run_or_checked():
    commands = all_commands()
    assert len(commands) >= 30
    failures = []
    for command, pages in sorted(commands.items()):
        try:
            check_form(command)
        except Exception as err:  # noqa: BLE001 - every failing command is listed
            failures.append(f"{', '.join(pages)}: {command}: {type(err).__name__}: {err}")
    assert not failures, "\n".join(failures)


def test_the_form_check_catches_what_fails_as_written():
    for bad in ("gridmodel sweep scenarios/ohio-bill-drivers-sweep.yaml --out r",
                "python benchmarks/brief.py",
                ".venv/bin/gridmodel profile texas2000-west-training-campus --resolutions 1s",
                ".venv/bin/gridmodel bills no-such-scenario --out b"):  # fmt: skip
        with pytest.raises(Exception):  # noqa: B017 - each fails in its own way
            check_form(bad)


# ---------------------------------------------------------------------------------------------
# The notebook page


def test_first_study_page_runs_cell_by_cell():
    """docs/first-study.md, each ``python`` block a cell of one IPython shell (what a notebook
    kernel runs), and the numbers the page quotes."""
    from IPython.core.interactiveshell import InteractiveShell

    page = (ROOT / "docs" / "first-study.md").read_text()
    cells = [body for lang, body in FENCE.findall(page) if lang == "python"]
    assert len(cells) >= 5
    shell = InteractiveShell()
    try:
        for cell in cells:
            shell.run_cell(cell).raise_error()
        ns = shell.user_ns
        assert repr(ns["study"]).startswith(
            "<gridmodel.Study 'texas2000-west-1200mw': network texas2000"
        )
        assert (
            int(ns["ts"].converged.sum()) == ns["ts"].sizes["time"] == 24
        )  # "All 24 hours converge"
        assert len(ns["loading"]) == 5
        assert ns["gw"].values.tolist() == [6.49, 10.0, 14.73]  # quoted on the page
    finally:
        shell.clear_instance()
