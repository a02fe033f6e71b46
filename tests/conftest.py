"""Shared fixtures: the shipped scenario folders, the tiny scenario loaded with its matrix, and
a real Dask cluster."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from wasteopt.generation import Demand, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.roads import Router
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.simulation.settings import SimulationSettings

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def _pythonpath() -> str:
    """PYTHONPATH that lets worker processes import wasteopt and modules under tests/."""
    return os.pathsep.join([str(TESTS), str(ROOT), os.environ.get("PYTHONPATH", "")])


@pytest.fixture
def worker_pythonpath() -> str:
    """PYTHONPATH for a subprocess that imports wasteopt and modules under tests/."""
    return _pythonpath()


@pytest.fixture
def dask_address() -> Iterator[str]:
    """A real ``distributed.LocalCluster``: one worker process with one thread (about 2 s),
    stopped after its test so later fork pools do not fork its threads."""
    import distributed

    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = _pythonpath()  # the nanny's worker process inherits it
    try:
        with distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            yield cluster.scheduler_address
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    """scenarios/tiny: six points, two streams, one variant (``east``); never edit it."""
    return ROOT / "scenarios" / "tiny"


@pytest.fixture(scope="session")
def jintan_dir() -> Path:
    """scenarios/jintan: the shipped district (723 points, four streams, two variants)."""
    return ROOT / "scenarios" / "jintan"


@pytest.fixture(scope="session")
def tiny_scenario(tiny_dir: Path) -> Scenario:
    """The tiny base scenario, loaded once (scenarios are immutable)."""
    return load_scenario(tiny_dir)


@pytest.fixture(scope="session")
def tiny_matrix(tiny_scenario: Scenario) -> TravelMatrix:
    """The tiny scenario's travel matrix."""
    return build_matrix(tiny_scenario)


@pytest.fixture(scope="session")
def tiny_day0(tiny_scenario: Scenario) -> Demand:
    """One day of tiny demand generated with seed 0."""
    return generate(tiny_scenario, days=1, seed=0)


@pytest.fixture(scope="session")
def exact_settings() -> SimulationSettings:
    """Simulation settings without randomness: every time is its planned value."""
    return SimulationSettings(
        travel_distribution="deterministic",
        service_distribution="deterministic",
        unload_distribution="deterministic",
    )


def _plan_of(p: RoutingProblem, routes: Sequence[Route]) -> RoutePlan:
    """A feasible-status plan of hand-made ``routes`` for problem ``p`` (not yet checked)."""
    return RoutePlan(
        problem=p.name,
        stream=p.stream,
        engine="hand",
        seed=0,
        status="feasible",
        objective=0.0,
        runtime_s=0.0,
        routes=tuple(routes),
    )


def _hand_plan(p: RoutingProblem) -> RoutePlan:
    """One vehicle visits the stops in id order, unloads at the first stop's site and goes
    home (no route when nothing is due)."""
    routes: tuple[Route, ...] = ()
    if p.stops:
        site = p.stops[0].unload_at[0]
        routes = (
            Route(
                vehicle=f"{p.fleets[0].id}#1",
                fleet=p.fleets[0].id,
                start_s=p.fleets[0].shift_start_s,
                visits=(*sorted(x.id for x in p.stops), site),
            ),
        )
    return _plan_of(p, routes)


@pytest.fixture(scope="session")
def hand_plan() -> Callable[[RoutingProblem], RoutePlan]:
    """A hand-built plan of one routing problem, instead of a solver (see _hand_plan)."""
    return _hand_plan


@pytest.fixture(scope="session")
def plan_of() -> Callable[[RoutingProblem, Sequence[Route]], RoutePlan]:
    """A plan of hand-made routes for one routing problem (see _plan_of)."""
    return _plan_of


_TINY_TARGETS = """
[[targets]]
metric = "kitchen_separation"
value = 0.4
source = "illustrative (test)"

[[targets]]
metric = "harmless_treatment"
value = 0.99
source = "illustrative (test)"

[[targets]]
metric = "compliant_share"
value = 0.9
source = "illustrative (test)"

[[targets]]
metric = "compliant_communities"
value = 6
source = "illustrative (test)"

[[targets]]
metric = "treatment_capacity"
kind = "kitchen_waste_plant"
value = 40
source = "illustrative (test)"

[[variants]]
id = "refuse"
description = "不分类不收运: the non-compliant P2 is not collected"
[[variants.edits]]
table = "planning"
field = "refuse_unsorted"
value = true
"""


@pytest.fixture(scope="session")
def tiny_targets_dir(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path) -> Path:
    """A copy of tiny with towns (S1 = P1, P2; S2 = P3; N1 = P4 … P7), residents at P1 … P6
    (the communities; rates stay the explicit kg), P2 not compliant, five targets and a
    variant ``refuse`` that turns the 不分类不收运 rule on."""
    folder = tmp_path_factory.mktemp("tiny_targets") / "tiny"
    shutil.copytree(tiny_dir, folder)
    with open(folder / "points.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    towns = {"P1": "S1", "P2": "S1", "P3": "S2"}
    for r in rows:
        r["town"] = towns.get(r["id"], "N1")
        r["town_kind"] = "town" if r["town"] == "S2" else "street"
        r["compliant"] = "false" if r["id"] == "P2" else "true"
        r["residents"] = "" if r["id"] == "P7" else "100"
    with open(folder / "points.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + _TINY_TARGETS, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_route_sheet(
    tiny_scenario: Scenario, tiny_day0: Demand, tiny_matrix: TravelMatrix
) -> pd.DataFrame:
    """Both streams of the tiny scenario routed on day 0 (1 s, seed 0), as one route sheet."""
    from wasteopt.reporting.sheets import route_sheet_frame
    from wasteopt.routing.build import build_problem
    from wasteopt.routing.settings import RoutingSettings
    from wasteopt.routing.solve import solve

    frames = []
    for stream in tiny_scenario.stream_ids:
        problem = build_problem(tiny_scenario, tiny_day0, 0, stream, tiny_matrix)
        plan = solve(problem, RoutingSettings(time_limit_s=1, seed=0))
        frames.append(route_sheet_frame(plan, problem, tiny_scenario))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def road_searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per road search (``Router._search`` call: of ``gather`` and of
    ``point_legs``) from now on; ``clear()`` it to count from a later point."""
    seen: list[int] = []
    search = Router._search

    def counted(router: Router, *args: Any, **kw: Any) -> Any:
        seen.append(1)
        return search(router, *args, **kw)

    monkeypatch.setattr(Router, "_search", counted)
    return seen
