"""Generator commitment and dispatch for each hour, behind one interface.

A dispatch rule maps hourly demand to which units run, their set-points, and the slack
participation factors the AC power flow uses to share what the set-points miss (mostly losses).
Two rules exist: :func:`participation_dispatch` here, and the optimiser's hourly DC optimal power
flow (:class:`gridmodel.optimize.economic_dispatch.EconomicDispatch`); ``build_study`` picks one
by the scenario's ``dispatch.rule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Fleet:
    """Dispatchable units: pandapower ``gen`` rows then ``sgen`` rows (in-service only matter).

    ``p_min_mw``/``p_max_mw`` are the units' limits; ``is_gen`` marks rows of ``net.gen`` (voltage
    controlling, may carry slack) against rows of ``net.sgen`` (PQ units, fixed in the solve);
    ``carries_slack`` the units that share the AC distributed slack (default: every ``gen``).
    """

    p_min_mw: np.ndarray
    p_max_mw: np.ndarray
    is_gen: np.ndarray
    in_service: np.ndarray
    marginal_cost: np.ndarray
    must_run: np.ndarray
    carries_slack: np.ndarray | None = None

    @classmethod
    def from_net(cls, net) -> Fleet:
        def limits(table):
            p = table.p_mw.to_numpy(dtype=float)
            lo = table.get("min_p_mw", table.p_mw).to_numpy(dtype=float)
            hi = table.get("max_p_mw", table.p_mw).to_numpy(dtype=float)
            lo = np.where(np.isnan(lo), p, lo)
            hi = np.where(np.isnan(hi), p, hi)
            return np.minimum(lo, hi), hi

        g_lo, g_hi = limits(net.gen)
        s_lo, s_hi = limits(net.sgen)
        p_min = np.concatenate([g_lo, s_lo])
        p_max = np.concatenate([g_hi, s_hi])
        cost = np.concatenate(
            [
                _marginal_cost(net, "gen", net.gen.index, g_lo, g_hi),
                _marginal_cost(net, "sgen", net.sgen.index, s_lo, s_hi),
            ]
        )
        reference = np.concatenate([net.gen.slack.to_numpy(bool), np.zeros(len(s_lo), bool)])
        is_gen = np.concatenate([np.ones(len(g_lo), bool), np.zeros(len(s_lo), bool)])
        # fixed-output units, units without cost data, the angle reference, PQ units (sgen:
        # their reactive set-point cannot follow a commitment) and voltage-controlling units the
        # case lets run at 0 MW (kept on, they hold their bus voltage at no cost) always run
        must_run = (
            (p_max - p_min <= 1e-9) | np.isnan(cost) | reference | ~is_gen | (is_gen & (p_min <= 0))
        )
        return cls(
            p_min_mw=p_min,
            p_max_mw=p_max,
            is_gen=is_gen,
            in_service=np.concatenate(
                [net.gen.in_service.to_numpy(bool), net.sgen.in_service.to_numpy(bool)]
            ),
            marginal_cost=cost,
            must_run=must_run,
        )

    @property
    def n_gen(self) -> int:
        return int(self.is_gen.sum())

    @property
    def dispatch_cost(self) -> np.ndarray:
        """Marginal cost ($/MWh) a dispatch prices each unit at: 0 where the case has none."""
        return np.nan_to_num(self.marginal_cost, nan=0.0)

    @property
    def slack_units(self) -> np.ndarray:
        """In-service units that carry the AC distributed slack (``gen`` rows unless set)."""
        carries = self.is_gen if self.carries_slack is None else self.carries_slack
        return carries & self.is_gen & self.in_service

    @property
    def slack_weight(self) -> np.ndarray:
        """Distributed-slack weight of every ``gen`` row: its range Pmax - Pmin (0 if it does
        not carry the slack). A unit that is off in an hour drops out of that hour's slack."""
        return np.where(self.slack_units, self.p_max_mw - self.p_min_mw, 0.0)[self.is_gen]


def _marginal_cost(net, et: str, index, p_min, p_max) -> np.ndarray:
    """Marginal cost ($/MWh) at mid-range from ``net.poly_cost``; NaN where a unit has none."""
    cost = np.full(len(index), np.nan)
    pc = getattr(net, "poly_cost", None)
    if pc is None or pc.empty:
        return cost
    rows = pc[pc.et == et]
    pos = {int(i): k for k, i in enumerate(index)}
    mid = 0.5 * (np.asarray(p_min) + np.asarray(p_max))
    for element, c1, c2 in zip(
        rows.element, rows.cp1_eur_per_mw, rows.cp2_eur_per_mw2, strict=True
    ):
        k = pos.get(int(element))
        if k is not None:
            cost[k] = c1 + 2.0 * c2 * mid[k]
    return cost


def hourly_limits(fleet: Fleet, n_hours: int, p_max_mw: np.ndarray | None = None):
    """Lower and upper output (time x unit, MW) of every unit if it runs: the hourly available
    ``p_max_mw`` (else the rating) and the unit's Pmin, lowered to what is available."""
    hi = (
        np.broadcast_to(fleet.p_max_mw, (n_hours, len(fleet.p_max_mw)))
        if p_max_mw is None
        else np.asarray(p_max_mw, dtype=float)
    )
    return np.minimum(fleet.p_min_mw[None, :], hi), hi


