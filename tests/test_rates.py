"""Residential price pass-through: allocation, revenue neutrality, tariffs, capacity, bills."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from scipy.optimize import brentq

from gridmodel.inputs import build_inputs
from gridmodel.networks import load_network
from gridmodel.rates import allocation
from gridmodel.rates import run as bills_stage
from gridmodel.rates.bills import (
    COMPONENTS,
    at_todays_prices,
    delivery_year_capacity,
    residential_plc_kw_per_customer,
    simulate,
)
from gridmodel.rates.revenue import calibrated_supply, capacity_price, fixed_charge_rate
from gridmodel.rates.run import named_cases
from gridmodel.rates.tariff import exit_fee_usd
from gridmodel.resources import bundled_dir
from gridmodel.schema import ScenarioError, parse_scenario
from gridmodel.schema.bills import EIA_SECTORS, MONTHLY_SALES, region_table, region_value

# Four classes, twelve hours: two each in Jan, Jun, Jul, Aug, Sep, Dec.
MONTH = np.array([1, 1, 6, 6, 7, 7, 8, 8, 9, 9, 12, 12])
LOADS = np.array(
    [
        [3, 5, 6, 9, 7, 10, 8, 6, 5, 7, 4, 6],  # residential, peaky
        [4, 4, 5, 6, 5, 6, 6, 5, 5, 5, 4, 4],  # commercial
        [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],  # industrial, flat
        [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],  # data centre, flat
    ],
    dtype=float,
)
# System: 12 14 16 20 17 21 19 16 15 17 13 15 (195 MWh) -> annual peak hour 5 (21 MW);
# monthly peaks: Jan h1, Jun h3, Jul h5, Aug h6, Sep h9, Dec h11.


def _hand(method: str) -> np.ndarray:
    if method == "energy":
        det = LOADS.sum(axis=1)
    elif method == "1cp":
        det = LOADS[:, 5]
    elif method == "4cp":
        det = LOADS[:, [3, 5, 6, 9]].mean(axis=1)
    elif method == "12cp":
        det = LOADS[:, [1, 3, 5, 6, 9, 11]].mean(axis=1)
    elif method == "ncp":
        det = LOADS.max(axis=1)
    else:  # average and excess, written out
        lf = 16.25 / 21.0  # system mean 195/12 = 16.25 MW over the 21 MW peak
        avg = LOADS.mean(axis=1)
        excess = LOADS.max(axis=1) - avg
        det = lf * LOADS.sum(axis=1) / LOADS.sum() + (1 - lf) * excess / excess.sum()
    return det / det.sum()


@pytest.mark.parametrize("method", allocation.METHODS)
def test_allocation_matches_hand_computation(method):
    shares = allocation.shares(method, LOADS, MONTH)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(shares, _hand(method), rtol=1e-12)


def test_minimum_take_and_peak_avoidance_change_the_determinant():
    floor = np.array([0, 0, 0, 5.0])
    scale = np.array([1, 1, 1, 0.0])
    cp = allocation.determinants("1cp", LOADS, MONTH, floor_mw=floor, cp_scale=scale)
    np.testing.assert_allclose(cp, [10, 6, 3, 5])  # avoided peak, then floored at 5 MW
    energy = allocation.determinants("energy", LOADS, MONTH, floor_mw=floor)
    assert energy[3] == 24  # a minimum take never bills energy


def test_fixed_charge_rate_recovers_capex_after_tax():
    """FCR against an independent cash-flow computation: the level revenue R whose after-tax
    cash flows, with straight-line tax depreciation, have a present value equal to the capex."""
    wacc, life, tax = 0.0799, 30, 0.2574
    t = np.arange(1, life + 1)
    disc = (1 + wacc) ** -t

    def npv(r):
        dep = 1.0 / life
        return (((r - dep) * (1 - tax) + dep) * disc).sum() - 1.0

    assert fixed_charge_rate(wacc, life, tax) == pytest.approx(brentq(npv, 0.01, 1.0), rel=1e-10)
    assert 0.10 <= fixed_charge_rate(wacc, life, tax) <= 0.13  # the 10-13 %/yr of the reference


def test_capacity_curve_calibration_and_collar():
    supply = calibrated_supply(1000.0, 269.92, 329.17, 177.24, 0.05)
    assert capacity_price(supply, 1000.0, 329.17, 177.24, 0.05) == pytest.approx(269.92)
    prices = [capacity_price(supply, req, 329.17, 177.24, 0.05) for req in (900, 1000, 1010, 1100)]
    assert prices == sorted(prices) and prices[0] == 177.24 and prices[-1] == 329.17


# ---------------------------------------------------------------------------------------------
# The bill model on a real network (illinois200, scaled to a 4,000 MW peak)


def _scenario(**bills):
    base = {
        "name": "t",
        "network": "illinois200",
        "load_growth": {"kind": "scale_to_peak", "peak_mw": 4000},
        "campuses": [{"name": "dc", "site": "springfield-230", "mw": 1000}],
        "bills": {
            "baseline": {"region": "ohio"},
            "years": 12,
            "large_loads": [{"campus": "dc", "first_year": 1, "ramp_years": 2}],
            "monte_carlo": None,
            **bills,
        },
    }
    return parse_scenario(base)


@pytest.fixture(scope="module")
def illinois():
    return load_network("illinois200")


def bill_model(network, scenario):
    """The bill model of a scenario on ``network``."""
    return bills_stage.bill_model(build_inputs(scenario, network))


def _eia861m(state: str, sector: str) -> pd.DataFrame:
    """The shipped EIA-861M 2024 monthly rows of one state and sector, read with pandas."""
    rows = pd.read_csv(MONTHLY_SALES, comment="#")
    return rows[(rows.state == state) & (rows.sector == sector)]


# ---------------------------------------------------------------------------------------------
# Regional figures from EIA-861M, class loads from the regions' shapes

#: EIA, Electric Sales, Revenue, and Average Price 2023 (EIA-861), Table 5A, Texas residential:
#: 1,146 kWh and $168.69 a month.
EIA861_2023_TEXAS_KWH, EIA861_2023_TEXAS_BILL = 1146.0, 168.69


def test_region_rows_follow_from_the_eia861m_monthly_rows():
    """Every state row of regions.csv recomputed from the shipped monthly rows: sales and
    revenue summed over 2024, customers averaged (the rounding of the table is the tolerance)."""
    table = region_table()
    for state in ("TX", "MD", "OH"):
        rows = table[table.state == state].set_index("retail_class")
        sales = {c: _eia861m(state, s) for c, s in EIA_SECTORS.items()}
        total = sum(r.sales_gwh.sum() for r in sales.values())
        for cls, r in sales.items():
            row = rows.loc[cls]
            assert row.cents_per_kwh == pytest.approx(100 * r.revenue_musd.sum() / r.sales_gwh.sum(), abs=5e-4)  # fmt: skip
            assert row.energy_share == pytest.approx(r.sales_gwh.sum() / total, abs=5e-5)
            kwh = r.sales_gwh.sum() * 1e6 / r.customers.mean() / 12
            assert row.kwh_per_customer_month == pytest.approx(kwh, abs=0.05)
            ratio = r.customers.mean() / sales["residential"].customers.mean()
            assert row.customers_per_residential == pytest.approx(ratio, abs=5e-6)
        assert len(_eia861m(state, "RES")) == 12  # the whole year


def test_texas_household_is_within_ten_percent_of_eia861(illinois):
    """The Texas household the bills use (EIA-861M 2024) against EIA-861 2023's Texas residential
    figures: use and bill within 10 %."""
    texas = parse_scenario(
        {"name": "tx", "network": "illinois200",
         "bills": {"baseline": {"region": "texas"}, "monte_carlo": None}}
    )  # fmt: skip
    model, _ = bill_model(illinois, texas)
    kwh = model.retail.household_kwh_per_month
    bill = simulate(model, []).residential_bill_usd_per_month.to_numpy()[0]
    assert abs(kwh / EIA861_2023_TEXAS_KWH - 1) < 0.10, kwh
    assert abs(bill / EIA861_2023_TEXAS_BILL - 1) < 0.10, bill


def test_a_missing_regional_value_names_the_field():
    with pytest.raises(ValueError, match="bills.classes.x"):
        region_value("us", "commercial", "kwh_per_customer_month", "bills.classes.x")


def test_class_loads_add_up_every_hour_and_meet_the_regions_shares(illinois):
    """The split of the network's load: the classes sum to the system load in every hour, each
    class takes its region's share of the year's energy, and the residential class (cooling)
    takes a larger share of the summer peak than of the energy."""
    model, _ = bill_model(illinois, _scenario(procurement={"market": "energy_only"}))
    loads = model.retail.loads_mw
    system = build_inputs(_scenario(), illinois).inputs.system_load_mw.to_numpy()
    np.testing.assert_allclose(loads.sum(axis=0), system, rtol=1e-12)
    assert (loads >= 0).all()
    ohio = {c: _eia861m("OH", s).sales_gwh.sum() for c, s in EIA_SECTORS.items()}
    shares = np.array(list(ohio.values())) / sum(ohio.values())
    np.testing.assert_allclose(loads.sum(axis=1) / loads.sum(), shares, atol=5e-5)
    peak = int(np.argmax(system))
    assert loads[0, peak] / system[peak] > shares[0]


def test_revenue_neutral_every_year_and_today_reproduced(illinois):
    scenario = _scenario(
        procurement={"market": "vertically_integrated"},
        transmission={"projects": [{"name": "p", "capex_musd": 300, "in_service_year": 1}]},
        large_loads=[
            {"campus": "dc", "first_year": 1, "materialisation": 0.6, "leaves_after_years": 4}
        ],
    )
    model, campuses = bill_model(illinois, scenario)
    for cases in named_cases(campuses).values():
        ds = simulate(model, cases)
        rr = ds.revenue_requirement_usd.to_numpy()
        np.testing.assert_allclose(ds.revenue_usd.sum("class"), rr, rtol=1e-12)
        pools = ds.allocated_usd.sum(["class"]).drop_sel(component="rate_design").sum("component")
        np.testing.assert_allclose(pools, rr, rtol=1e-12)  # the rate-design terms sum to zero
    base = simulate(replace(model, transmission=()), [])
    prices = model.retail.revenue_usd / model.retail.energy_mwh
    np.testing.assert_allclose(
        base.cost_of_service_usd_per_mwh, np.tile(prices, (12, 1)), rtol=1e-12
    )
    ohio = _eia861m("OH", "RES")  # EIA-861M 2024 Ohio residential, from the monthly rows
    assert float(base.residential_cents_per_kwh[0]) == pytest.approx(
        100 * ohio.revenue_musd.sum() / ohio.sales_gwh.sum(), abs=5e-4
    )


def test_more_load_without_new_cost_lowers_residential_rates(illinois):
    scenario = _scenario(procurement={"market": "energy_only"})
    model, campuses = bill_model(illinois, scenario)
    base = simulate(model, []).cost_of_service_usd_per_mwh.sel(retail_class="residential")
    with_dc = simulate(model, campuses).cost_of_service_usd_per_mwh.sel(retail_class="residential")
    assert float(with_dc[0]) == pytest.approx(float(base[0]), rel=1e-12)  # year 0: no campus yet
    assert np.all(with_dc[1:].to_numpy() < base[1:].to_numpy() - 0.5)  # $/MWh lower each year


def test_new_build_for_a_load_that_never_comes_raises_residential_rates(illinois):
    scenario = _scenario(procurement={"market": "vertically_integrated"})
    model, campuses = bill_model(illinois, scenario)
    base = simulate(model, []).cost_of_service_usd_per_mwh.sel(retail_class="residential")
    no_show = [replace(c, materialisation=0.0, tariff=None) for c in campuses]
    ds = simulate(model, no_show)
    assert float(ds.new_generation_mw[-1]) == pytest.approx(1000 * 1.178)
    assert np.all(ds.cost_of_service_usd_per_mwh.sel(retail_class="residential")[1:] > base[1:] + 1)


def test_minimum_take_bills_the_floor_and_exit_fee_arithmetic(illinois):
    scenario = _scenario(
        procurement={"market": "energy_only"},
        allocation={"generation": "1cp", "transmission": "1cp"},
        large_loads=[{"campus": "dc", "first_year": 1, "ramp_years": 1, "materialisation": 0.0}],
    )
    model, campuses = bill_model(illinois, scenario)
    ds = simulate(model, campuses)
    retail_cp = model.retail.loads_mw.sum(axis=0).max()
    share = 0.85 * 1000 / (retail_cp + 0.85 * 1000)  # the campus draws nothing; billed at 85 %
    paid = float(ds.allocated_usd.sel({"class": "large_load", "component": "existing_transmission"})[2])  # fmt: skip
    assert paid == pytest.approx(model.existing.transmission_usd * share, rel=1e-9)
    gen_share = 0.60 * 1000 / (retail_cp + 0.60 * 1000)
    paid_gen = float(ds.allocated_usd.sel({"class": "large_load", "component": "existing_generation"})[2])  # fmt: skip
    assert paid_gen == pytest.approx(model.existing.generation_demand_usd * gen_share, rel=1e-9)

    leaving = replace(campuses[0], leaves_after_years=3)  # leaves in year 4, 11 contract years left
    minimum_bill = paid + paid_gen
    assert exit_fee_usd(leaving, minimum_bill) == pytest.approx(5 * minimum_bill)
    capped = replace(leaving, tariff=leaving.tariff.model_copy(update={"collateral_musd": 1.0}))
    assert exit_fee_usd(capped, minimum_bill) == pytest.approx(1e6)
    ds = simulate(model, [leaving])
    assert float(ds.exit_fee_usd.sum()) == pytest.approx(5 * minimum_bill, rel=1e-9)
    credit = -ds.allocated_usd.sel(component="exit_fee_credit").sum()
    # credited evenly over the 11 contract years left, 8 of them (years 4-11) in the horizon
    assert float(credit) == pytest.approx(5 * minimum_bill * 8 / 11, rel=1e-9)
    assert float(ds.allocated_usd.sel({"class": "large_load", "component": "exit_fee_credit"}).sum()) == 0  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Capacity in PJM's terms: 5CP peak-load contributions, FPR, delivery years


def _five_cp_by_hand(system_mw: np.ndarray, year: int) -> np.ndarray:
    """Hours of the five highest daily peaks in June-September, written out with pandas."""
    s = pd.Series(system_mw, index=pd.date_range(f"{year}-01-01", periods=len(system_mw), freq="h"))
    summer = s[(s.index.month >= 6) & (s.index.month <= 9)]
    peaks = summer.groupby(summer.index.date).idxmax()
    top = summer[peaks.values].nlargest(5).index
    return np.sort([s.index.get_loc(t) for t in top])


def _capacity_scenario(**market):
    return _scenario(
        years=6,
        procurement={"market": "capacity_market", "capacity_market": market},
        rate_case={"interval_years": 1, "lag_years": 0},
        large_loads=[{"campus": "dc", "first_year": 1, "ramp_years": 2}],
    )


def test_residential_plc_per_customer_follows_from_class_loads_at_the_5cp_hours(illinois):
    model, _ = bill_model(illinois, _capacity_scenario())
    hours = _five_cp_by_hand(model.retail.loads_mw.sum(axis=0), illinois.load_year)
    np.testing.assert_array_equal(model.retail.five_cp, hours)
    residential_mw = model.retail.loads_mw[0, hours].mean()
    ohio = _eia861m("OH", "RES")  # Ohio household: EIA-861M 2024 sales over mean customers
    household_kwh = ohio.sales_gwh.sum() * 1e6 / ohio.customers.mean() / 12
    customers = model.retail.energy_mwh[0] * 1000 / (12 * household_kwh)
    plc_kw = residential_mw * 1000 / customers
    assert residential_plc_kw_per_customer(model) == pytest.approx(plc_kw, rel=1e-4)
    assert 1.0 < plc_kw < 6.0  # a household, not a class
    given, _ = bill_model(illinois, _capacity_scenario(residential_plc_kw=2.5))
    assert residential_plc_kw_per_customer(given) == pytest.approx(2.5, rel=1e-12)


def test_capacity_cost_of_a_zone_is_price_times_ucap_obligation_times_days(illinois):
    prices = [269.92, 310.0, 329.17, 333.44, 300.0, 280.0]
    model, campuses = bill_model(
        illinois, _capacity_scenario(price_usd_per_mw_day=prices, forecast_pool_requirement=0.93)
    )
    hours = _five_cp_by_hand(model.retail.loads_mw.sum(axis=0), illinois.load_year)
    retail_peak = model.retail.loads_mw[:, hours].sum(axis=0).mean()
    campus = campuses[0]
    at_peak = campus.shape[hours].mean()
    ds = simulate(model, campuses)
    for y in range(6):
        start = 2027 + y
        days = (date(start + 1, 6, 1) - date(start, 6, 1)).days
        obligation = (retail_peak + campus.forecast_mw(y) * at_peak) * 0.93
        rows, price, ucap = delivery_year_capacity(model, y, campuses)
        assert float(rows.sum()) == pytest.approx(prices[y] * obligation * days, rel=1e-9)
        assert ucap == pytest.approx(obligation, rel=1e-12)
        assert float(ds.ucap_obligation_mw[y]) == pytest.approx(obligation, rel=1e-12)
    # recovered over the delivery year's 12 billing cycles: 7 in the first calendar year, 5 after
    paid = ds.allocated_usd.sel(component="capacity").sum("class").to_numpy()
    cost = [float(delivery_year_capacity(model, y, campuses)[0].sum()) for y in range(-1, 6)]
    np.testing.assert_allclose(paid, [7 / 12 * cost[y + 1] + 5 / 12 * cost[y] for y in range(6)], rtol=1e-12)  # fmt: skip


def test_a_forecast_that_never_arrives_is_paid_by_the_other_classes(illinois):
    model, campuses = bill_model(illinois, _capacity_scenario(price_usd_per_mw_day=300.0))
    no_show = [replace(c, materialisation=0.0, tariff=None) for c in campuses]
    rows, price, obligation = delivery_year_capacity(model, 3, no_show)
    assert obligation > model.retail.plc_mw().sum() * 0.92 + 900  # the campus's forecast counts
    assert rows[3] == 0.0  # no load measured, no minimum take
    assert float(rows[:3].sum()) == pytest.approx(300.0 * obligation * 365, rel=1e-12)


def test_a_price_change_without_a_campus_costs_the_household_its_plc_times_fpr(illinois):
    scenario = parse_scenario(
        {
            "name": "price-only",
            "network": "illinois200",
            "load_growth": {"kind": "scale_to_peak", "peak_mw": 4000},
            "bills": {
                "baseline": {"region": "ohio"},
                "years": 4,
                "monte_carlo": None,
                "rate_case": {"interval_years": 1, "lag_years": 0},
                "procurement": {"market": "capacity_market", "capacity_market": {}},
            },
        }
    )
    model, campuses = bill_model(illinois, scenario)
    assert campuses == [] and list(named_cases(campuses)) == ["today", "scenario"]
    today = simulate(at_todays_prices(model), []).residential_bill_usd_per_month.to_numpy()
    bill = simulate(model, []).residential_bill_usd_per_month.to_numpy()
    # 2029: the billing cycles of 2028/29 and 2029/30, both at the published 2027/28 cap (the
    # last published price, which anchors the demand curve) and both 365 days long
    assert float(model.supply.capacity.prices[0]) == 333.44
    usd_per_kw_month = (333.44 * 0.92 - 269.92 * 0.95) * 365 / 12 / 1000
    plc = residential_plc_kw_per_customer(model)
    assert bill[2] - today[2] == pytest.approx(usd_per_kw_month * plc, rel=1e-9)


def test_rate_case_lag_defers_and_recovers(illinois):
    scenario = _scenario(procurement={"market": "vertically_integrated"}, rate_case={"interval_years": 2, "lag_years": 1})  # fmt: skip
    model, campuses = bill_model(illinois, scenario)
    ds = simulate(model, campuses)
    revenue = ds.revenue_usd.sel({"class": "residential"}).to_numpy()
    collected = ds.collected_usd.sel(retail_class="residential").to_numpy()
    balance = ds.deferral_usd.sel(retail_class="residential").to_numpy()
    carried = 0.0
    for y in range(len(revenue)):  # the balance is the carried under-recovery, year by year
        carried = carried * (1 + model.wacc) + revenue[y] - collected[y]
        assert balance[y] == pytest.approx(carried, rel=1e-9, abs=1.0)
    assert np.all(ds.rate_usd_per_mwh[1::2] == ds.rate_usd_per_mwh[0::2][: len(ds.year[1::2])])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "classes": {
                    "energy_share": {"residential": 0.5, "commercial": 0.4, "industrial": 0.2}
                }
            },
            "bills.classes.energy_share",
        ),  # fmt: skip
        ({"wacc": -0.02}, "bills.wacc"),
        ({"allocation": {"transmission": "7cp"}}, "bills.allocation.transmission"),
    ],
)
def test_bad_bill_inputs_name_the_field(change, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        _scenario(**change)


def test_bills_command_writes_every_output(tmp_path):
    from typer.testing import CliRunner

    from gridmodel.cli import app

    data = yaml.safe_load((bundled_dir("scenarios") / "ohio-capacity-bills.yaml").read_text())
    data["bills"]["monte_carlo"]["draws"] = 10
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["bills", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.rglob("*") if p.is_file()}
    for stem in ("bill_waterfall", "bill_trajectories", "allocation_methods", "bill_fan_chart"):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    assert {"bills.nc", "bills.csv"} <= names
    mc = xr.open_dataset(out / "bills" / "bills.nc", group="monte_carlo")
    assert mc.sizes["draw"] == 10
    assert float((mc.recovered_usd.sum("year") - mc.stranded_cost_usd.sum("year")).max()) <= 1.0
    cases = xr.open_dataset(out / "bills" / "bills.nc", group="cases")
    assert set(cases.component.values) == set(COMPONENTS)

    data["bills"]["baseline"]["region"] = "atlantis"
    path.write_text(yaml.safe_dump(data))
    bad = CliRunner().invoke(app, ["bills", str(path), "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "bills.baseline.region" in bad.output
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize(
    ("market", "field"),
    [
        ({"forecast_pool_requirement": 2.5}, "capacity_market.forecast_pool_requirement"),
        ({"forecast_pool_requirement": {2026: 0.0}}, "capacity_market.forecast_pool_requirement"),
        ({"zone": "ATLANTIS"}, "bills.procurement.capacity_market.zone"),
    ],
)
def test_bad_capacity_terms_fail_through_the_cli_naming_the_field(tmp_path, market, field):
    from typer.testing import CliRunner

    from gridmodel.cli import app

    data = {
        "name": "bad",
        "network": "illinois200",
        "bills": {"procurement": {"market": "capacity_market", "capacity_market": market}},
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["bills", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and field in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
