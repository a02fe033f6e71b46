"""Checking a user travel matrix CSV (``[network] matrix_file``): its frame and every row.

:func:`wasteopt.network.read_matrix_csv` reads the file through :func:`read_matrix_frame`
and checks it with :class:`MatrixFile` (unknown ids, bad numbers, a non-zero diagonal,
duplicate and missing pairs), each problem naming the file line (the header is line 1).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wasteopt.errors import InputError, Problem

__all__ = ["INT32_MAX", "MAX_LISTED", "MatrixFile", "read_matrix_frame"]

MAX_LISTED = 20
"""Problems of one kind listed one by one; the rest are counted."""
INT32_MAX = int(np.iinfo(np.int32).max)


def read_matrix_frame(path: str | os.PathLike[str], fname: str) -> pd.DataFrame:
    """The CSV with ids as text and its required columns, or an :class:`InputError`."""
    try:
        # Ids as text; numbers parsed natively (fast), any bad cell leaves its column as text.
        df = pd.read_csv(
            path,
            dtype={"from_id": str, "to_id": str},
            keep_default_na=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
            skip_blank_lines=False,  # kept so that a row's index gives its file line
        )
    except FileNotFoundError:
        raise InputError(
            [Problem(file=fname, message="file not found", expected="a CSV travel matrix")]
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            [
                Problem(
                    file=fname,
                    message=f"cannot be read as CSV: {exc}",
                    expected="UTF-8 CSV with a header row",
                )
            ]
        ) from None
    df.columns = pd.Index([str(c).strip() for c in df.columns])
    required = ("from_id", "to_id", "distance_m")
    missing_cols = [c for c in required if c not in df.columns]
    if missing_cols:
        raise InputError(
            [
                Problem(
                    file=fname,
                    where="header",
                    field=c,
                    message="missing column",
                    value=None,
                    expected="columns from_id, to_id, distance_m[, duration_s]",
                )
                for c in missing_cols
            ]
        )
    if not pd.api.types.is_numeric_dtype(df["distance_m"].dtype):  # only text has blank rows
        blank = np.logical_and.reduce(
            [df[c].astype(str).str.strip().eq("").to_numpy() for c in df.columns]
        )
        df = df[~blank]
    return df


class MatrixFile:
    """A user matrix file being checked: its rows, their file line numbers (the header is line
    1) and every problem found so far."""

    def __init__(self, df: pd.DataFrame, fname: str, ids: tuple[str, ...]) -> None:
        self.df = df
        self.fname = fname
        self.ids = ids
        self.rows = df.index.to_numpy(dtype=np.int64) + 2  # the index counts blank lines too
        self.problems: list[Problem] = []

    def report_rows(self, mask: npt.NDArray[np.bool_], make: Callable[[int], Problem]) -> None:
        """One problem per flagged row, the first 20 of them, then a count of the rest."""
        hits = np.flatnonzero(mask)
        for k in hits[:MAX_LISTED]:
            self.problems.append(make(int(k)))
        if len(hits) > MAX_LISTED:
            first = make(int(hits[0]))
            self.problems.append(
                Problem(
                    file=self.fname,
                    field=first.field,
                    message=f"{len(hits) - MAX_LISTED} more rows with this "
                    f"problem ({len(hits)} in total)",
                )
            )

    def site_positions(self, col: str) -> npt.NDArray[np.int64]:
        """Position of each row's site in ``ids`` (-1 for an unknown id, which is reported)."""
        index = pd.Index(self.ids)
        # Match the column as read (fast); only unmatched cells are retried without spaces.
        where = index.get_indexer(pd.Index(self.df[col].astype(str))).astype(np.int64)
        miss = np.flatnonzero(where < 0)
        if not miss.size:
            return where
        cells = self.df[col].to_numpy(dtype=object)[miss]
        text = np.array([str(t).strip() for t in cells], dtype=object)
        where[miss] = index.get_indexer(pd.Index(text))
        still = where[miss] < 0
        if still.any():
            self._report_unknown_ids(col, text[still], self.rows[miss[still]])
        return where

    def _report_unknown_ids(
        self, col: str, unknown_cells: npt.NDArray[np.object_], bad_rows: npt.NDArray[np.int64]
    ) -> None:
        fname = self.fname
        unknown, first_row, count = np.unique(unknown_cells, return_index=True, return_counts=True)
        for k, uid in enumerate(unknown[:MAX_LISTED]):
            c = int(count[k])
            self.problems.append(
                Problem(
                    file=fname,
                    where=f"line {bad_rows[first_row[k]]}",
                    field=col,
                    value=str(uid),
                    message=f"unknown site id (in {c} row{'s' if c != 1 else ''})",
                    expected="the id of a point, depot, station or facility",
                )
            )
        if len(unknown) > MAX_LISTED:
            self.problems.append(
                Problem(
                    file=fname,
                    field=col,
                    message=(
                        f"{len(unknown) - MAX_LISTED} more unknown ids ({len(unknown)} in total)"
                    ),
                )
            )

    def numbers(self, col: str, unit: str) -> npt.NDArray[np.float64]:
        """The column as numbers; empty, non-numeric, negative or too large cells are reported."""
        series = self.df[col]
        raw_a: npt.NDArray[Any]
        if pd.api.types.is_numeric_dtype(series.dtype):
            val = series.to_numpy(dtype=np.float64)
            raw_a = val
        else:
            raw = series.astype(str).str.strip()
            val = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            raw_a = raw.to_numpy(dtype=object)
        bad = ~np.isfinite(val) | (val < 0) | (val > INT32_MAX)

        def problem(k: int) -> Problem:
            return Problem(
                file=self.fname,
                where=f"line {self.rows[k]}",
                field=col,
                value=f"{raw_a[k]:g}" if isinstance(raw_a[k], float) else str(raw_a[k]),
                message=(
                    "empty"
                    if raw_a[k] == ""
                    else "not a number"
                    if not np.isfinite(val[k])
                    else "negative"
                    if val[k] < 0
                    else "too large"
                ),
                expected=f"a number of {unit} between 0 and {INT32_MAX}",
            )

        self.report_rows(bad, problem)
        return val

    def check_diagonal(
        self,
        col: str,
        val: npt.NDArray[np.float64],
        fi: npt.NDArray[np.int64],
        diag: npt.NDArray[np.bool_],
    ) -> None:
        """Travel from a site to itself, when given, is 0."""
        self.report_rows(
            diag & np.isfinite(val) & (val != 0),
            lambda k: Problem(
                file=self.fname,
                where=f"line {self.rows[k]}",
                field=col,
                value=f"{val[k]:g}",
                message=f"travel from {self.ids[fi[k]]} to itself",
                expected="0",
            ),
        )

    def check_duplicates(
        self, fi: npt.NDArray[np.int64], ti: npt.NDArray[np.int64], off: npt.NDArray[np.bool_]
    ) -> None:
        """Each ordered pair of distinct sites is given once."""
        key = fi.astype(np.int64) * max(len(self.ids), 1) + ti
        dup = np.zeros(len(self.df), dtype=bool)
        dup[off] = pd.Series(key[off]).duplicated(keep="first").to_numpy()
        ids = self.ids
        self.report_rows(
            dup,
            lambda k: Problem(
                file=self.fname,
                where=f"line {self.rows[k]}",
                field="from_id,to_id",
                value=f"{ids[fi[k]]} → {ids[ti[k]]}",
                message="pair given more than once",
                expected="each ordered pair once",
            ),
        )

    def check_coverage(
        self, fi: npt.NDArray[np.int64], ti: npt.NDArray[np.int64], off: npt.NDArray[np.bool_]
    ) -> None:
        """Every ordered pair of distinct sites is given."""
        ids, n = self.ids, len(self.ids)
        present = np.zeros((n, n), dtype=bool)
        present[fi[off], ti[off]] = True
        np.fill_diagonal(present, True)
        miss_i, miss_j = np.nonzero(~present)
        if not len(miss_i):
            return
        for i, j in zip(miss_i[:MAX_LISTED], miss_j[:MAX_LISTED], strict=True):
            self.problems.append(
                Problem(
                    file=self.fname,
                    where=f"pair {ids[i]} → {ids[j]}",
                    field="from_id,to_id",
                    message="missing pair",
                    expected="a row for every ordered pair of sites",
                )
            )
        self.problems.append(
            Problem(
                file=self.fname,
                field="from_id,to_id",
                message=f"{len(miss_i)} of {n * (n - 1)} ordered pairs are missing in total",
            )
        )
