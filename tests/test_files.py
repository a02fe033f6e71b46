"""Tests for wasteopt.files: atomic files and output folders."""

import pandas as pd
import pytest

from wasteopt.files import OutputFolder, write_frame, write_json, write_text


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
