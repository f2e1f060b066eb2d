import datetime as dt

import pytest

from opint_core.load.selection import Selection, SelectionError, parse_date


@pytest.mark.parametrize("text", ["2025-11-24", "24.11.2025", "24/11/2025", " 2025-11-24 "])
def test_parse_date_accepts_the_original_loader_forms(text):
    assert parse_date(text) == dt.date(2025, 11, 24)


@pytest.mark.parametrize("text", ["2025-13-01", "yesterday", "24-11-2025", "", "2025/11/24"])
def test_parse_date_rejects_bad_dates_with_a_clear_message(text):
    with pytest.raises(SelectionError, match="YYYY-MM-DD"):
        parse_date(text)


def test_inverted_range_is_an_error():
    with pytest.raises(SelectionError, match="inverted"):
        Selection.range("2025-11-24", "2025-11-20")


def test_last_n_must_be_positive():
    with pytest.raises(SelectionError):
        Selection.last_days(0)
    assert Selection.last_days("3").last_n == 3


def test_paths_file_strips_and_skips_comments(tmp_path):
    f = tmp_path / "paths.txt"
    f.write_text("  /a/b/part-0.json.gz  \n\n# a comment\n\t/a/c\n   \n")
    sel = Selection.from_paths_file(f)
    assert sel.paths == ("/a/b/part-0.json.gz", "/a/c")


def test_paths_file_missing_or_empty(tmp_path):
    with pytest.raises(SelectionError, match="cannot read"):
        Selection.from_paths_file(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("# only a comment\n\n")
    with pytest.raises(SelectionError, match="names no paths"):
        Selection.from_paths_file(tmp_path / "empty.txt")


def test_from_options_allows_one_selection_only():
    with pytest.raises(SelectionError, match="choose one"):
        Selection.from_options(date="2025-11-24", last=2)
    with pytest.raises(SelectionError, match="both --from and --to"):
        Selection.from_options(date_from="2025-11-24")
    assert Selection.from_options() == Selection.latest()
    assert Selection.from_options(date_from="20.11.2025", date_to="2025-11-24").first == dt.date(2025, 11, 20)
