"""Files: atomic output (a file appears whole or not at all, and so does an output folder),
spreadsheet-safe text cells and content hashes of inputs.

Files are written to a temporary sibling and moved into place with :func:`os.replace`. An output
folder is assembled in a temporary sibling folder (:class:`OutputFolder`) and its files are moved
into the target only when every step has succeeded, so a failed or interrupted run leaves the
target as it was.

Formula injection: a spreadsheet opening a CSV file evaluates a cell that starts with ``=``,
``+``, ``-`` or ``@`` (and some also after a tab or carriage return) as a formula, so a point
named ``=HYPERLINK(...)`` would become a live link. Every text cell that :func:`write_frame`
writes to CSV that starts so gets a leading ``'`` (OWASP's defence: the spreadsheet shows the
text as text); numbers are never touched, so ``-5`` stays the number -5.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_START",
    "OutputFolder",
    "atomic_path",
    "content_hash",
    "spreadsheet_frame",
    "spreadsheet_text",
    "write_frame",
    "write_json",
    "write_text",
]

#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it to ``path``, else delete it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.chmod(0o644)  # mkstemp makes 0600; outputs are meant to be shared
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_text(path: str | os.PathLike[str], text: str, *, bom: bool = False) -> Path:
    """Write UTF-8 text atomically (with a byte-order mark when ``bom``, for Excel)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8-sig" if bom else "utf-8")
    return Path(path)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write JSON (UTF-8, Chinese kept readable) atomically."""
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def spreadsheet_text(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _safe_column(col: pd.Series) -> pd.Series | None:
    """``col`` with its formula-like text cells prefixed (numbers and other cells unchanged), or
    None when no cell needs it."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        safe = [spreadsheet_text(c) if isinstance(c, str) else c for c in cats]
        return None if safe == list(cats) else col.cat.rename_categories(safe)
    if not (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
        return None  # numbers, booleans, dates: never text
    try:
        hit = col.str.startswith(FORMULA_START, na=False)
    except AttributeError:  # an object column without any text
        return None
    if not hit.any():
        return None
    out = col.copy()
    out[hit] = "'" + col[hit].astype(str)
    return out


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every formula-like text cell and column name prefixed with ``'`` (the
    frame itself when nothing needs it); number cells stay numbers."""
    safe = {k: _safe_column(frame.iloc[:, k]) for k in range(frame.shape[1])}
    changed = {k: col for k, col in safe.items() if col is not None}
    names = [spreadsheet_text(c) if isinstance(c, str) else c for c in frame.columns]
    renamed = names != list(frame.columns)
    if not changed and not renamed:
        return frame
    out = frame.copy()
    for k, col in changed.items():
        out.isetitem(k, col.array)
    if renamed:
        out.columns = pd.Index(names, name=frame.columns.name)
    return out


def write_frame(path: str | os.PathLike[str], frame: pd.DataFrame, *, bom: bool = False) -> Path:
    """Write a DataFrame as CSV (``.csv``, text cells made safe from formula injection by
    :func:`spreadsheet_frame`) or Parquet (``.parquet``, as is) atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            spreadsheet_frame(frame).to_csv(
                tmp, index=False, encoding="utf-8-sig" if bom else "utf-8"
            )
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            raise ValueError(f"{target}: unsupported table format {suffix!r}; use .csv or .parquet")
    return target


class OutputFolder:
    """Assemble an output folder in a temporary sibling and publish it only on success.

    Use as a context manager; ``path(name)`` gives where to write ``name`` inside the staging
    folder. On a clean exit every staged file replaces its counterpart in the target folder;
    on an exception the staging folder is removed and the target is untouched.
    """

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        self._stage: Path | None = None

    def __enter__(self) -> OutputFolder:
        parent = self.target.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        self._stage = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", dir=parent))
        self._stage.chmod(0o755)
        return self

    def path(self, name: str) -> Path:
        assert self._stage is not None, "use OutputFolder as a context manager"
        p = self._stage / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._stage is not None
        stage, self._stage = self._stage, None
        try:
            if exc_type is None:
                self.target.mkdir(parents=True, exist_ok=True)
                for src in sorted(stage.rglob("*")):
                    if src.is_file():
                        dst = self.target / src.relative_to(stage)
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(src, dst)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def content_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, or of a folder's relative file names and bytes (sorted).

    Timestamps, permissions and ``__pycache__``/hidden files do not count.
    """
    p = Path(path)
    h = hashlib.sha256()
    if p.is_file():
        h.update(p.read_bytes())
        return h.hexdigest()
    if not p.is_dir():
        raise FileNotFoundError(f"input {str(p)!r} does not exist")
    files = sorted(
        f
        for f in p.rglob("*")
        if f.is_file()
        and not any(
            part.startswith(".") or part == "__pycache__" for part in f.relative_to(p).parts
        )
    )
    for f in files:
        h.update(f.relative_to(p).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
