"""Exceptions raised by wasteopt.

Input problems are collected, not raised one at a time: a :class:`ScenarioError` carries every
:class:`Problem` found in one pass, each naming the file, the row or id, the field, the bad value
and what was expected. Solver outcomes such as "infeasible" are result statuses, never exceptions.

The command line maps them to exit codes (:data:`wasteopt.cli.common.EXIT_CODES`):
:class:`InputError` 2; :class:`SolverUnavailable` and any other :class:`WasteoptError` (raised
on purpose, e.g. an unreachable Dask scheduler or a missing Chinese font) 4; any other exception
is a bug, 3.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InputError", "Problem", "ScenarioError", "SolverUnavailable", "WasteoptError"]


class WasteoptError(Exception):
    """Base class of every error wasteopt raises on purpose."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with an input, precise enough to fix without reading code.

    ``file`` is the file name relative to the scenario folder (or the path given by the user),
    ``where`` the row/id/section (``"row 7 (id=WH-03)"``), ``field`` the column or key,
    ``value`` the offending value as text and ``expected`` what would have been accepted.
    """

    file: str
    message: str
    where: str = ""
    field: str = ""
    value: str | None = None
    expected: str = ""

    def __str__(self) -> str:
        head = self.file
        if self.where:
            head += f" {self.where}"
        body = f"{self.field}: {self.message}" if self.field else self.message
        if self.expected:
            body += f"; expected {self.expected}"
        if self.value is not None:
            body += f", got {self.value!r}"
        return f"{head}: {body}"


class InputError(WasteoptError):
    """One or more problems with an input file; carries all of them."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} found:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ScenarioError(InputError):
    """A scenario folder could not be loaded or failed validation."""


class SolverUnavailable(WasteoptError):
    """A solver library is missing or broken; raised by its adapter on first use."""
