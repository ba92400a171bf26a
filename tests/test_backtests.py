"""Back-tests against recorded events and published bill impacts.

Every input is taken from a source named next to it; nothing is fitted to the figure tested.
Where a source leaves an input open (ERCOT's inertia at the event hour, the forecast pool
requirement's last digit) the test evaluates the model over the range the sources give and the
tolerance says so. The model-against-record numbers are listed in docs/dynamics.md and
docs/bills.md.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from gridmodel.datasets import data_file
from gridmodel.dynamics.frequency import metrics, simulate, system
from gridmodel.inputs import build_inputs
from gridmodel.networks import load_network
from gridmodel.rates.bills import delivery_year_capacity
from gridmodel.rates.run import bill_model
from gridmodel.schema import parse_scenario

# ---------------------------------------------------------------------------------------------
# ERCOT, 4 June 2022, 12:59:25 CDT (the "2022 Odessa disturbance")
#
# NERC and Texas RE, 2022 Odessa Disturbance (December 2022), as transcribed in a public working
# paper: 844 MW of synchronous generation and 1,711 MW of solar PV lost (2,555 MW), system
# frequency fell to 59.7 Hz; no load-shedding stage was reached. The pre-event load is the
# EIA-930 Texas Interconnection demand of the hour ending 13:00 CDT (18:00 UTC), 54,023 MW
# (Ruggles et al. cleaned series, shipped as data/eia930/cleaned/TEXAS_IC.csv). ERCOT's inertia at the event hour was
# not found; ERCOT's inertia paper (2018, via ai_loads_and_grid_events.md s.4) gives 130 GW·s as
# the lowest recorded and studies up to 376 GW·s, so the model is run at both ends.
ODESSA_LOST_MW = 2555.0
ODESSA_LOAD_MW = 54023.0
ODESSA_NADIR_HZ = 59.7
ODESSA_PRECISION_HZ = 0.05  # the nadir is published to 0.1 Hz
ERCOT_INERTIA_GWS = (130.0, 376.0)


def test_odessa_load_is_the_eia930_hour():
    load = pd.read_csv(
        data_file("eia930/cleaned/TEXAS_IC.csv"), index_col="date_time", parse_dates=True
    )["cleaned demand (MW)"]
    assert float(load.loc["2022-06-04 18:00"]) == ODESSA_LOAD_MW


def test_ercot_2022_odessa_trip_is_ridden_through_without_load_shedding():
    """The ERCOT preset, at the event's load and at either end of ERCOT's inertia range, sheds no
    load (as recorded) and does not dip less than the recorded 59.7 Hz by more than its
    precision. It dips deeper than recorded (0.05-0.17 Hz, docs/dynamics.md): the preset holds no
    fast frequency response, whose 2022 volume was not found."""
    nadirs = []
    for inertia in ERCOT_INERTIA_GWS:
        params = system("ercot", load_mw=ODESSA_LOAD_MW, inertia_mws=1000.0 * inertia)
        m = metrics(simulate(params, [ODESSA_LOST_MW], t_end_s=30.0), {})
        assert float(m.ufls_shed_mw[0]) == 0.0 and bool(m.valid[0])
        nadirs.append(float(m.nadir_hz[0]))
    assert 59.3 < nadirs[0] < nadirs[1] <= ODESSA_NADIR_HZ + ODESSA_PRECISION_HZ


# ---------------------------------------------------------------------------------------------
# Maryland Office of People's Counsel: capacity-price bill impacts per residential customer, if
# recovered over the 12 billing cycles of the delivery year (rates_and_costs.md s.1c).
#
# 2025/26 over 2024/25: Potomac Edison about $18/month (bulletin 3f1b028).
# 2026/27 over 2025/26 (opc.maryland.gov, FERC and PJM Issues): BGE -$3.36 after an RMR credit of
# -$4.20, i.e. +$0.84 from capacity prices; Pepco +$2.50 after -$0.85, i.e. +$3.35; Potomac
# Edison "more than $3".
#
# Prices are those of gridmodel/schema/capacity_prices.csv (Pepco and Potomac Edison (APS) cleared
# at the RTO price in 2025/26 and 2026/27, and APS in 2024/25; BGE paid its final 2025/26 zonal
# price, $306.84). The residential peak-load contribution per customer is not published: it is
# the same in each pair below (one household, one load shape), so the pairs test the prices, the
# forecast pool requirements and the delivery-year arithmetic, not the PLC. The FPRs are given to
# two decimals (0.95, 0.92; rates_and_costs.md s.1a): the tolerance is the model over ±0.005.
OPC_BGE_2026 = 0.84
OPC_PEPCO_2026 = 3.35
OPC_CENTS = 0.01
OPC_PE_2025 = 18.0
OPC_PE_2026_AT_LEAST = 3.0
FPR_HALF_DIGIT = 0.005


@pytest.fixture(scope="module")
def illinois():
    return load_network("illinois200")


def _residential_usd_per_month(network, zone: str, start: int, fpr: dict[int, float]) -> list:
    """Residential capacity cost per customer per month of each delivery year from ``start``
    (three years), if recovered over its 12 billing cycles, for a Maryland household."""
    scenario = parse_scenario(
        {
            "name": "opc",
            "network": "illinois200",
            "bills": {
                "start_year": start,
                "years": 3,
                "baseline": {"region": "maryland"},
                "monte_carlo": None,
                "procurement": {
                    "market": "capacity_market",
                    "capacity_market": {"zone": zone, "forecast_pool_requirement": fpr},
                },
            },
        }
    )
    model, _ = bill_model(build_inputs(scenario, network))
    customers = model.retail.customers[0]
    return [float(delivery_year_capacity(model, y, [])[0][0]) / customers / 12 for y in range(3)]


def _fpr_corners(central: dict[int, float], half_width: dict[int, float]):
    """Every corner of the FPR box central ± half_width (per delivery year)."""
    years = list(central)
    for signs in product((-1, 1), repeat=len(years)):
        yield {y: central[y] + s * half_width[y] for y, s in zip(years, signs, strict=True)}


def test_md_opc_2026_27_bge_and_pepco(illinois):
    """BGE's and Pepco's 2026/27 increases before RMR credits: both positive, in the ratio OPC
    gives (the same household in both). A model on BGE's BRA price ($466.35) would predict a
    decrease; one on a fixed 1.178 reserve margin a ratio of 0.38."""
    record = OPC_BGE_2026 / OPC_PEPCO_2026
    record_range = (
        (OPC_BGE_2026 - OPC_CENTS) / (OPC_PEPCO_2026 + OPC_CENTS),
        (OPC_BGE_2026 + OPC_CENTS) / (OPC_PEPCO_2026 - OPC_CENTS),
    )
    ratios = []
    central = {2025: 0.95, 2026: 0.92}
    for fpr in _fpr_corners(central, dict.fromkeys(central, FPR_HALF_DIGIT)):
        bge = _residential_usd_per_month(illinois, "BGE", 2025, fpr)
        pepco = _residential_usd_per_month(illinois, "RTO", 2025, fpr)
        assert bge[1] > bge[0] and pepco[1] > pepco[0]
        ratios.append((bge[1] - bge[0]) / (pepco[1] - pepco[0]))
    assert min(ratios) <= record_range[1] and record_range[0] <= max(ratios), (record, ratios)


def test_md_opc_potomac_edison_over_two_delivery_years(illinois):
    """Potomac Edison: about $18/month in 2025/26 over 2024/25, then more than $3 in 2026/27 over
    2025/26. The household's PLC cancels in the ratio of the two increases. The 2024/25 FPR was
    not found (it preceded ELCC accreditation): it multiplies only the $28.92 price, and ±0.15
    around 0.95 moves the result by under 2 %."""
    predicted = []
    central = {2024: 0.95, 2025: 0.95, 2026: 0.92}
    half = {2024: 0.15, 2025: FPR_HALF_DIGIT, 2026: FPR_HALF_DIGIT}
    for fpr in _fpr_corners(central, half):
        pe = _residential_usd_per_month(illinois, "RTO", 2024, fpr)
        ratio = (pe[2] - pe[1]) / (pe[1] - pe[0])
        predicted.append(
            ratio * (OPC_PE_2025 - 0.5)
        )  # the least 2026/27 increase "about $18" allows
    assert min(predicted) > OPC_PE_2026_AT_LEAST, predicted
    assert np.isfinite(predicted).all()
