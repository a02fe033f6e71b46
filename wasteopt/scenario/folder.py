"""A scenario folder being read: its files' text, the line of every record and the problems.

Row positions are **file line numbers** (the header is line 1; this is also the row number a
spreadsheet shows), so ``stations.csv line 8`` is the 7th data row of a file without multi-line
cells. A record that cannot be read is marked *broken*, so the checks do not also report what
follows from its absence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wasteopt.errors import Problem
from wasteopt.scenario.report import default_locate

__all__ = ["REQUIRED", "TABLES", "FolderReader", "short_text"]

#: CSV tables in the order they are read.
TABLES: tuple[str, ...] = ("depots", "stations", "facilities", "vehicle_types", "points")

REQUIRED = object()  # marks a required cell or TOML key in a spec
_BOM = b"\xef\xbb\xbf"


class FolderReader:
    """Holds the problems and the line numbers while one folder is read."""

    def __init__(self, folder: Path, toml_name: str) -> None:
        self.folder = folder
        self.toml_name = toml_name
        self.problems: list[Problem] = []
        self.files: dict[str, str] = {t: f"{t}.csv" for t in TABLES}
        self.lines: dict[str, dict[str, int]] = {t: {} for t in TABLES}
        self.broken: dict[str, set[str] | None] = {}
        self.toml_streams: set[str] = set()
        self.toml_ok = True

    def add(
        self,
        file: str,
        message: str,
        where: str = "",
        field: str = "",
        value: Any = None,
        expected: str = "",
    ) -> None:
        self.problems.append(
            Problem(
                file=file,
                where=where,
                field=field,
                message=message,
                value=None if value is None else str(value),
                expected=expected,
            )
        )

    def mark_broken(self, table: str, item_id: str | None) -> None:
        """Record that ``table`` has an unreadable record (``None``: the table as a whole)."""
        if item_id is None:
            self.broken[table] = None
        elif table not in self.broken:
            self.broken[table] = {item_id}
        else:
            ids = self.broken[table]
            if ids is not None:
                ids.add(item_id)

    def tolerance(self) -> dict[str, frozenset[str] | None]:
        return {t: (None if ids is None else frozenset(ids)) for t, ids in self.broken.items()}

    def locate(self, table: str, item_id: str) -> tuple[str, str]:
        if table in self.lines:
            line = self.lines[table].get(item_id) if item_id else None
            if line is not None:
                where = f"line {line} (id={item_id})"
            else:
                where = f"(id={item_id})" if item_id else ""
            return self.files[table], where
        _, where = default_locate(table, item_id)
        if table == "streams" and item_id and item_id not in self.toml_streams:
            where = f"standard stream id={item_id}"
        return self.toml_name, where

    def read_text(self, name: str) -> str | None:
        """The file's text (BOM removed) or None after reporting why it cannot be read."""
        path = self.folder / name
        if not path.is_file():
            self.add(name, "file not found", expected=f"a file in {self.folder}")
            return None
        data = path.read_bytes()
        bom = len(_BOM) if data.startswith(_BOM) else 0
        try:
            return data[bom:].decode("utf-8")
        except UnicodeDecodeError as e:
            offset = e.start + bom
            line = data[:offset].count(b"\n") + 1
            self.add(
                name,
                f"not UTF-8 text: byte 0x{data[offset]:02X} at byte offset {offset}",
                where=f"line {line}",
                expected="a file saved as UTF-8 (e.g. not GBK)",
            )
            return None


def short_text(value: Any) -> str:
    """``value`` as text of at most 60 characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
