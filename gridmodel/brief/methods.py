"""What the brief says about each stage's method and the model's limits (short; the docs hold
the whole method)."""

from __future__ import annotations

#: Stage titles in the order the chain runs.
TITLES = {
    "profile": "Campus load profile",
    "stress": "Grid stress",
    "events": "Grid events: faults, trips and frequency",
    "optimize": "What gets built",
    "bills": "Who pays: household bills",
    "headroom": "Headroom for flexible load",
}

#: The document that holds each stage's full method (paths in the gridmodel repository).
DOCS = {
    "profile": "docs/loads.md",
    "stress": "README.md",
    "events": "docs/dynamics.md",
    "optimize": "docs/optimize.md",
    "bills": "docs/bills.md",
    "headroom": "docs/headroom.md",
}

METHODS = {
    "profile": (
        "The campus load model builds the grid-side load of every GPU from the training "
        "iteration (compute and communication phases), job lifecycle (checkpoints, "
        "interruptions, restarts, campaigns), inference, cooling and facility losses, with GPU "
        "power smoothing, on-site storage and curtailment as mitigations; every resolution from "
        "10 ms to 1 h is an exact integral of the same model. Metrics are checked against "
        "ERCOT's proposed variation limits."
    ),
    "stress": (
        "Every hour of the study period, generators are committed in merit order and "
        "dispatched (participation factors, or DC optimal power flow when the scenario asks for "
        "economic dispatch); the AC power flow (Newton-Raphson, lightsim2grid, checked against "
        "pandapower) is solved with and without the campus. Branch loading is max(|S_from|, "
        "|S_to|) / RATE_A. N-1 screens every single branch outage at the peak hour; the hosting "
        "capacity is a bisection on campus size, an overload charged to the campus only if it "
        "raises the branch's loading by at least 5 % of its rating."
    ),
    "events": (
        "A three-phase fault and its reclosures give retained voltages at each campus (bus "
        "impedance method, IEC 60909 as in pandapower); each campus rides through or transfers "
        "to backup by its ride-through curve or sag-counting scheme. The frequency that follows "
        "comes from an aggregated swing equation with governors, under-frequency load shedding "
        "and over-frequency trips for each parameter set; where asked, losing the campus is "
        "evaluated in every hour of the study with the inertia of the units that hour's dispatch "
        "committed. The AC power flow is re-solved after the trip. The campus's training swing "
        "is screened against the electromechanical modes of an ANDES dynamic case."
    ),
    "optimize": (
        "Linear programs in Pyomo solved by HiGHS: the campus's behind-the-meter supply (gas "
        "engines and turbines, battery, optional solar, grid contract) hour by hour with a "
        "redundancy rule for the gas fleet (N+1, or a reliability target on a capacity outage "
        "probability table), utility ramp limits and 4CP charges, beside a grid-only twin at "
        "the region's industrial price, and again at both ends of the uncertain inputs; and, "
        "where asked, the regional expansion (new gas and storage, DC power-flow or zonal "
        "transfer limits, typical days) with and without the campus. Costs are NREL ATB 2025 "
        "Moderate, engines scaled by the Danish Energy Agency's engine/turbine cost ratio."
    ),
    "bills": (
        "Each year the utility's revenue requirement is built from today's costs (the region's "
        "EIA-861M class prices and household; class loads split by reference-building shapes), "
        "generation or capacity bought for the forecast campus load, "
        "transmission built for it, and energy over realised sales; it is allocated to the "
        "customer classes with the scenario's methods (energy, 1CP, 4CP, 12CP, "
        "average-and-excess, NCP, direct), and rates reset at rate cases. The campus arriving "
        "as forecast, the forecast never arriving (with and without the large-load tariff's "
        "minimum take and exit fees) and Monte Carlo draws of materialisation are compared."
    ),
    "headroom": (
        "Measured hourly demand (EIA-930, screened and filled) gives, for each curtailment "
        "limit, the largest flat (or campus-shaped) new load whose curtailment, whenever demand "
        "would exceed the highest seasonal peak, stays within the limit on average over the "
        "years."
    ),
}

LIMITS = {
    "profile": [
        "Training jobs of one campus are independent; faults shared by distributed jobs across "
        "sites are not modelled.",
        "Several inference and facility parameters are assumptions (marked in the assumptions "
        "table); replace them with site data where available.",
    ],
    "stress": [
        "The networks are synthetic grids with realistic structure, not the real ERCOT or PJM "
        "systems; they carry overloads and voltage violations of their own, which the "
        "with/without comparison separates from the campus's.",
        "Reactive limits of generators are not enforced; hours whose power flow does not "
        "converge are reported, never dropped silently.",
    ],
    "events": [
        "The frequency model aggregates the interconnection into one machine and has no fast "
        "frequency response from batteries or inverters, so ERCOT deviations are upper bounds.",
        "The fault's own electrical transient is not modelled, only the campus response to it; "
        "the oscillation screen uses a textbook dynamic case scaled to the network.",
    ],
    "optimize": [
        "Line expansion is not a decision of the regional model; wind and solar need hourly "
        "capacity-factor profiles the networks do not carry.",
        "Sizing covers the study period only, scaled to a year.",
    ],
    "bills": [
        "Today's costs are held constant in nominal terms; inflation and organic load growth are "
        "not modelled, so every change is the campus's.",
        "Within-class rate design (customer charges, tiers, time of use) is not modelled: the "
        "household bill is the class average rate times household use.",
    ],
    "headroom": [
        "Headroom counts supply against the area's own past peaks, not reserve margins, network "
        "limits or ramping.",
    ],
}
