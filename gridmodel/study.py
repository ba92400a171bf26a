"""A study: a scenario's inputs built once, its stages run in chain order, each result cached.

    study = Study.from_yaml("scenarios/whole-chain.yaml", cache="results")
    stress = study.run("stress")          # an xarray DataTree
    results = study.run_all()             # every stage the scenario asks for

A stage is a function of the study's inputs and of other stages' results (the links of the
chain, each a documented rule in the consuming stage's ``links`` module). Each result is keyed by
the hash of exactly what it used - the scenario sections the stage reads, the files they name,
the network, the upstream stages' keys and the package version - so a cached result is reused
only when none of those changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import xarray as xr

import gridmodel
from gridmodel import output
from gridmodel.inputs import StudyInputs, build_inputs
from gridmodel.networks import Network
from gridmodel.progress import Progress, in_notebook, no_progress, progress_bar
from gridmodel.schema import Scenario, ScenarioError, load_scenario, parse_scenario

log = logging.getLogger(__name__)

INPUT_SECTIONS = ("network", "period", "load_growth", "campuses", "seed")


def asked(scenario: Scenario, section: str) -> bool:
    """The scenario writes ``section`` (and does not set it to null)."""
    return section in scenario.model_fields_set and getattr(scenario, section) is not None


# ---------------------------------------------------------------------------------------------
# Stages and their upstream links


def _profile(study, upstream, progress):
    from gridmodel.loads.run import profile

    return profile(study, progress)


def _stress(study, upstream, progress):
    from gridmodel.stress.run import stress

    return stress(study, progress)


def _events(study, upstream, progress):
    from gridmodel.dynamics.run import events

    return events(study, upstream.get("stress"), progress)


def _optimize(study, upstream, progress):
    from gridmodel.optimize.run import optimize

    return optimize(study, upstream.get("stress"), progress)


def _bills(study, upstream, progress):
    from gridmodel.rates.run import bills

    return bills(study, upstream.get("stress"), upstream.get("optimize"), progress)


def _headroom(study, upstream, progress):
    from gridmodel.headroom.run import headroom

    return headroom(study, progress)


def _check(module: str) -> Callable[[StudyInputs], None]:
    """The ``check`` of a stage module: what the stage would refuse, refused before any solve."""

    def check(study: StudyInputs) -> None:
        import importlib

        importlib.import_module(module).check(study)

    return check


def _events_upstream(s: Scenario) -> tuple[str, ...]:
    # fault voltages and post-event flows start from the stress run's solved hour
    needs = s.events is not None and (s.events.fault is not None or s.events.hourly is not None)
    return ("stress",) if needs else ()


def _optimize_upstream(s: Scenario) -> tuple[str, ...]:
    sizing = s.optimize.campus if s.optimize is not None else None
    lmp = sizing is not None and sizing.grid.price_usd_per_mwh == "lmp"
    return ("stress",) if lmp else ()


def _bills_upstream(s: Scenario) -> tuple[str, ...]:
    from gridmodel.rates.links import bills_upstream

    return bills_upstream(s, stress_asked=asked(s, "study"))


@dataclass(frozen=True)
class Stage:
    """A stage: its function, the scenario sections it reads, the stages it reads, and the check
    of what it would refuse."""

    name: str
    run: Callable[[StudyInputs, dict, Progress], xr.DataTree]
    sections: tuple[str, ...]
    upstream: Callable[[Scenario], tuple[str, ...]]
    section: str  # the scenario section that asks for it
    check: Callable[[StudyInputs], None]


#: Stages that cannot run without their own section (the others fall back on its defaults).
SECTION_REQUIRED = ("events", "optimize", "bills", "headroom")


def _none(s: Scenario) -> tuple[str, ...]:
    return ()


STAGES: dict[str, Stage] = {
    "profile": Stage("profile", _profile, ("profile",), _none, "profile",
                     _check("gridmodel.loads.run")),
    "stress": Stage("stress", _stress, ("dispatch", "study"), _none, "study",
                    _check("gridmodel.stress.run")),
    "events": Stage("events", _events, ("events", "dispatch", "study"), _events_upstream,
                    "events", _check("gridmodel.dynamics.run")),
    "optimize": Stage("optimize", _optimize, ("optimize",), _optimize_upstream, "optimize",
                      _check("gridmodel.optimize.run")),
    "bills": Stage("bills", _bills, ("bills", "optimize", "dispatch"), _bills_upstream, "bills",
                   _check("gridmodel.rates.run")),
    "headroom": Stage("headroom", _headroom, ("headroom", "dispatch", "study"), _none, "headroom",
                      _check("gridmodel.headroom.run")),
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Hashing what a stage used


def _files_in(value) -> list[Path]:
    """Every file path named anywhere inside a scenario section."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return [p for name in type(value).model_fields for p in _files_in(getattr(value, name))]
    if isinstance(value, list | tuple):
        return [p for v in value for p in _files_in(v)]
    return [value] if isinstance(value, Path) else []


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return "missing"
    return h.hexdigest()


