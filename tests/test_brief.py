"""`gridmodel brief`: findings against the result files, the library scenarios, the brief in a
real browser and its PDF, and briefs of runs that failed.

The briefs here are small (a day of texas2000 around the 2016 peak, few draws); the default
scenario's full brief is timed by benchmarks/brief.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from gridmodel.brief.browser import HEADLESS_FLAGS
from gridmodel.brief.run import make_brief
from gridmodel.cli import app
from gridmodel.resources import bundled_dir, chromium_path

runner = CliRunner()
ARTIFACTS = Path(__file__).parent / "artifacts"
PEAK_DAY = {"period.start_hour": 5355, "period.hours": 24}  # holds the 2016 peak, hour 5367

#: The scenario library: each file and the changes that make it quick enough for the tests.
LIBRARY = {
    "default": {
        **PEAK_DAY,
        # N-1 (3,206 outages) and the hosting-capacity search: in the case118 tests below
        "study.contingencies": None,
        "study.hosting_capacity": None,
        "events.lost_mw": [600, 1200, 2750],
        "events.trajectories_mw": [1200],
        "events.window_s": 20,
        # the 4CP hours lie outside one day: give the avoided share instead of the link
        "bills.large_loads.0.btm_peak_avoidance": 1.0,
        "bills.monte_carlo.draws": 20,
        "bills.allocation.compare": ["energy", "4cp"],
    },
    "west-campus-islanded": PEAK_DAY,
    "flexible-campus": {
        **PEAK_DAY,
        "study.hosting_capacity.hours": 2,
        "bills.monte_carlo.draws": 20,
    },
    "ohio-capacity-bills": {"bills.monte_carlo.draws": 20},
    "replay-2024-load-loss": {
        **PEAK_DAY,
        "events.window_s": 20,
        "events.lost_mw": [1000, 2000],
        "events.trajectories_mw": [1000],
        "events.oscillation": None,  # screened in gpu-smoothing-on-off
    },
    "forecast-campuses-never-arrive": {"bills.monte_carlo.draws": 20},
    "gpu-smoothing-on-off": {
        **PEAK_DAY,
        "profile.hours": 1,
        "events.window_s": 20,
        "events.lost_mw": [1000],
        "events.trajectories_mw": [1000],
        "events.oscillation.points": 20,
        "events.oscillation.smoothing_floors": [0.0, 0.9],
    },
    "texas2000-siting-frontier": {**PEAK_DAY, "headroom.nodal.sites": ["roscoe-500", "katy-500"]},
}


def _scenario_file(tmp_path: Path, name: str, changes: dict) -> Path:
    """The bundled scenario ``name`` with ``changes``, written beside the test (the brief
    embeds the file as run)."""
    from gridmodel.schema.loading import scenario_path, set_field

    source = scenario_path(name)
    data = yaml.safe_load(source.read_text())
    for dotted, value in changes.items():
        set_field(data, dotted, value)
    path = tmp_path / source.name
    path.write_text(source.read_text().split("\nname:")[0] + "\n" + yaml.safe_dump(data))
    return path


# ---------------------------------------------------------------------------------------------
# Reading a brief back


class BriefParser(HTMLParser):
    """The parts of a brief the tests read: <data> numbers (and the section they are in),
    images, figure captions and the status box."""

    def __init__(self):
        super().__init__()
        self.numbers: list[dict] = []
        self.images: list[dict] = []
        self.captions: list[str] = []
        self.status_class = ""
        self.status_text = ""
        self.assumption_rows: list[tuple[bool, list[str]]] = []
        self._section = ""
        self._data: dict | None = None
        self._caption: list[str] | None = None
        self._in_status = False
        self._row: list[str] | None = None
        self._row_changed = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self._section = a.get("id", "")
            self._in_status = self._section == "status"
            if self._in_status:
                self.status_class = a.get("class", "")
        elif tag == "data":
            self._data = {"value": float(a["value"]), "key": a["data-key"], "text": "",
                          "section": self._section}  # fmt: skip
        elif tag == "img":
            self.images.append(a)
        elif tag == "figcaption":
            self._caption = []
        elif tag == "tr" and self._section == "assumptions":
            self._row, self._row_changed = [], "changed" in (a.get("class") or "")
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "data" and self._data is not None:
            self.numbers.append(self._data)
            self._data = None
        elif tag == "figcaption" and self._caption is not None:
            self.captions.append("".join(self._caption).strip())
            self._caption = None
        elif tag == "section":
            self._in_status = False
        elif tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.assumption_rows.append((self._row_changed, self._row))
            self._row = None

    def handle_data(self, data):
        if self._data is not None:
            self._data["text"] += data
        if self._caption is not None:
            self._caption.append(data)
        if self._in_status:
            self.status_text += data
        if self._cell is not None:
            self._cell.append(data)


def read_brief(path: Path) -> BriefParser:
    parser = BriefParser()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser


SHOWN = re.compile(r"[+\u2212-]?\$?[0-9][0-9,]*(\.[0-9]+)?")


def shown_value(text: str) -> tuple[float, float]:
    """The number a reader sees in ``text`` and half its last digit ("$122.5 million" is
    122.5e6 ± 0.05e6)."""
    raw = SHOWN.search(text).group(0).replace("\u2212", "-").replace("$", "").replace(",", "")
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    scale = 1e6 if "million" in text else 1.0
    return float(raw) * scale, 0.5 * 10.0**-decimals * scale


def csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#")


# ---------------------------------------------------------------------------------------------
# The numbers of a brief, recomputed from its result files


def expected_numbers(out: Path) -> dict[str, float]:
    """Every number the default scenario's findings may show, computed here from the CSV and
    NetCDF files the stages wrote (pandas and xarray only, not the brief's code)."""
    exp: dict[str, float] = {}
    if (out / "stress").is_dir():
        exp |= _stress_numbers(out / "stress")
    if (out / "events").is_dir():
        exp |= _events_numbers(out / "events")
    if (out / "optimize").is_dir():
        exp |= _optimize_numbers(out / "optimize")
    if (out / "bills").is_dir():
        exp |= _bills_numbers(out / "bills")
    return exp


def _stress_numbers(stress: Path) -> dict[str, float]:
    # the value column holds numbers and sentences (the hosting verdict): numbers as numbers
    summary = pd.to_numeric(csv(stress / "summary.csv").set_index("metric").value, errors="coerce")
    over = csv(stress / "overloads.csv")
    ts = xr.open_dataset(stress / "results.nc", group="timeseries", engine="h5netcdf")
    limit = float(xr.open_datatree(stress / "results.nc", engine="h5netcdf").attrs["loading_limit_percent"])  # fmt: skip
    loading, loading0 = ts.loading_percent.values, ts.loading_percent_without_campus.values
    both = ts.converged.values.astype(bool) & ts.converged_without_campus.values.astype(bool)
    with np.errstate(invalid="ignore"):
        above, above0 = loading > limit, loading0 > limit
    exp = {}
    if (stress / "contingencies.csv").exists():
        contingencies = csv(stress / "contingencies.csv")
        exp["stress.n1_outages_with_violation"] = int(contingencies.converged.sum())
        exp["stress.n1_outages_not_converged"] = int((~contingencies.converged).sum())
    if (stress / "hosting_capacity.csv").exists():
        hosting = csv(stress / "hosting_capacity.csv").set_index("criterion").hosting_capacity_mw
        exp["stress.hosting_capacity_n0_mw"] = hosting.get("N-0", np.nan)
        exp["stress.hosting_capacity_n1_mw"] = hosting.get("N-1", np.nan)
    exp |= {
        "stress.hours": summary["hours studied"],
        "stress.nonconverged_hours": summary["hours not converged"],
        "stress.nonconverged_hours_without_campus": int(
            (~ts.converged_without_campus.values.astype(bool)).sum()
        ),  # fmt: skip
        "stress.hours_both_converged": int(both.sum()),
        "stress.branches_overloaded": int((over.hours_over_with_campus > 0).sum()),
        "stress.branch_hours_overloaded": over.hours_over_with_campus.sum(),
        "stress.worst_loading_percent": (
            over.worst_loading_percent_with_campus[over.hours_over_with_campus > 0].max()
            if (over.hours_over_with_campus > 0).any()
            else np.nan
        ),
        "stress.hours_with_overload": int(above.any(axis=1).sum()),
        "stress.branches_overloaded_without_campus": int(
            (over.hours_over_without_campus > 0).sum()
        ),
        "stress.overloads_new": int((over.status == "new").sum()),
        "stress.overloads_worsened": int((over.status == "worsened").sum()),
        "stress.hours_with_overload_without_campus": int(above0.any(axis=1).sum()),
        "stress.buses_outside_limits": len(csv(stress / "voltage_violations.csv")),
        "stress.lowest_vm_pu": summary["lowest bus voltage with campuses"],
        "stress.campus_peak_mw": summary["campus demand (peak)"],
    }
    return exp


def _events_numbers(events_dir: Path) -> dict[str, float]:
    events = csv(events_dir / "events_summary.csv").set_index("quantity").value
    sweep = xr.open_dataset(events_dir / "events.nc", group="sweep", engine="h5netcdf")
    zenith = sweep.zenith_hz.sel(kind="load_loss")
    campus_mw = float(events["campus load at the event"])
    nearest = float(sweep.mw[int(np.argmin(np.abs(sweep.mw.values - campus_mw)))])
    exp = {
        "events.deepest_retained_vm_pu": float(events["deepest retained voltage at a campus"]),
        "events.campus_load_mw": campus_mw,
        "events.tripped_mw": float(events["tripped to backup"]),
        "events.sweep_loss_mw": nearest,
        "events.smallest_loss_above_61_2_mw": float(
            sweep.mw.where((zenith >= 61.2).any("system")).min()
        ),  # fmt: skip
        "events.largest_loss_mw": float(sweep.mw.max()),
    }
    for system in sweep.system.values:
        exp[f"events.sweep_zenith_hz.{system}"] = float(zenith.sel(system=system, mw=nearest))
        exp[f"events.zenith_hz.{system}"] = float(events.get(f"{system}: zenith", np.nan))
    nc = xr.open_datatree(events_dir / "events.nc", engine="h5netcdf")
    if "hourly" in nc:
        hourly = nc["hourly"].to_dataset().sel(kind="campus_loss")
        zenith = hourly.zenith_hz.to_series()[hourly.converged.to_numpy().astype(bool)]
        worst = zenith.idxmax()
        exp |= {
            "events.hourly_zenith_median_hz": float(np.sort(zenith.to_numpy())[(len(zenith) - 1) // 2]),
            "events.hourly_zenith_worst_hz": float(zenith.max()),
            "events.hourly_inertia_worst_gws": float(hourly.inertia_mws.sel(time=worst)) / 1e3,
            "events.hourly_lost_mw": float(hourly.lost_mw.sel(time=worst)),
        }  # fmt: skip
    return exp


def _optimize_numbers(opt: Path) -> dict[str, float]:
    costs = csv(opt / "costs.csv").groupby("result").usd_per_yr.sum()
    campus = xr.open_dataset(opt / "optimization.nc", group="campus", engine="h5netcdf")
    exp = {
        "optimize.campus_cost_usd_per_yr": costs["campus"],
        "optimize.grid_only_cost_usd_per_yr": costs["business_as_usual"],
        "optimize.cost_difference_usd_per_yr": abs(costs["campus"] - costs["business_as_usual"]),
        "optimize.campus_battery_mw": float(campus.battery_mw),
        "optimize.campus_battery_mwh": float(campus.battery_mwh),
        "optimize.campus_solar_mw": float(campus.solar_mw),
    }
    for gas, mw in zip(campus.gas.values, campus.gas_capacity_mw.values, strict=True):
        exp[f"optimize.campus_{gas}_mw"] = float(mw)
        exp[f"optimize.campus_{gas}_units"] = float(np.ceil(mw / float(campus.unit_mw.sel(gas=gas)) - 1e-6))  # fmt: skip
    exp["optimize.campus_served_probability"] = campus.attrs.get("gas_served_probability_at_peak", np.nan)  # fmt: skip
    saving = xr.open_dataset(opt / "optimization.nc", group="campus_range", engine="h5netcdf")
    exp["optimize.saving_low_usd_per_yr"] = float(saving.saving_usd_per_yr.sel(range_case="low_saving")) / 1e6  # fmt: skip
    exp["optimize.saving_high_usd_per_yr"] = float(saving.saving_usd_per_yr.sel(range_case="high_saving")) / 1e6  # fmt: skip
    return exp


def _bills_numbers(folder: Path) -> dict[str, float]:
    bills = csv(folder / "bills.csv").set_index("year")
    cases = xr.open_dataset(folder / "bills.nc", group="cases", engine="h5netcdf")
    methods = xr.open_dataset(folder / "bills.nc", group="methods", engine="h5netcdf")
    year = int(cases.year[int(cases.attrs["report_year_index"])])
    row = bills.loc[year]
    method_change = methods.residential_bill_usd_per_month.sel(year=year) - row.baseline_usd_per_month  # fmt: skip
    return {
        "bills.campus_forecast_mw": float(
            cases.large_load_forecast_mw.sel(case="as_forecast").max()
        ),  # fmt: skip
        "bills.campus_realised_mw": float(
            cases.large_load_realised_mw.sel(case="scenario", year=year)
        ),  # fmt: skip
        "bills.scenario_change_usd_per_month": abs(row.scenario_change_usd_per_month),
        "bills.monte_carlo_p05_change_usd_per_month": row.monte_carlo_p05_usd_per_month
        - row.baseline_usd_per_month,  # fmt: skip
        "bills.monte_carlo_p95_change_usd_per_month": row.monte_carlo_p95_usd_per_month
        - row.baseline_usd_per_month,  # fmt: skip
        "bills.no_show_protected_change_usd_per_month": row.no_show_protected_change_usd_per_month,
        "bills.no_show_unprotected_change_usd_per_month": row.no_show_unprotected_change_usd_per_month,  # fmt: skip
        "bills.scenario_npv_usd": float(cases.residential_bill_npv_usd.sel(case="scenario")),
        "bills.method_min_change_usd_per_month": float(method_change.min()),
        "bills.method_max_change_usd_per_month": float(method_change.max()),
        "bills.household_kwh_per_month": cases.attrs["household_kwh_per_month"],
        "bills.household_mean_kw": cases.attrs["household_kwh_per_month"] * 12 / 8760,
        "bills.household_plc_kw": cases.attrs["residential_plc_kw_per_customer"],
    }


def assert_numbers_match_files(html: Path, out: Path) -> set[str]:
    """Every <data> number of the findings and the status box equals the number recomputed
    from the result files, and its text shows it rounded; returns the keys checked."""
    numbers = [n for n in read_brief(html).numbers if n["section"] in ("findings", "status")]
    expected = expected_numbers(out)
    unknown = sorted({n["key"] for n in numbers} - set(expected))
    assert not unknown, f"numbers with no independent check: {unknown}"
    for n in numbers:
        want = expected[n["key"]]
        assert n["value"] == pytest.approx(want, rel=1e-6, abs=1e-9), n  # CSV: float32 text
        shown, half = shown_value(n["text"])
        assert abs(abs(shown) - abs(want)) <= half * (1 + 1e-9), n
    return {n["key"] for n in numbers}


# ---------------------------------------------------------------------------------------------
# Fixtures: one small default brief, the browser


@pytest.fixture(scope="module")
def default_brief(tmp_path_factory):
    """The default scenario on the day of the 2016 peak, every stage, HTML and PDF."""
    tmp = tmp_path_factory.mktemp("default-brief")
    path = _scenario_file(tmp, "default", LIBRARY["default"])
    out = tmp / "out"
    pdf = None if chromium_path() else False
    return make_brief(path, out, pdf=pdf), out


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium not found: install Debian's `chromium` and `chromium-driver` (.ci/run does)")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def browser(chromium):
    """One headless Chromium session (Selenium) for every browser test."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (test extra)")  # fmt: skip
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        pytest.skip("chromedriver not found: install Debian's `chromium-driver` (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in HEADLESS_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1100,1400")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    profile = ARTIFACTS.parent / ".chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The default brief


def test_every_number_in_the_findings_equals_the_result_files(default_brief):
    """Each <data> number in the key findings and the status box: its value equals the number
    recomputed from the stage's CSV/NetCDF files, and the text shows it rounded."""
    done, out = default_brief
    assert done.exit_code() == 0, [p.text() for p in done.brief.problems]
    keys = assert_numbers_match_files(done.html, out)
    assert len(keys) >= 18
    for key in ("bills.scenario_change_usd_per_month", "bills.no_show_protected_change_usd_per_month",  # fmt: skip
                "stress.branches_overloaded", "events.sweep_zenith_hz.ercot",
                "optimize.grid_only_cost_usd_per_yr"):  # fmt: skip
        assert key in keys, key


def test_brief_is_self_contained_with_numbered_figures_and_provenance(default_brief):
    done, out = default_brief
    text = done.html.read_text(encoding="utf-8")
    page = read_brief(done.html)
    # no file or network reference: every image is a data URI, no script, no external style
    assert page.images and all(img["src"].startswith("data:image/svg+xml;base64,") for img in page.images)  # fmt: skip
    assert not re.search(r"<(script|link)\b", text) and "http://" not in text.replace("http://www.w3.org", "")  # fmt: skip
    assert all(img.get("alt", "").strip() for img in page.images)
    numbers = [int(re.match(r"Figure (\d+)\.", c).group(1)) for c in page.captions]
    assert numbers == list(range(1, len(page.images) + 1))
    # one figure per stage figure file, plus the chain
    stage_svgs = sorted(out.glob("*/figures/*.svg"))
    assert len(page.images) == len(stage_svgs) + 1
    # the scenario file itself, its hash and the package version
    import gridmodel

    assert done.brief.scenario_hash in text and f"gridmodel {gridmodel.__version__}" in text
    assert "btm_peak_avoidance: 1.0" in text
    assert not list(out.glob(".brief*"))  # no staging left behind


def test_assumptions_table_marks_what_the_scenario_changed(default_brief):
    """Values from the schema's defaults are unmarked, the scenario's own ones marked, each with
    the unit and source the schema gives."""
    done, _ = default_brief
    rows = {cells[0]: (changed, cells) for changed, cells in read_brief(done.html).assumption_rows}
    changed, cells = rows["events.window_s"]  # 20 s here against the schema's 120 s
    assert changed and cells[1:4] == ["20", "120", "s"]
    changed, cells = rows["events.dt_s"]  # left at its default
    assert not changed and cells[1] == cells[2] == "0.005"
    changed, cells = rows["bills.monte_carlo.materialisation"]
    assert not changed and "Monitoring Analytics (PJM market monitor)" in cells[5]
    assert rows["campuses.0.mw"][0] and rows["campuses.0.mw"][1][1] == "1200"
    assert rows["period.start_hour"][1][1] == "5355"
    # only the sections the run read: no headroom or profile rows
    assert not [f for f in rows if f.startswith(("headroom.", "profile."))]


def test_brief_in_a_real_browser(default_brief, browser):
    """The page loads with no console errors, every image decodes (natural width > 0), and a
    screenshot is kept as a test artefact."""
    done, _ = default_brief
    browser.get(done.html.resolve().as_uri())
    assert browser.title.endswith("policy brief")
    widths = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
    )
    assert widths and all(ok and w > 0 for ok, w in widths), widths
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    figures = browser.find_elements("css selector", "figure img")
    assert len(figures) == len(widths)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "brief.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_pdf_shows_every_page_and_every_figure(default_brief, chromium, tmp_path):
    """pdftoppm renders every page of the PDF with ink on it; the PDF's text holds every
    figure caption the HTML numbers."""
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not found: install Debian's `poppler-utils` (.ci/run does)")
    done, _ = default_brief
    assert done.pdf is not None and done.pdf.stat().st_size > 10_000
    info = subprocess.run(["pdfinfo", str(done.pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(done.pdf), str(tmp_path / "page")], check=True)  # fmt: skip
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert pages >= 4 and len(rendered) == pages
    import matplotlib.image as mpimg

    for png in rendered:
        assert (mpimg.imread(png)[..., :3] < 0.9).any(), f"{png.name} is blank"
    text = subprocess.run(["pdftotext", str(done.pdf), "-"], capture_output=True, text=True, check=True).stdout  # fmt: skip
    in_pdf = {int(k) for k in re.findall(r"Figure (\d+)\.", text)}
    assert in_pdf == set(range(1, len(done.brief.figures) + 1))


def test_second_brief_reuses_every_stage(default_brief):
    done, out = default_brief
    again = make_brief(out.parent / "default.yaml", out, pdf=False)
    assert again.study.ran == [] and again.exit_code() == 0
    assert again.brief.findings[0].text() == done.brief.findings[0].text()


# ---------------------------------------------------------------------------------------------
# The scenario library


def test_library_scenarios_open_with_their_question():
    for name in LIBRARY:
        text = (bundled_dir("scenarios") / f"{name}.yaml").read_text()
        first = text.split("\n#\n")[0]
        assert text.startswith("#") and "?" in first, name


@pytest.mark.parametrize("name", [n for n in LIBRARY if n != "default"])
def test_library_scenario_produces_a_brief(name, tmp_path):
    path = _scenario_file(tmp_path, name, LIBRARY[name])
    done = make_brief(path, tmp_path / "out", pdf=False)
    assert done.exit_code() == 0, [p.text() for p in done.brief.problems]
    page = read_brief(done.html)
    assert done.brief.findings and page.numbers
    assert all(img["src"].startswith("data:image/svg+xml") for img in page.images)
    assert not [u for s in done.brief.sections for u in s.unavailable]


# ---------------------------------------------------------------------------------------------
# Failures


def _case118(tmp_path: Path, extra: dict, campus_mw: list[float]) -> Path:
    """A case118 scenario whose campus at bus 9 draws ``campus_mw`` hour by hour."""
    (tmp_path / "campus.csv").write_text("p_mw\n" + "\n".join(str(v) for v in campus_mw) + "\n")
    data = {
        "name": "case118-failing",
        "network": "case118",
        "period": {"start_hour": 0, "hours": len(campus_mw)},
        "campuses": [{"name": "big", "site": "bus-9-345", "mw": max(campus_mw),
                      "profile": {"kind": "csv", "path": "campus.csv", "first_hour": 0}}],
        "study": {"contingencies": None, "hosting_capacity": None},
        **extra,
    }  # fmt: skip
    path = tmp_path / "failing.yaml"
    path.write_text("# Which hours fail?\n" + yaml.safe_dump(data))
    return path


def test_nonconverged_hours_are_reported_prominently_and_exit_nonzero(tmp_path):
    """One hour of three does not converge: the brief leads with it (exit 5, a partial result),
    the other hours' findings - N-1 included - still match the result files."""
    n1 = {"study": {"contingencies": {"hours": [0], "set": "all_branches"}, "hosting_capacity": None}}  # fmt: skip
    path = _case118(tmp_path, n1, [100.0, 150.0, 5000.0])
    out = tmp_path / "out"
    result = runner.invoke(app, ["brief", str(path), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 5, result.output
    page = read_brief(out / "brief.html")
    assert "problems" in page.status_class and "did not converge" in page.status_text
    bad = [n for n in page.numbers if n["key"] == "stress.nonconverged_hours" and n["section"] == "status"]  # fmt: skip
    assert bad and bad[0]["value"] == len(csv(out / "stress" / "nonconverged_hours.csv")) == 1
    keys = assert_numbers_match_files(out / "brief.html", out)
    assert {"stress.n1_outages_with_violation", "stress.nonconverged_hours"} <= keys


def test_infeasible_stage_still_gives_a_brief_that_says_so(tmp_path):
    """A campus with only a battery and no grid cannot be supplied: the sizing is infeasible,
    the grid-stress stage still runs, and the brief leads with the failure (exit 3)."""
    islanded = {
        "optimize": {"campus": {"technologies": ["battery"],
                                "grid": {"outage_hours": [[0, 8784]]}}},
        "study": {"contingencies": None,
                  "hosting_capacity": {"site": "bus-9-345", "hours": 2, "max_mw": 2000}},
    }  # fmt: skip
    path = _case118(tmp_path, islanded, [100.0, 120.0])
    out = tmp_path / "out"
    result = runner.invoke(app, ["brief", str(path), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 3, result.output
    page = read_brief(out / "brief.html")
    assert "problems" in page.status_class and "infeasible" in page.status_text
    assert (out / "stress" / "results.nc").exists() and not (out / "optimize").exists()
    assert "infeasible" in result.output
    keys = assert_numbers_match_files(out / "brief.html", out)
    assert {"stress.hosting_capacity_n0_mw", "stress.hosting_capacity_n1_mw"} <= keys


def test_failed_pdf_leaves_no_half_written_brief(tmp_path, default_brief):
    """A browser that runs but fails while printing: no new HTML or PDF, the earlier brief
    untouched (one that does not run at all is refused before any stage, in test_bad_inputs)."""
    _, src = default_brief
    out = tmp_path / "out"
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("brief.*"))
    path = out.parent / "default.yaml"
    shutil.copy(src.parent / "default.yaml", path)
    (out / "brief.html").write_text("earlier brief")
    failing = tmp_path / "failing-browser"
    failing.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Chromium 0" && exit 0\nexit 1\n')
    failing.chmod(0o755)
    env = {**os.environ, "GRIDMODEL_CHROMIUM": str(failing)}
    result = runner.invoke(app, ["brief", str(path), "--out", str(out), "--pdf"], env=env)
    assert result.exit_code == 6, result.output
    assert (out / "brief.html").read_text() == "earlier brief"
    assert not (out / "brief.pdf").exists() and not list(out.glob(".brief*"))
    # without Chromium and without --pdf: the HTML alone, and a message saying why
    env["GRIDMODEL_CHROMIUM"] = str(tmp_path / "no-such-browser")
    result = runner.invoke(app, ["brief", str(path), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "Chromium not found" in result.output
    assert (out / "brief.html").read_text().startswith("<!DOCTYPE html>")
    assert not (out / "brief.pdf").exists()


# ---------------------------------------------------------------------------------------------
# One figure style


def test_style_check_flags_figures_that_leave_the_house_style():
    """The check behind FigureStyleWarning (an error in the tests, so every figure any test
    draws follows the style): a figure of the wrong width, with an unlabelled axis, an axis
    without a unit and a colour outside the palette is flagged on each count; a conforming
    one is not."""
    from gridmodel.report.style import ONE_COLUMN_IN, PALETTE, figure, house_style, style_problems

    with house_style():
        fig, ax = figure((5.0, 3.0))
        ax.plot([0, 1], [0, 1], color="#ff0000")
        ax.set_ylabel("Loading")
        problems = " | ".join(style_problems(fig))
        fig, ax = figure(ONE_COLUMN_IN)
        ax.plot([0, 1], [0, 1], color=PALETTE[0])
        ax.set_xlabel("Hour (h)")
        ax.set_ylabel("Loading (%)")
        ax.set_title("Conforming")
        assert style_problems(fig) == []
    for expected in ("width 5 in", "x axis has no label", "'Loading' has no unit", "not in the palette"):  # fmt: skip
        assert expected in problems
    fig, ax = figure(ONE_COLUMN_IN)  # labels made outside the style take matplotlib's sizes
    ax.set_title("Too large")
    ax.set_xlabel("Hour (h)")
    ax.set_ylabel("Loading (%)")
    assert any("font sizes" in p for p in style_problems(fig))
