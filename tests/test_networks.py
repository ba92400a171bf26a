"""Network conversion: real MATPOWER data, area names, hourly loads, impedance replacement."""

from __future__ import annotations

import copy
import re
import warnings
from collections import Counter

import numpy as np
import pandapower as pp
import pytest

from gridmodel.networks import available_networks, build_network, load_descriptor, load_network
from gridmodel.networks import matpower as mp
from gridmodel.networks.network import ext_grid_to_slack_gen, replace_impedances


def test_texas2000_tables(texas):
    assert len(texas.buses) == 2000
    assert len(texas.branches) == 3206
    assert texas.net.impedance.empty and texas.net.ext_grid.empty
    assert texas.region_loads.shape == (8784, 8)
    assert len(texas.contingencies) == 3190  # branch outages of contab_ACTIVSg2000


def test_first_hour_area_loads_match_the_change_table(texas):
    # first eight rows of scenarios_ACTIVSg2000.m (label 1, areas 1..8)
    expected = [946.9, 806.8, 940.1, 3318.7, 10047.2, 5441.9, 8258.4, 1467.9]
    names = [
        "Far West",
        "North",
        "West",
        "South",
        "North Central",
        "South Central",
        "Coast",
        "East",
    ]
    np.testing.assert_allclose(texas.region_loads.iloc[0][names].to_numpy(), expected)


def test_area_names_follow_the_bus_names(texas):
    """Each area's name is the ERCOT weather zone of its most common city."""
    zone_of_city = {
        "ODESSA": "Far West",
        "PARIS": "North",
        "STERLING CITY": "West",
        "SANTA ROSA": "South",
        "DALLAS": "North Central",
        "ELMENDORF": "South Central",
        "THOMPSONS": "Coast",
        "FAIRFIELD": "East",
    }
    for area, group in texas.buses.groupby("area"):
        cities = Counter(re.sub(r"(\s+\d+)+$", "", n) for n in group.name)
        top = next(c for c, _ in cities.most_common() if c in zone_of_city)
        assert zone_of_city[top] == area


def test_impedance_replacement_leaves_the_power_flow_unchanged():
    """The case with pandapower's impedance elements and with our transformers solve identically."""
    desc = load_descriptor("texas2000")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original, *_ = mp.read_case(desc.source.case, desc.f_hz)
    assert len(original.impedance) == 847
    converted = copy.deepcopy(original)
    replace_impedances(converted)
    ext_grid_to_slack_gen(converted)
    for net in (original, converted):
        pp.runpp(net, init="dc", calculate_voltage_angles=True, tolerance_mva=1e-9, numba=True)
    np.testing.assert_allclose(converted.res_bus.vm_pu, original.res_bus.vm_pu, atol=1e-9)
    np.testing.assert_allclose(converted.res_bus.va_degree, original.res_bus.va_degree, atol=1e-7)
    imp = original.res_impedance
    new = converted.res_trafo.iloc[len(converted.trafo) - len(imp) :]
    hv_is_from = (
        original.bus.vn_kv.loc[original.impedance.from_bus].to_numpy()
        >= original.bus.vn_kv.loc[original.impedance.to_bus].to_numpy()
    )
    p_from = np.where(hv_is_from, new.p_hv_mw, new.p_lv_mw)
    q_to = np.where(hv_is_from, new.q_lv_mvar, new.q_hv_mvar)
    np.testing.assert_allclose(p_from, imp.p_from_mw, atol=1e-6)
    np.testing.assert_allclose(q_to, imp.q_to_mvar, atol=1e-6)
    assert abs(converted.res_gen.p_mw.iloc[-1] - original.res_ext_grid.p_mw.iloc[0]) < 1e-6


def test_cached_network_equals_a_fresh_conversion(texas):
    fresh = build_network(texas.descriptor)
    cached = load_network("texas2000")
    assert cached.buses.equals(fresh.buses)
    assert cached.branches.equals(fresh.branches)
    np.testing.assert_array_equal(cached.net.trafo.vk_percent, fresh.net.trafo.vk_percent)


@pytest.mark.parametrize("name", [n for n in available_networks() if n != "western10k"])
def test_every_descriptor_loads_and_its_sites_exist(name):
    network = load_network(name)
    assert network.descriptor.sites, "each network lists candidate sites"
    for site in network.descriptor.sites:
        row = network.buses.loc[network.bus_index(site.bus)]
        assert row.vn_kv == site.kv and row.area == site.area


def test_unknown_network_names_the_available_ones():
    with pytest.raises(KeyError, match="texas2000"):
        load_descriptor("texas2001")