def _network_key(name: str) -> str:
    from gridmodel.networks.descriptor import load_descriptor
    from gridmodel.networks.network import cache_key

    try:
        return cache_key(load_descriptor(name))
    except KeyError as err:
        raise ScenarioError(f"field 'network': {err.args[0]}") from None


def _sections_digest(scenario: Scenario, sections: tuple[str, ...]) -> dict:
    data = scenario.model_dump(mode="json", include=set(sections))
    files = sorted({str(p): _file_digest(p) for s in sections
                    for p in _files_in(getattr(scenario, s))}.items())  # fmt: skip
    return {"sections": data, "files": files}


def input_key(scenario: Scenario) -> str:
    """Hash of what the study inputs are built from: the network and the input sections (the
    period, load growth, campuses and seed, with the files they name). Scenarios with one key
    share one :class:`StudyInputs`."""
    payload = {
        "network": _network_key(scenario.network),
        "inputs": _sections_digest(scenario, INPUT_SECTIONS),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Study:
    """A scenario's study: inputs built once (lazily), stages run on demand and cached.

    ``cache``: a folder; each stage's result is written to ``cache/<stage>/`` with its figures
    and tables, and read back when its key has not changed.
    ``progress``: a callback ``progress(task, advance, total)``; True = a progress bar while
    stages run, False = nothing; None (default) = a bar inside a Jupyter notebook, else nothing.
    ``network``: the scenario's network already loaded (else loaded when the inputs are built);
    ``inputs``: study inputs already built for a scenario of the same :func:`input_key` (a sweep
    builds them once for all its members that share them).
    """

    def __init__(self, scenario: Scenario, cache: str | Path | None = None,
                 progress: Progress | bool | None = None, figures: bool = True,
                 network: Network | None = None, inputs: StudyInputs | None = None):  # fmt: skip
        self.scenario = scenario
        self.cache = None if cache is None else Path(cache)
        self.progress: Progress = progress if callable(progress) else no_progress
        self._bar = progress is True or (progress is None and in_notebook())
        self.figures = figures
        self.results: dict[str, xr.DataTree] = {}
        self.ran: list[str] = []
        self.timings: dict[str, float] = {}  # s: "inputs", each stage run, "write <stage>"
        if inputs is not None:
            if input_key(inputs.scenario) != input_key(scenario):
                raise ValueError(
                    "inputs were built for another network, period, load growth, campuses or seed"
                )
            inputs = replace(inputs, scenario=scenario)
        self._network = network
        self._inputs = inputs
        self._keys: dict[str, str] = {}

    @classmethod
    def from_yaml(cls, path: str | Path | None = None, **kwargs) -> Study:
        """A study of the scenario file ``path`` (a bundled name works too; None = default)."""
        return cls(load_scenario(path), **kwargs)

    @classmethod
    def from_dict(cls, data: dict, base_dir: str | Path | None = None, **kwargs) -> Study:
        """A study of a scenario given as a mapping (relative paths read from ``base_dir``)."""
        base = None if base_dir is None else Path(base_dir)
        return cls(parse_scenario(data, base_dir=base), **kwargs)

    # -- inputs ---------------------------------------------------------------------------------

    @property
    def inputs(self) -> StudyInputs:
        """The study inputs (network, hourly loads, campus profiles), built on first use."""
        if self._inputs is None:
            started = time.perf_counter()
            self._inputs = build_inputs(self.scenario, self._network)
            self.timings["inputs"] = time.perf_counter() - started
        return self._inputs

    # -- which stages ---------------------------------------------------------------------------

    def asked(self) -> list[str]:
        """The stages the scenario asks for, in chain order."""
        return [name for name, st in STAGES.items() if asked(self.scenario, st.section)]

    def check_scenario(self) -> None:
        """The checks that need no converted network: the network is known and every campus
        site is one of its sites."""
        from gridmodel.networks import load_descriptor

        _network_key(self.scenario.network)
        descriptor = load_descriptor(self.scenario.network)
        for k, campus in enumerate(self.scenario.campuses):
            if campus.site is not None:
                try:
                    descriptor.site(campus.site)
                except KeyError as err:
                    raise ScenarioError(f"field 'campuses.{k}.site': {err.args[0]}") from None

    def plan(self, stages: list[str] | None = None) -> list[str]:
        """``stages`` (default: those asked for) and every stage they need, in chain order."""
        wanted = set()

        def need(name: str) -> None:
            if name not in STAGES:
                raise ScenarioError(f"unknown stage '{name}' (stages: {', '.join(STAGES)})")
            if name in wanted:
                return
            section = STAGES[name].section
            if section in SECTION_REQUIRED and getattr(self.scenario, section) is None:
                raise ScenarioError(f"field '{section}': the scenario has no `{section}` section")
            wanted.add(name)
            for up in STAGES[name].upstream(self.scenario):
                need(up)

        for name in self.asked() if stages is None else stages:
            need(name)
        return [name for name in STAGES if name in wanted]

    # -- keys -----------------------------------------------------------------------------------

    def key(self, stage: str) -> str:
        """Hash of everything ``stage`` reads: the inputs, its sections and files, the
        network, the keys of its upstream stages and the package version."""
        if stage not in self._keys:
            st = STAGES[stage]
            payload = {
                "stage": stage,
                "version": gridmodel.__version__,
                "network": _network_key(self.scenario.network),
                "inputs": _sections_digest(self.scenario, INPUT_SECTIONS),
                "own": _sections_digest(self.scenario, st.sections),
                "upstream": {up: self.key(up) for up in st.upstream(self.scenario)},
            }
            text = json.dumps(payload, sort_keys=True, default=str)
            self._keys[stage] = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._keys[stage]

    # -- running --------------------------------------------------------------------------------

    def __repr__(self) -> str:
        campuses = ", ".join(f"{c.name} {c.mw:g} MW" for c in self.scenario.campuses) or "none"
        done = ", ".join(self.results) or "none"
        return (
            f"<gridmodel.Study {self.scenario.name!r}: network {self.scenario.network}, "
            f"campuses {campuses}; stages {', '.join(self.asked()) or 'none'}; "
            f"results {done}; cache {self.cache or 'none'}>"
        )

    @contextmanager
    def _progress_shown(self) -> Iterator[None]:
        """Draw a progress bar for the block when the study was asked to (``progress``)."""
        if not self._bar or self.progress is not no_progress:
            yield
            return
        with progress_bar() as report:
            self.progress = report
            try:
                yield
            finally:
                self.progress = no_progress

    def run(self, stage: str) -> xr.DataTree:
        """The result of ``stage`` (running what it needs first), from the cache when its key
        is unchanged."""
        if stage in self.results:
            return self.results[stage]
        with self._progress_shown():
            return self._run(stage)

    def _run(self, stage: str) -> xr.DataTree:
        plan = self.plan([stage])
        for done, name in enumerate(plan):
            self.progress("stages", int(done > 0), len(plan))
            if name in self.results:
                continue
            cached = self._cached(name)
            if cached is not None:
                log.info("%s: unchanged, read from %s/%s", name, self.cache, name)
                self.results[name] = cached
                continue
            upstream = {up: self.results[up] for up in STAGES[name].upstream(self.scenario)}
            inputs = self.inputs
            log.info("%s: running", name)
            started = time.perf_counter()
            tree = STAGES[name].run(inputs, upstream, self.progress)
            self.timings[name] = time.perf_counter() - started
            output.stamp(tree, self.scenario, name, self.key(name))
            self.ran.append(name)
            if self.cache is not None:
                started = time.perf_counter()
                output.write_stage(tree, self.cache, name, figures=self.figures)
                tree = output.read_stage(self.cache, name)
                self.timings[f"write {name}"] = time.perf_counter() - started
            log.info("%s: done in %.1f s", name, self.timings[name])
            self.results[name] = tree
        self.progress("stages", 1, len(plan))
        return self.results[stage]

    def run_all(self, stages: list[str] | None = None) -> dict[str, xr.DataTree]:
        """Every stage of :meth:`plan` (the stages asked for and what they need)."""
        with self._progress_shown():
            for name in self.plan(stages):
                self.run(name)
        return {name: self.results[name] for name in self.plan(stages)}

    def to_run(self, stages: list[str] | None = None) -> list[str]:
        """The stages of :meth:`plan` whose result is not in the cache."""
        return [name for name in self.plan(stages) if self._stored(name) is None]

    def preflight(self, stages: list[str] | None = None) -> None:
        """Check everything the stages to run would refuse - the whole scenario against its
        network, every file it names, each stage's own conditions - before any solve."""
        for name in self.plan(stages):
            self.key(name)
        pending = self.to_run(stages)
        if pending:
            for name in pending:
                STAGES[name].check(self.inputs)

    def stale(self) -> list[str]:
        """Stages stored in the cache that are not results of this scenario as it stands."""
        stale = []
        for name in output.stored_stages(self.cache) if self.cache is not None else []:
            try:
                valid = asked(self.scenario, STAGES[name].section) or name in self.plan()
                current = valid and self._stored(name) is not None
            except (AttributeError, ScenarioError):  # a stage whose section is gone
                current = False
            if not current:
                stale.append(name)
        return stale

    def expected_bytes(self, stages: list[str] | None = None) -> int:
        """A generous estimate of the size of the results still to compute (bytes)."""
        pending = self.to_run(stages)
        size = 50_000_000 * len(pending)
        if "stress" in pending:
            net = self.inputs.network
            hours = int(self.inputs.inputs.in_period.sum())
            per_hour = 4 * len(net.buses) + 8 * len(net.branches) + 2 * len(net.net.gen)
            size += int(hours * per_hour * 4 * 1.2)
        return size

    def _stored(self, stage: str) -> tuple[str, str] | None:
        """(key, version) of the cached result of ``stage`` when it is current, else None."""
        if self.cache is None:
            return None
        stored = output.stored_key(self.cache, stage)
        return stored if stored == (self.key(stage), gridmodel.__version__) else None

    def _cached(self, stage: str) -> xr.DataTree | None:
        if self.cache is None or self._stored(stage) is None:
            return None
        return output.read_stage(self.cache, stage)
