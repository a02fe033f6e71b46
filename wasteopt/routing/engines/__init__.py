"""The routing engines by name: the registry :func:`wasteopt.routing.solve.solve` looks an
engine up in (each engine imports its solver library only when it runs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wasteopt.routing.engine import Engine
from wasteopt.routing.engines._ortools import ORToolsEngine
from wasteopt.routing.engines._pyvrp import PyVRPEngine

__all__ = ["REGISTRY", "engine_named"]

REGISTRY: Mapping[str, Engine[Any, Any]] = {
    engine.name: engine for engine in (PyVRPEngine(), ORToolsEngine())
}
"""Every engine by its name (the names of :data:`wasteopt.routing.settings.ENGINES`)."""


def engine_named(name: str) -> Engine[Any, Any]:
    """The engine called ``name``; ``ValueError`` for an unknown one."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown routing engine {name!r}; expected one of {tuple(REGISTRY)}"
        ) from None