def merit_order_commitment(
    fleet: Fleet, demand_mw: np.ndarray, reserve_mw: float, p_max_mw: np.ndarray | None = None
) -> np.ndarray:
    """Which units run each hour (time x unit, bool).

    Must-run units always run; the others start in order of marginal cost until the running
    capacity (the hour's available ``p_max_mw``, else the ratings) covers ``demand + reserve_mw``.
    The default reserve is the largest unit's rating: the single-largest-contingency criterion
    of NERC BAL-002 (contingency reserve).
    """
    demand_mw = np.asarray(demand_mw, dtype=float)
    _, cap = hourly_limits(fleet, len(demand_mw), p_max_mw)
    on = fleet.in_service
    base = on & fleet.must_run
    candidates = np.flatnonzero(on & ~fleet.must_run)
    order = candidates[np.argsort(fleet.marginal_cost[candidates], kind="stable")]
    cum_cap = np.cumsum(cap[:, order], axis=1)
    need = demand_mw + reserve_mw - cap[:, base].sum(axis=1)
    n_on = np.minimum((cum_cap < need[:, None]).sum(axis=1) + 1, len(order))
    n_on = np.where(need <= 0, 0, n_on)
    committed = np.repeat(base[None, :], len(demand_mw), axis=0)
    committed[:, order] = np.arange(len(order))[None, :] < n_on[:, None]
    return committed


def commit(
    fleet: Fleet,
    demand_mw: np.ndarray,
    commit_mw: np.ndarray | None = None,
    p_max_mw: np.ndarray | None = None,
) -> np.ndarray:
    """Merit-order commitment (time x unit) against ``commit_mw`` (else ``demand_mw``), with the
    largest in-service unit as the reserve."""
    reserve = float(fleet.p_max_mw[fleet.in_service].max())
    target = demand_mw if commit_mw is None else np.asarray(commit_mw, dtype=float)
    return merit_order_commitment(fleet, target, reserve, p_max_mw)


@dataclass(frozen=True)
class DispatchResult:
    """Set-points (time x unit, MW), commitment (time x unit), and per hour the demand above
    running capacity (``shortfall_mw``) and the must-take output above demand (``surplus_mw``);
    the slack takes either, beyond the units' limits. ``cost_usd`` is the hour's generation cost
    at the units' marginal costs. A network-aware rule also gives locational marginal prices
    (time x bus, $/MWh) and the branch overload it could not avoid (``overload_mw``, per hour)."""

    p_mw: np.ndarray
    committed: np.ndarray
    shortfall_mw: np.ndarray
    surplus_mw: np.ndarray
    cost_usd: np.ndarray
    lmp_usd_per_mwh: np.ndarray | None = None
    overload_mw: np.ndarray | None = None


class DispatchRule(Protocol):
    def __call__(
        self,
        fleet: Fleet,
        demand_mw: np.ndarray,
        commit_mw: np.ndarray | None = None,
        load_p: np.ndarray | None = None,
        p_max_mw: np.ndarray | None = None,
    ) -> DispatchResult:
        """Dispatch ``fleet`` to meet ``demand_mw`` (one value per hour, losses included);
        units are committed against ``commit_mw`` when given (else against the demand).
        ``load_p`` (time x ``net.load`` row, MW) says where the demand is; ``p_max_mw`` (time x
        unit) is what each unit can give in each hour (wind, solar, hydro availability)."""


def participation_dispatch(
    fleet: Fleet,
    demand_mw: np.ndarray,
    commit_mw: np.ndarray | None = None,
    load_p: np.ndarray | None = None,
    p_max_mw: np.ndarray | None = None,
) -> DispatchResult:
    """Merit-order commitment, then participation by available capacity within Pmin/Pmax.

    Running units sit at ``p = Pmin + α(t)·(Pmax(t) - Pmin)`` (``Pmax(t)`` the hour's available
    output) with one system-wide
    ``α(t) = clip((D(t) - ΣPmin) / Σ(Pmax - Pmin), 0, 1)`` over the units running in hour t, so
    each unit's share of every change is its range. The ranges are also the distributed-slack
    weights (``Fleet.slack_weight``), so the power flow shares the residual - the error of the
    loss estimate - the same way.
    """
    demand_mw = np.asarray(demand_mw, dtype=float)
    committed = commit(fleet, demand_mw, commit_mw, p_max_mw)
    lo, hi = hourly_limits(fleet, len(demand_mw), p_max_mw)
    p_min = np.where(committed, lo, 0.0)
    span = np.where(committed, hi - lo, 0.0)
    total_min, total_span = p_min.sum(axis=1), span.sum(axis=1)
    alpha = np.clip((demand_mw - total_min) / np.where(total_span > 0, total_span, 1.0), 0.0, 1.0)
    p = p_min + alpha[:, None] * span
    return DispatchResult(
        p_mw=p,
        committed=committed,
        shortfall_mw=np.maximum(demand_mw - (total_min + total_span), 0.0),
        surplus_mw=np.maximum(total_min - demand_mw, 0.0),
        cost_usd=p @ fleet.dispatch_cost,
    )
