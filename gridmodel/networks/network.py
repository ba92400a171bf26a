"""A regional network ready for time-series power flow: pandapower tables plus labelled metadata.

Conversion steps, in order:

1. the case is converted to pandapower (``matpower.read_case`` or ``pandapower.networks``);
2. ``impedance`` elements (MATPOWER branches joining two voltage levels at nominal ratio, which
   pandapower's converter creates and lightsim2grid rejects) become transformers with the same
   series impedance, nominal ratio and no magnetising branch - an exact equivalent
   (``replace_impedances``);
3. the ``ext_grid`` becomes a generator flagged ``slack=True`` so that one set of generators
   carries the distributed slack in both pandapower and lightsim2grid (``ext_grid_to_slack_gen``);
4. bus and branch tables are labelled with the case's own bus numbers and region names.

The result is cached on disk (``resources.cache_dir``) so the second load takes well under a second.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import gridmodel
from gridmodel.io import write_atomic
from gridmodel.networks import matpower
from gridmodel.networks.descriptor import NetworkDescriptor, descriptor_path, load_descriptor
from gridmodel.resources import cache_dir


@dataclass
class Network:
    """A converted network and its labels.

    ``buses`` is indexed like ``net.bus`` with columns ``bus`` (case bus number), ``name``,
    ``vn_kv``, ``region`` (number), ``area`` (name), ``min_vm_pu``, ``max_vm_pu``.
    ``branches`` has one row per case branch, in case order, with ``element`` (``line`` or
    ``trafo``), ``element_index`` (pandapower index), ``from_bus``/``to_bus`` (case numbers),
    ``rate_a_mva`` (NaN where the case gives no rating) and ``in_service``.
    ``region_loads`` holds hourly real-power loads per area name (MW), or None.
    ``contingencies`` holds the case's branch contingencies (lists of branch rows), or None.
    ``units`` has one row per dispatchable unit in :class:`gridmodel.powerflow.dispatch.Fleet`
    order (``net.gen`` rows, then ``net.sgen`` rows) with ``element``, ``element_index``,
    ``case_gen`` (1-based row of the case's generator table, 0 for units the case does not
    list), ``bus`` (case number) and ``fuel`` (the case's ``genfuel``, ``unknown`` without one).
    """

    descriptor: NetworkDescriptor
    net: Any  # pandapower's pandapowerNet
    buses: pd.DataFrame
    branches: pd.DataFrame
    region_loads: pd.DataFrame | None = None
    contingencies: list[list[int]] | None = None
    notes: list[str] = field(default_factory=list)
    units: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.descriptor.name

    def bus_index(self, case_bus: int) -> int:
        """pandapower index of the bus numbered ``case_bus`` in the case file."""
        hits = self.buses.index[self.buses["bus"] == case_bus]
        if len(hits) == 0:
            raise KeyError(f"bus {case_bus} is not in network '{self.name}'")
        return int(hits[0])

    @property
    def load_year(self) -> int:
        """Calendar year of the hourly loads (2016, the ACTIVSg year, when the case gives none)."""
        return int(self.descriptor.source.year or 2016)

    @property
    def n_hours(self) -> int:
        """Hours of the load year: the rows of the hourly loads (8,760 when the case has none)."""
        return len(self.region_loads) if self.region_loads is not None else 8760

    def area_of_bus(self, case_bus: int) -> str:
        return str(self.buses.loc[self.bus_index(case_bus), "area"])


def replace_impedances(net) -> pd.Index:
    """Replace every symmetric, shunt-free ``impedance`` by an equivalent two-winding transformer.

    With ``vn_hv_kv``/``vn_lv_kv`` equal to the bus voltages (nominal ratio),
    ``vk_percent = sign(x)·|r + jx|·100`` and ``vkr_percent = r·100`` on the impedance's own
    ``sn_mva`` base, and ``pfe_kw = i0_percent = 0``, pandapower's transformer model reduces to the
    series admittance ``1/(r + jx)``: the same branch the impedance stood for. Returns the new
    transformer indices, in impedance order.
    """
    import pandapower as pp

    imp = net.impedance
    if imp.empty:
        return pd.Index([], dtype=int)
    asym = (
        (imp.rft_pu - imp.rtf_pu).abs().max()
        + (imp.xft_pu - imp.xtf_pu).abs().max()
        + imp[["gf_pu", "bf_pu", "gt_pu", "bt_pu"]].abs().to_numpy().max()
    )
    if asym > 1e-12:
        raise ValueError("asymmetric or shunt-carrying impedance elements have no trafo equivalent")
    vn = net.bus.vn_kv
    from_hv = vn.loc[imp.from_bus].to_numpy() >= vn.loc[imp.to_bus].to_numpy()
    hv_bus = np.where(from_hv, imp.from_bus, imp.to_bus)
    lv_bus = np.where(from_hv, imp.to_bus, imp.from_bus)
    r, x = imp.rft_pu.to_numpy(), imp.xft_pu.to_numpy()
    new = pp.create_transformers_from_parameters(
        net,
        hv_buses=hv_bus,
        lv_buses=lv_bus,
        sn_mva=imp.sn_mva.to_numpy(),
        vn_hv_kv=vn.loc[hv_bus].to_numpy(),
        vn_lv_kv=vn.loc[lv_bus].to_numpy(),
        vk_percent=np.sign(x) * np.hypot(r, x) * 100.0,
        vkr_percent=r * 100.0,
        pfe_kw=0.0,
        i0_percent=0.0,
        shift_degree=0.0,
        in_service=imp.in_service.to_numpy(),
        name=imp.name.to_numpy(),
        max_loading_percent=100.0,
    )
    net.impedance.drop(net.impedance.index, inplace=True)
    return pd.Index(new)


def ext_grid_to_slack_gen(net) -> int:
    """Turn the single ``ext_grid`` into a generator with ``slack=True``; return its index."""
    import pandapower as pp

    if len(net.ext_grid) != 1:
        raise ValueError(f"expected one ext_grid, found {len(net.ext_grid)}")
    eg = net.ext_grid.iloc[0]
    idx = pp.create_gen(
        net,
        bus=int(eg.bus),
        p_mw=float(eg.get("min_p_mw", 0.0) or 0.0),
        vm_pu=float(eg.vm_pu),
        slack=True,
        min_p_mw=float(eg.get("min_p_mw", 0.0)),
        max_p_mw=float(eg.get("max_p_mw", 0.0)),
        min_q_mvar=float(eg.get("min_q_mvar", -1e5)),
        max_q_mvar=float(eg.get("max_q_mvar", 1e5)),
        name="slack",
        controllable=True,
    )
    cost = getattr(net, "poly_cost", None)
    if cost is not None and not cost.empty:  # the unit keeps its cost curve
        own = (cost.et == "ext_grid") & (cost.element == eg.name)
        cost.loc[own, "et"] = "gen"
        cost.loc[own, "element"] = idx
    net.ext_grid.drop(net.ext_grid.index, inplace=True)
    return int(idx)


def _branch_kinds(branch: pd.DataFrame, bus: pd.DataFrame) -> np.ndarray:
    """Which element pandapower's converter makes of each case branch (its own rule)."""
    kv = pd.Series(bus.BASE_KV.to_numpy(), index=bus.BUS_I.to_numpy().astype(int))
    from_kv = kv.loc[branch.F_BUS.astype(int)].to_numpy()
    to_kv = kv.loc[branch.T_BUS.astype(int)].to_numpy()
    tap = branch.TAP.to_numpy().copy()
    tap[tap == 0] = 1.0
    shift = branch.SHIFT.to_numpy()
    is_line = (from_kv == to_kv) & (tap == 1) & (shift == 0)
    is_trafo = (tap != 1) | (shift != 0)
    return np.where(is_line, "line", np.where(is_trafo, "trafo", "impedance"))


def _matpower_network(desc: NetworkDescriptor) -> Network:
    net, bus, branch, gen = matpower.read_case(desc.source.case, desc.f_hz)
    kinds = _branch_kinds(branch, bus)
    gen_element = matpower.gen_elements(bus, gen)
    fuel = matpower.read_gen_fuel(desc.source.case)
    n_trafo_before = len(net.trafo)
    new_trafos = replace_impedances(net)
    ext_grid_to_slack_gen(net)

    element_index = np.empty(len(branch), dtype=int)
    for kind, indices in (
        ("line", net.line.index[: (kinds == "line").sum()]),
        ("trafo", net.trafo.index[:n_trafo_before]),
        ("impedance", new_trafos),
    ):
        element_index[kinds == kind] = np.asarray(indices)
    rate = branch.RATE_A.to_numpy(dtype=float)
    branches = pd.DataFrame(
        {
            "element": np.where(kinds == "line", "line", "trafo"),
            "element_index": element_index,
            "from_bus": branch.F_BUS.to_numpy(dtype=int),
            "to_bus": branch.T_BUS.to_numpy(dtype=int),
            "rate_a_mva": np.where(rate > 0, rate, np.nan),
            "in_service": branch.BR_STATUS.to_numpy() > 0,
        }
    )
    branches.index.name = "branch"

    region = matpower.region_of_bus(bus, desc.source.load_region)
    buses = pd.DataFrame(
        {
            "bus": bus.BUS_I.to_numpy(dtype=int),
            "name": bus["name"].to_numpy(),
            "vn_kv": bus.BASE_KV.to_numpy(dtype=float),
            "region": region,
            "area": [desc.areas.get(int(r), str(int(r))) for r in region],
            "min_vm_pu": bus.VMIN.to_numpy(dtype=float),
            "max_vm_pu": bus.VMAX.to_numpy(dtype=float),
        },
        index=net.bus.index,
    )
    region_loads = None
    if desc.source.load_scenarios:
        table = matpower.read_region_loads(desc.source.load_scenarios)
        table.columns = [desc.areas.get(int(r), str(int(r))) for r in table.columns]
        region_loads = table
    contingencies = (
        matpower.read_branch_contingencies(desc.source.contingencies)
        if desc.source.contingencies
        else None
    )
    notes = [f"{len(new_trafos)} impedance elements replaced by equivalent transformers"]
    network = Network(desc, net, buses, branches, region_loads, contingencies, notes)
    network.units = unit_table(network, gen_element, fuel)
    return network


def unit_table(network: Network, gen_element: np.ndarray | None, fuel: list[str] | None):
    """The ``units`` table (see :class:`Network`) from the element each case generator row
    became (``gen_element``, in case order; None when the case is not a MATPOWER file)."""
    net = network.net
    n_gen, n_sgen = len(net.gen), len(net.sgen)
    case_gen = np.zeros(n_gen + n_sgen, dtype=int)
    if gen_element is not None:
        rows = np.arange(1, len(gen_element) + 1)
        # the converter numbers gens and sgens in case order; the ext_grid became the last gen
        # and generator-row sgens follow any made from negative bus loads
        case_gen[: n_gen - 1] = rows[gen_element == "gen"]
        case_gen[n_gen - 1] = rows[gen_element == "ext_grid"][0]
        from_gens = rows[gen_element == "sgen"]
        case_gen[n_gen + n_sgen - len(from_gens) :] = from_gens
    fuels = np.array(["unknown"] * len(case_gen), dtype=object)
    if fuel is not None:
        fuels[case_gen > 0] = np.asarray(fuel, dtype=object)[case_gen[case_gen > 0] - 1]
    buses = np.concatenate([net.gen.bus.to_numpy(), net.sgen.bus.to_numpy()])
    return pd.DataFrame(
        {
            "element": ["gen"] * n_gen + ["sgen"] * n_sgen,
            "element_index": np.concatenate([net.gen.index, net.sgen.index]),
            "case_gen": case_gen,
            "bus": network.buses.bus.loc[buses].to_numpy(),
            "fuel": fuels.astype(str),
        }
    )


def _pandapower_network(desc: NetworkDescriptor) -> Network:
    import pandapower.networks as pn

    net = getattr(pn, desc.source.case)()
    new_trafos = replace_impedances(net)
    ext_grid_to_slack_gen(net)
    vn = net.bus.vn_kv
    line_rate = np.sqrt(3) * net.line.max_i_ka * vn.loc[net.line.from_bus].to_numpy()
    parts = [
        pd.DataFrame(
            {
                "element": "line",
                "element_index": net.line.index,
                "from_bus": net.line.from_bus.to_numpy() + 1,
                "to_bus": net.line.to_bus.to_numpy() + 1,
                "rate_a_mva": line_rate.to_numpy(),
                "in_service": net.line.in_service.to_numpy(),
            }
        ),
        pd.DataFrame(
            {
                "element": "trafo",
                "element_index": net.trafo.index,
                "from_bus": net.trafo.hv_bus.to_numpy() + 1,
                "to_bus": net.trafo.lv_bus.to_numpy() + 1,
                "rate_a_mva": net.trafo.sn_mva.to_numpy(),
                "in_service": net.trafo.in_service.to_numpy(),
            }
        ),
    ]
    branches = pd.concat(parts, ignore_index=True)
    # pandapower's converter writes 99999 MVA-equivalent for "no rating"
    branches.loc[branches.rate_a_mva > 9e4, "rate_a_mva"] = np.nan
    branches.index.name = "branch"
    zone = pd.to_numeric(net.bus.zone).fillna(1).astype(int).to_numpy()
    buses = pd.DataFrame(
        {
            "bus": net.bus.index.to_numpy() + 1,
            "name": net.bus.name.astype(object)
            .where(net.bus.name.notna(), "")
            .astype(str)
            .to_numpy(),
            "vn_kv": vn.to_numpy(),
            "region": zone,
            "area": [desc.areas.get(int(z), str(int(z))) for z in zone],
            "min_vm_pu": net.bus.get("min_vm_pu", pd.Series(0.94, index=net.bus.index)).to_numpy(),
            "max_vm_pu": net.bus.get("max_vm_pu", pd.Series(1.06, index=net.bus.index)).to_numpy(),
        },
        index=net.bus.index,
    )
    notes = [f"{len(new_trafos)} impedance elements replaced by equivalent transformers"]
    network = Network(desc, net, buses, branches, None, None, notes)
    network.units = unit_table(network, None, None)
    return network


def _check_sites(network: Network) -> None:
    for site in network.descriptor.sites:
        idx = network.bus_index(site.bus)
        row = network.buses.loc[idx]
        if abs(row.vn_kv - site.kv) > 1e-6 or row.area != site.area:
            raise ValueError(
                f"network '{network.name}': site '{site.name}' says bus {site.bus} is "
                f"{site.kv} kV in {site.area}, the case says {row.vn_kv} kV in {row.area}"
            )


CONVERSION = "3"  # bump when the conversion changes, so cached networks are rebuilt


def cache_key(desc: NetworkDescriptor) -> str:
    # installed versions from the package metadata: importing pandapower to read its version
    # costs seconds, and every stage key needs this one
    from importlib.metadata import version

    text = "|".join(
        [
            descriptor_path(desc.name).read_text(),
            gridmodel.__version__,
            CONVERSION,
            version("pandapower"),
            version("lightsim2grid"),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_network(desc: NetworkDescriptor) -> Network:
    """Convert the network described by ``desc`` (no cache)."""
    if desc.source.kind == "matpower":
        network = _matpower_network(desc)
    else:
        network = _pandapower_network(desc)
    _check_sites(network)
    return network


def load_network(name: str, use_cache: bool = True) -> Network:
    """Load a bundled network by name, from the on-disk cache when it is there."""
    desc = load_descriptor(name)
    path = cache_dir() / f"{name}-{cache_key(desc)}.pkl"
    if use_cache and path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # a stale or unreadable cache entry is rebuilt, never trusted
            path.unlink(missing_ok=True)
    network = build_network(desc)
    if use_cache:
        write_atomic(path, lambda tmp: tmp.write_bytes(pickle.dumps(network, protocol=5)))
    return network
