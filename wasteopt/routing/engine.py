"""The contract every routing engine fulfils: three steps, called in this order by
:func:`wasteopt.routing.solve.solve`.

``build(problem, settings, deadline) -> model | None``
    Translate the problem into the engine's own model (``None``: nothing can be routed — no
    fleet, no unload site or no servable stop). It reads the problem and never changes it.
``search(model, settings, deadline) -> answer``
    Run the solver (and its parallel workers) until ``settings.iterations`` iterations or the
    deadline; the answer is the solver's raw result in the model's own indices.
``decode(problem, model, answer, deadline) -> (routes, unserved)``
    Turn the raw answer back into wasteopt routes that meet every rule of the plan, and name
    the stops left unserved (in problem order).

The names follow what each step does to the data (PyVRP's ``ProblemData`` is *built*, then
*searched*; its ``Solution`` is *decoded*), so a reader can tell where a solver's own
vocabulary ends: only ``search`` touches the solver's search, only ``decode`` knows wasteopt's
schedule rules. Engines import their solver library lazily, inside these steps.
"""

from __future__ import annotations

import time
from typing import Protocol, TypeVar

from wasteopt.clock import Deadline
from wasteopt.routing.plan import Route
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import RoutingSettings

__all__ = ["Decoded", "Engine", "budget_s", "wall_clock_end"]

ModelT = TypeVar("ModelT")
AnswerT = TypeVar("AnswerT")

Decoded = tuple[tuple[Route, ...], tuple[str, ...]]
"""(feasible routes of used vehicles, unserved stop ids in problem order)."""


class Engine(Protocol[ModelT, AnswerT]):
    """A routing engine (see the module docstring for the three steps)."""

    name: str

    def build(
        self, problem: RoutingProblem, settings: RoutingSettings, deadline: Deadline
    ) -> ModelT | None:
        """The engine's model of ``problem`` (``None``: nothing can be routed)."""
        ...

    def search(self, model: ModelT, settings: RoutingSettings, deadline: Deadline) -> AnswerT:
        """The solver's raw answer, within ``settings.iterations`` or the deadline."""
        ...

    def decode(
        self, problem: RoutingProblem, model: ModelT, answer: AnswerT, deadline: Deadline
    ) -> Decoded:
        """Feasible routes and unserved stop ids from the raw answer."""
        ...


def budget_s(deadline: Deadline) -> float:
    """The budget a deadline was created with (what is left if it was created unbounded)."""
    return deadline.seconds if deadline.seconds is not None else deadline.remaining()


def wall_clock_end(deadline: Deadline) -> float:
    """The deadline on the ``time.time()`` clock (for other processes and for repair)."""
    return time.time() + deadline.remaining()
