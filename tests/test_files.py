"""Tests for wasteopt.files: atomic files and output folders."""

import csv

import pandas as pd
import pytest

from wasteopt.files import OutputFolder, spreadsheet_text, write_frame, write_json, write_text


def test_write_text_bom_and_plain(tmp_path):
    """write_text writes UTF-8, with a byte-order mark only when asked."""
    write_text(tmp_path / "a.txt", "城南")
    write_text(tmp_path / "b.csv", "城南", bom=True)
    assert (tmp_path / "a.txt").read_bytes() == "城南".encode()
    assert (tmp_path / "b.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_write_frame_csv_and_parquet(tmp_path):
    """A frame written as CSV or Parquet reads back equal; other suffixes are refused."""
    df = pd.DataFrame({"id": ["WH-1", "WH-2"], "t": [1.5, 2.0]})
    write_frame(tmp_path / "x.csv", df)
    write_frame(tmp_path / "x.parquet", df)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "x.csv"), df)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "x.parquet"), df)
    with pytest.raises(ValueError, match="unsupported"):
        write_frame(tmp_path / "x.xls", df)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.parquet"]


def test_output_folder_publishes_only_on_success(tmp_path):
    """A failing run leaves the target untouched and no staging folder behind."""
    target = tmp_path / "out"
    with OutputFolder(target) as out:
        write_json(out.path("manifest.json"), {"ok": True})
        write_text(out.path("sub/a.txt"), "one")
    assert (target / "manifest.json").exists() and (target / "sub" / "a.txt").read_text() == "one"

    with pytest.raises(RuntimeError), OutputFolder(target) as out:
        write_text(out.path("sub/a.txt"), "two")
        write_text(out.path("new.txt"), "x")
        raise RuntimeError("boom")
    assert (target / "sub" / "a.txt").read_text() == "one"
    assert not (target / "new.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_frame_neutralises_formula_text_in_csv_only(tmp_path):
    """CSV text cells starting with = + - @ tab (or CR) get a leading quote; numbers, Parquet
    and the caller's frame stay as they were."""
    names = ['=HYPERLINK("http://x","y")', "+1", "-y", "@z", "\tq", "ok", "幸福"]
    df = pd.DataFrame(
        {
            "name": names,
            "kg": [-1.5, -2.0, 3.0, 0.0, 1.0, 2.0, 3.0],
            "mixed": ["-a", -5, None, 2.5, "b", "=c", 7],
            "kind": pd.Categorical(["-a", "b", "-a", "b", "b", "b", "b"]),
            "=sum": range(7),
        }
    )
    write_frame(tmp_path / "x.csv", df)
    typed = df.drop(columns="mixed")  # Parquet columns hold one type
    write_frame(tmp_path / "x.parquet", typed)
    with (tmp_path / "x.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["name", "kg", "mixed", "kind", "'=sum"]
    assert [r[0] for r in rows[1:]] == ["'" + n for n in names[:5]] + ["ok", "幸福"]
    assert [r[1] for r in rows[1:3]] == ["-1.5", "-2.0"]  # numbers stay numbers
    assert [r[2] for r in rows[1:4]] == ["'-a", "-5", ""]
    assert [r[3] for r in rows[1:3]] == ["'-a", "b"]
    assert df["name"].tolist() == names and df.columns[-1] == "=sum"
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "x.parquet"), typed)
    assert spreadsheet_text("\rr") == "'\rr" and spreadsheet_text("a-b") == "a-b"
