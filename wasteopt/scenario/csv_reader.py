"""Reading the CSV tables of a scenario folder, streamed: the file checks and row limits, the
header, CSV syntax errors, the character rule, duplicate ids, then one record per row.

A row that cannot be read is reported and left out; a table that cannot be read as a whole is
marked broken (see :mod:`.folder`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wasteopt.scenario.csv_tables import (
    COLUMN_SPECS,
    REQUIRED,
    STREAM_PREFIXES,
    Columns,
    ColumnSpec,
    Row,
)
from wasteopt.scenario.folder import MAX_ROWS, MAX_TABLE_BYTES, FolderReader, path_problem
from wasteopt.scenario.text import BAD_CHARS, TEXT_EXPECTED, bad_char_message

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

__all__ = ["TableReader"]


def _rows_beyond(path: Path, limit: int) -> int:
    """The number of data rows of the CSV file at ``path`` if it exceeds ``limit``, else 0.

    Cheap for any file: its line ends are counted in bytes first, and only when there are
    more than ``limit`` are the rows counted by parsing (no record is built)."""
    with path.open("rb") as f:
        ends = sum(chunk.count(b"\n") for chunk in iter(partial(f.read, 2**20), b""))
    if ends <= limit:  # one line end belongs to the header
        return 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, strict=True)
        try:
            next(reader, None)
            n = sum(1 for cells in reader if any(c.strip() for c in cells))
        except csv.Error:
            return 0  # the parse that follows reports it
    return n if n > limit else 0


class TableReader(FolderReader):
    """Reads the CSV tables of the folder (the problem bookkeeping is the base class's)."""

    def read_table(self, table: str, build: Callable[[Row], Any]) -> list[Any]:
        """Parse one CSV table; rows that cannot be built are reported and left out.

        The file is streamed: decoded and parsed a line at a time, never held whole."""
        name = self.files[table]
        path = self.check_file(name, MAX_TABLE_BYTES)
        if path is None:
            self.mark_broken(table, None)
            return []
        before = len(self.problems)
        try:
            n_rows = _rows_beyond(path, MAX_ROWS[table])
            if n_rows:
                self._too_many_rows(table, name, n_rows)
                return []
            with path.open(encoding="utf-8-sig", newline="") as f:
                return self._parse(table, name, csv.reader(f, strict=True), build)
        except UnicodeDecodeError:
            # What the rows before the bad byte said is moot: the file needs saving again.
            del self.problems[before:]
            self.lines[table].clear()
            self.not_utf8(name, path.read_bytes())  # the whole file only on this rare path
        except OSError as e:
            self.add(name, path_problem(path, e))
        self.mark_broken(table, None)
        return []

    def _parse(
        self, table: str, name: str, reader: CsvReader, build: Callable[[Row], Any]
    ) -> list[Any]:
        """The header, then every row (see :meth:`_rows`); a broken table gives []."""
        try:
            first = next(reader, None)
        except csv.Error as e:
            self._csv_error(name, e, 1)
            self.mark_broken(table, None)
            return []
        if first is None or not any(h.strip() for h in first):
            blank = first is None or not any(any(c.strip() for c in row) for row in reader)
            if blank:
                self.add(name, "file is empty", expected="a header row and at least one data row")
            else:
                self.add(
                    name,
                    "blank line instead of the header row",
                    where="line 1",
                    expected="the column names on line 1",
                )
            self.mark_broken(table, None)
            return []
        header = [h.strip() for h in first]
        idx = self.header(table, name, header, COLUMN_SPECS[table])
        if idx is None:
            self.mark_broken(table, None)
            return []
        return self._rows(table, name, reader, header, idx, build)

    def _rows(
        self,
        table: str,
        name: str,
        reader: CsvReader,
        header: list[str],
        idx: dict[str, int],
        build: Callable[[Row], Any],
    ) -> list[Any]:
        """Every data row built (blank lines skipped); the table is refused past its row limit."""
        columns = Columns(COLUMN_SPECS[table], idx)
        out: list[Any] = []
        limit = MAX_ROWS[table]
        n_rows = 0
        prev = reader.line_num
        try:
            for cells in reader:
                line, prev = prev + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                n_rows += 1
                if n_rows <= limit:  # past the limit rows are only counted
                    row = Row(self, name, line, cells, idx, columns)
                    obj = self._record(table, row, header, build)
                    if obj is not None:
                        out.append(obj)
        except csv.Error as e:
            self._csv_error(name, e, prev + 1)
            self.mark_broken(table, None)
            return out
        if n_rows > limit:  # only when the line ends undercounted the rows (CR line ends)
            self._too_many_rows(table, name, n_rows)
            return []
        if n_rows == 0:
            self.add(name, "table has a header but no data rows", expected="at least one data row")
            self.mark_broken(table, None)
        return out

    def _record(self, table: str, row: Row, header: list[str], build: Callable[[Row], Any]) -> Any:
        """The object of one data row, or None after its problems are reported."""
        cells, rid, lines = row.cells, row.rid, self.lines[table]
        if len(cells) > len(header):
            # Shifted cells would only produce confusing follow-up reports.
            row.bad(
                "",
                f"has {len(cells)} cells but the header has {len(header)}",
                None,
                "one cell per column; quote cells that contain commas",
            )
        elif rid in lines:
            row.bad(
                "id",
                f"duplicate id (first at line {lines[rid]})",
                rid,
                "ids unique within the table",
            )
            self.mark_broken(table, rid)  # the dropped row may have been meant for
            return None  # another id: do not infer absences from it
        elif BAD_CHARS.search(",".join(cells)):
            for i, cell in enumerate(cells):
                why = bad_char_message(cell)
                if why is not None:
                    row.bad(header[i] or f"column {i + 1}", why, cell, TEXT_EXPECTED)
        obj = None if row.failed else build(row)
        if rid:
            lines[rid] = row.line
        if obj is None and rid:
            self.mark_broken(table, rid)
        return obj

    def _too_many_rows(self, table: str, name: str, n_rows: int) -> None:
        self.add(
            name,
            f"table has {n_rows:,} data rows",
            expected=f"at most {MAX_ROWS[table]:,} rows in {name} (the limit of the {table} table)",
        )
        self.mark_broken(table, None)

    def _csv_error(self, name: str, error: csv.Error, line: int) -> None:
        """Report a CSV syntax error of the record that starts on ``line``."""
        text = str(error)
        if "field larger than field limit" in text:
            message = f"a cell is longer than {csv.field_size_limit():,} characters"
            expected = 'cells of ordinary length (is a closing " missing?)'
        elif "unexpected end of data" in text:
            message = "a quoted cell starting here is never closed"
            expected = 'a closing " (write "" for a quote inside a quoted cell)'
        elif "expected after" in text:
            message = "text follows the closing quote of a quoted cell"
            expected = 'a , or the line end after the closing " (write "" inside a quoted cell)'
        else:
            message, expected = f"not a readable CSV file ({error})", ""
        self.add(name, message, where=f"line {line}", expected=expected)

    def header(
        self, table: str, name: str, header: list[str], spec: ColumnSpec
    ) -> dict[str, int] | None:
        """Column name -> index, or None if the table cannot be read."""
        idx: dict[str, int] = {}
        ok = True
        for k, col in enumerate(header):
            if col in idx:
                self.add(name, "duplicate column", "line 1", col or f"column {k + 1}")
                ok = False
                continue
            idx[col] = k
            if col in spec:
                continue
            if table == "points" and col.startswith(STREAM_PREFIXES):
                continue  # stream names are checked in PointContext / validate
            self.add(
                name,
                "unknown column",
                "line 1",
                col or f"column {k + 1}",
                expected="one of "
                + ", ".join(spec)
                + (
                    ", " + ", ".join(f"{x}<stream>" for x in STREAM_PREFIXES)
                    if table == "points"
                    else ""
                ),
            )
        for col, (_, default) in spec.items():
            if default is REQUIRED and col not in idx:
                self.add(name, "required column is missing", "line 1", col)
                ok = False
        return idx if ok else None
