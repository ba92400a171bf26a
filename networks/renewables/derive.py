"""Derive the bundled hourly availability of every wind, solar and hydro unit of the bundled networks.

Run from the repository root (the Texas solar profiles come through ``gridmodel.datasets``,
dataset ``ercot_renewables``: fetched on first use; every other input is a published figure
written below with its source)::

    python networks/renewables/derive.py

Writes ``networks/renewables/<network>.csv.gz``: one row per hour of the network's load year
(local standard time, hour beginning), one column ``gen <n>`` per wind, solar or hydro unit (n =
1-based row of the case's generator table), values = available MW / Pmax, 3 decimals. The
sources, licences and method are in ``README.md`` beside this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gridmodel.networks import load_network  # noqa: E402
from gridmodel.networks.renewables import RENEWABLE_FUELS, bundled_availability_path  # noqa: E402

# EIA, Electric Power Annual, Table 4.8.B "Capacity factors for utility scale generators not
# primarily using fossil fuels" (January 2013 - December 2015 edition): United States monthly
# capacity factors (%), 2013 and 2014, January ... December.
EIA_MONTHLY_CF = {
    "hydro": (
        [42.3, 38.3, 34.8, 44.4, 48.4, 48.3, 46.8, 37.2, 29.9, 29.2, 31.1, 35.9],
        [36.7, 32.6, 40.7, 44.5, 44.6, 44.8, 41.3, 33.7, 28.2, 29.2, 32.6, 37.8],
    ),
    "wind": (
        [33.5, 35.4, 35.9, 41.1, 37.0, 32.4, 25.3, 22.0, 27.4, 31.0, 37.0, 31.3],
        [40.3, 34.8, 39.8, 43.2, 34.9, 36.5, 27.0, 22.5, 26.1, 31.6, 42.3, 30.4],
    ),
}
# EIA, Electric Power Annual / Monthly, Table 4.08.B / 6.07.B: United States annual capacity
# factors (%) by year.
EIA_ANNUAL_CF = {
    "hydro": {2016: 38.2, 2017: 43.0},
    "wind": {2016: 34.5, 2017: 34.6},
    "solar": {2016: 25.0, 2017: 25.6},
}
# ERCOT 2016 wind (ERCOT Fuel Mix Report 2016, IntGenByFuel2016.xlsx, as summarised in
# shared/data/ercot_renewables/SOURCE.md): 53.15 TWh; mean output by hour ending (Central
# prevailing time) highest HE24 7.48 GW, lowest HE14 4.78 GW, annual mean 6.05 GW. Installed
# capacity "more than 17,000 MW" (ERCOT news release, 28 Nov 2016): CF = 53.15 TWh / (17 GW x
# 8,784 h) = 35.6 %, rounded to 35 % for a capacity that grew through the year.
ERCOT_WIND_CF_2016 = 0.35
ERCOT_WIND_DIURNAL_AMPLITUDE = (7.48 - 4.78) / 2 / 6.05  # 0.223 of the mean
ERCOT_WIND_PEAK_HOUR = 23  # hour beginning 23:00 = HE24
# ERCOT Capacity, Demand and Reserves methodology (Board, October 2014): summer peak capacity
# contribution 56 % of nameplate for Coastal wind, 12 % for the rest. Coastal wind blows in the
# afternoon (sea breeze): its shape here peaks at hour beginning 15:00 with the amplitude that
# puts the summer-afternoon output at 56 % for a 35 % annual capacity factor.
COASTAL_WIND_PEAK_HOUR = 15
COASTAL_WIND_AMPLITUDE = 0.56 / ERCOT_WIND_CF_2016 - 1.0
TEXAS_COASTAL_AREAS = ("South", "Coast")

SOLAR_UTC_TO_CST = 6  # Breakthrough labels are UTC hour beginning; Texas is UTC-6 (standard)


def hours_of(year: int) -> pd.DatetimeIndex:
    start = pd.Timestamp(f"{year}-01-01")
    return pd.date_range(start, start + pd.DateOffset(years=1), freq="h", inclusive="left")


def monthly_shape(fuel: str) -> np.ndarray:
    """Mean of the EIA 2013 and 2014 monthly capacity factors over their annual mean."""
    cf = np.mean(EIA_MONTHLY_CF[fuel], axis=0)
    return cf / cf.mean()


def scaled(shape: np.ndarray, cf: float) -> np.ndarray:
    """``shape`` scaled to the annual capacity factor ``cf``; hours above 1 are clipped and the
    clipped energy spread over the others (a few passes), so the annual mean stays ``cf``."""
    out = shape / shape.mean() * cf
    for _ in range(20):
        over = out > 1.0
        if not over.any():
            break
        out = np.minimum(out, 1.0)
        free = out < 1.0
        out[free] *= (cf * len(out) - over.sum()) / out[free].sum()
    return np.minimum(out, 1.0)


def wind_shape(time: pd.DatetimeIndex, cf: float, coastal: bool) -> np.ndarray:
    """Documented wind shape: EIA monthly factor x diurnal cosine, scaled to ``cf``."""
    hour = time.hour.to_numpy()
    if coastal:
        month = np.ones(len(time))
        day = 1 + COASTAL_WIND_AMPLITUDE * np.cos(2 * np.pi * (hour - COASTAL_WIND_PEAK_HOUR) / 24)
    else:
        month = monthly_shape("wind")[time.month.to_numpy() - 1]
        day = 1 + ERCOT_WIND_DIURNAL_AMPLITUDE * np.cos(
            2 * np.pi * (hour - ERCOT_WIND_PEAK_HOUR) / 24
        )
    return scaled(month * day, cf)


def hydro_shape(time: pd.DatetimeIndex, year: int) -> np.ndarray:
    """Run-of-river at the month's mean: EIA monthly factor scaled to the year's US capacity
    factor, constant within the month (so the month's energy is the historical one)."""
    month = monthly_shape("hydro")[time.month.to_numpy() - 1]
    return scaled(month, EIA_ANNUAL_CF["hydro"][year] / 100.0)


def texas_solar() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Breakthrough's 2016 hourly solar per plant (UTC) and its ACTIVSg2000 map."""
    from gridmodel.datasets import data_file

    folder = "ercot_renewables/breakthrough_2016"
    profile = pd.read_csv(data_file(f"{folder}/texas_solar_v4.1.csv"), index_col="UTC")
    plants = pd.read_csv(data_file(f"{folder}/plant_map_activsg2000.csv"))
    return profile, plants


def solar_local(profile: pd.DataFrame, shift: int) -> pd.DataFrame:
    """Per-unit solar (MW / the plant's peak) from UTC to local standard time (UTC - shift)."""
    pu = profile / profile.max()
    return pd.DataFrame(np.roll(pu.to_numpy(), -shift, axis=0), columns=pu.columns)


def fleet_solar_shape(year: int) -> np.ndarray:
    """Documented solar shape for networks outside Texas: the Breakthrough Texas 2016 fleet's
    per-unit profile on local solar time (West Texas sits about 12 degrees west of the Central
    meridian, so its solar noon is about 12:48 CST: shifted by one hour), scaled to the year's US
    utility PV capacity factor. The same calendar days as Texas 2016."""
    profile, _ = texas_solar()
    fleet = solar_local(profile, SOLAR_UTC_TO_CST + 1).mean(axis=1).to_numpy()
    n = len(hours_of(year))
    return scaled(np.resize(fleet, n), EIA_ANNUAL_CF["solar"][year] / 100.0)


def derive(name: str) -> pd.DataFrame:
    network = load_network(name)
    year = network.load_year
    time = hours_of(year)[: network.n_hours]
    units = network.units
    units = units[units.fuel.isin(RENEWABLE_FUELS) & (units.case_gen > 0)]
    area = network.buses.set_index("bus").area.loc[units.bus].to_numpy()
    columns: dict[str, np.ndarray] = {}
    if name == "texas2000":
        profile, plants = texas_solar()
        local = solar_local(profile, SOLAR_UTC_TO_CST)
        by_gen = plants.dropna(subset=["activsg_gen_index"]).set_index("activsg_gen_index")
    for row, fuel, unit_area in zip(units.case_gen, units.fuel, area, strict=True):
        if fuel == "hydro":
            values = hydro_shape(time, year)
        elif fuel == "wind":
            cf = ERCOT_WIND_CF_2016 if name == "texas2000" else EIA_ANNUAL_CF["wind"][year] / 100
            coastal = name == "texas2000" and unit_area in TEXAS_COASTAL_AREAS
            values = wind_shape(time, cf, coastal)
        elif name == "texas2000":
            plant = by_gen.loc[float(row)]
            values = local[str(int(plant.plant_id))].to_numpy()
        else:
            values = fleet_solar_shape(year)[: len(time)]
        columns[f"gen {row}"] = values
    return pd.DataFrame(columns).round(3)


def main() -> None:
    for name in ("texas2000", "illinois200", "carolinas500", "western10k"):
        table = derive(name)
        path = bundled_availability_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
        print(f"{name}: {table.shape[1]} units x {len(table)} h -> {path} "
              f"({path.stat().st_size / 1e3:,.0f} kB)")  # fmt: skip


if __name__ == "__main__":
    main()
