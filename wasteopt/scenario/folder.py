"""A scenario folder being read: its files, the line of every record and the problems.

Row positions are **file line numbers** (the header is line 1; this is also the row number a
spreadsheet shows), so ``stations.csv line 8`` is the 7th data row of a file without multi-line
cells. A record that cannot be read is marked *broken*, so the checks do not also report what
follows from its absence.

Every file a scenario names must be a readable regular file inside the scenario folder (no
absolute path, no ``..``, no symbolic link leading out) and within its size limit
(:data:`MAX_TABLE_BYTES`, :data:`MAX_TOML_BYTES`, :data:`MAX_MATRIX_BYTES`); each way of
failing that has its own message.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from wasteopt.errors import Problem
from wasteopt.scenario.report import default_locate
from wasteopt.scenario.text import visible

__all__ = [
    "MAX_MATRIX_BYTES",
    "MAX_ROWS",
    "MAX_TABLE_BYTES",
    "MAX_TOML_BYTES",
    "OPTIONAL_TABLES",
    "REQUIRED",
    "TABLES",
    "FolderReader",
    "path_problem",
    "short_text",
    "size_text",
]

#: CSV tables in the order they are read.
TABLES: tuple[str, ...] = ("depots", "stations", "facilities", "vehicle_types", "points")
#: CSV tables read only when ``[tables]`` names their file (then after :data:`TABLES`).
OPTIONAL_TABLES: tuple[str, ...] = ("plant_outages", "residues")

#: Largest accepted CSV table: a 100,000-point points.csv with long Chinese names and a rate
#: and frequency column per stream stays under 30 MB (a 20,000-point city: 2-3 MB).
MAX_TABLE_BYTES = 64 * 2**20
#: Largest accepted scenario.toml (settings and variants are a few kB).
MAX_TOML_BYTES = 2**20
#: Largest accepted user travel matrix: about 35 million pairs, some 5,900 sites.
MAX_MATRIX_BYTES = 2**30
#: Most data rows per table: twice the 100,000 points a city-scale scenario may hold; the
#: other tables hold tens to hundreds of records in any real district.
MAX_ROWS: dict[str, int] = {
    "points": 200_000,
    "depots": 10_000,
    "stations": 10_000,
    "facilities": 10_000,
    "vehicle_types": 10_000,
    "plant_outages": 10_000,
    "residues": 10_000,
}

REQUIRED = object()  # marks a required cell or TOML key in a spec
_BOM = b"\xef\xbb\xbf"


def size_text(n: int) -> str:
    """A byte count for people: ``'50.3 MB (52,740,112 bytes)'`` (1 MB = 2**20 bytes)."""
    return f"{n / 2**20:.1f} MB ({n:,} bytes)"


def path_problem(path: Path, error: OSError) -> str:
    """Why ``path`` cannot be opened, from the error of ``os.stat``/``open``, in plain words."""
    if error.errno == errno.ELOOP:
        return "symbolic link loop (the link leads back to itself)"
    if error.errno == errno.ENOENT and path.is_symlink():
        return f"broken symbolic link (to {os.readlink(path)}, which does not exist)"
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return "file not found"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (the file or its folder is not readable by this user)"
    return f"cannot be read ({error.strerror})"


class FolderReader:
    """Holds the problems and the line numbers while one folder is read."""

    def __init__(self, folder: Path, toml_name: str) -> None:
        self.folder = folder
        self.root = folder.resolve()
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
                file=visible(file),
                where=visible(where),
                field=visible(field),
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
            return self.files[table], visible(where)
        _, where = default_locate(table, item_id)
        if table == "streams" and item_id and item_id not in self.toml_streams:
            where = f"standard stream id={item_id}"
        return self.toml_name, visible(where)

    def check_file(self, name: str, limit: int, expected: str = "") -> Path | None:
        """The path of file ``name`` of the folder, or None after reporting why it is refused:
        outside the folder, missing, a broken link or link loop, a folder or other non-file,
        larger than ``limit`` bytes, or not readable."""
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts:
            self.add(
                name,
                "path leads outside the scenario folder",
                expected="a file name relative to the scenario folder, without '..'",
            )
            return None
        path = self.folder / rel
        try:
            st = path.stat()
        except OSError as e:
            self.add(name, path_problem(path, e), expected=expected or f"a file in {self.folder}")
            return None
        real = path.resolve()
        if not real.is_relative_to(self.root):
            self.add(
                name,
                f"symbolic link leads outside the scenario folder (to {real})",
                expected="a file inside the scenario folder",
            )
            return None
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a pipe, device or socket"
            self.add(name, f"is {kind}, not a file", expected=expected or "a regular file")
            return None
        if st.st_size > limit:
            self.add(
                name,
                f"file is too large: {size_text(st.st_size)}",
                expected=f"at most {size_text(limit)}",
            )
            return None
        try:
            with path.open("rb"):
                pass
        except OSError as e:
            self.add(name, path_problem(path, e))
            return None
        return path

    def read_text(self, name: str, limit: int) -> str | None:
        """The file's text (BOM removed) or None after reporting why it cannot be read."""
        path = self.check_file(name, limit)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError as e:
            self.add(name, path_problem(path, e))
            return None
        bom = len(_BOM) if data.startswith(_BOM) else 0
        try:
            return data[bom:].decode("utf-8")
        except UnicodeDecodeError:
            self.not_utf8(name, data)
            return None

    def not_utf8(self, name: str, data: bytes) -> None:
        """Report the first byte where ``data`` (the bytes of ``name``) stops being UTF-8."""
        bom = len(_BOM) if data.startswith(_BOM) else 0
        try:
            data[bom:].decode("utf-8")
        except UnicodeDecodeError as e:
            offset = e.start + bom
            line = data[:offset].count(b"\n") + 1
            self.add(
                name,
                f"not UTF-8 text: byte 0x{data[offset]:02X} at byte offset {offset}",
                where=f"line {line}",
                expected="a file saved as UTF-8 (e.g. not GBK)",
            )


def short_text(value: Any) -> str:
    """``value`` as text of at most 60 characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
