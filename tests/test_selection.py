import datetime as dt

import pytest

from opint_core.load.selection import Selection, SelectionError, parse_date


@pytest.mark.parametrize("text", ["2025-11-24", "24.11.2025", "24/11/2025", " 2025-11-24 "])
def test_parse_date_accepts_the_original_loader_forms(text):
    assert parse_date(text) == dt.date(2025, 11, 24)


@pytest.mark.parametrize("text", ["2025-13-01", "tomorrow", "24-11-2025", "", "2025/11/24", "+1", "- 1", "-1d"])
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


# --- edges: one day, ranges, last N, the forms of a date -----------------------------------------

D24 = dt.date(2025, 11, 24)


@pytest.mark.parametrize("text, day", [
    ("2024-02-29", dt.date(2024, 2, 29)),          # a leap day
    ("01.01.2026", dt.date(2026, 1, 1)),
    ("31/12/2025", dt.date(2025, 12, 31)),
    ("\t2025-11-24\n", D24),
    ("2025-1-2", dt.date(2025, 1, 2)),             # strptime takes unpadded fields
])
def test_parse_date_edges_accepted(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["2025-02-29", "31.11.2025", "24.11.25", "11/24/2025", "2025-11-24T00:00",
                                  "2025-11-24 12:00", "24 11 2025", "2025.11.24"])
def test_parse_date_edges_rejected(text):
    with pytest.raises(SelectionError) as e:
        parse_date(text)
    assert str(e.value) == (f"cannot read the date {text!r}: use YYYY-MM-DD (or DD.MM.YYYY, DD/MM/YYYY), "
                            "today, yesterday or -N (N days ago), e.g. 2026-11-24")


def test_one_day_from_a_date_or_any_form_of_text():
    for form in (D24, "2025-11-24", "24.11.2025", "24/11/2025"):
        sel = Selection.day(form)
        assert (sel.first, sel.last, sel.last_n, sel.paths) == (D24, D24, None, None)
        assert sel.describe() == "2025-11-24"
    with pytest.raises(SelectionError, match="cannot read the date 'tomorrow'"):
        Selection.day("tomorrow")


def test_range_of_one_day_is_that_day():
    assert Selection.range(D24, D24) == Selection.day(D24)
    assert Selection.range("24.11.2025", "2025-11-24").describe() == "2025-11-24"


def test_range_keeps_both_boundaries_in_either_form():
    sel = Selection.range("20/11/2025", D24)
    assert (sel.first, sel.last) == (dt.date(2025, 11, 20), D24)
    assert Selection.range(dt.date(2025, 11, 20), "2025-11-24") == sel
    assert sel.describe() == "2025-11-20 .. 2025-11-24"
    two = Selection.range("2025-11-23", "2025-11-24")
    assert (two.first, two.last, two.describe()) == (dt.date(2025, 11, 23), D24, "2025-11-23 .. 2025-11-24")


def test_inverted_range_names_both_days_in_the_order_given():
    with pytest.raises(SelectionError) as e:
        Selection.range("2025-11-24", "23.11.2025")          # one day apart is already inverted
    assert str(e.value) == "the range 2025-11-24 .. 2025-11-23 is inverted: --from must not be after --to"


def test_last_days_1_and_2():
    one, two = Selection.last_days(1), Selection.last_days(2)
    assert (one.last_n, one.first, one.last) == (1, None, None) and one.describe() == "last 1 day"
    assert two.last_n == 2 and two.describe() == "last 2 days"
    assert one != two != Selection.latest()
    assert Selection.last_days(" 7 ".strip()).last_n == 7


@pytest.mark.parametrize("n, message", [
    (0, "--last needs at least 1 day, got 0"),
    (-3, "--last needs at least 1 day, got -3"),
    ("three", "--last needs a number of days, got 'three'"),
    ("", "--last needs a number of days, got ''"),
    (None, "--last needs a number of days, got None"),
    ("1.5", "--last needs a number of days, got '1.5'"),
])
def test_last_days_refuses_what_is_not_a_positive_number(n, message):
    with pytest.raises(SelectionError) as e:
        Selection.last_days(n)
    assert str(e.value) == message


def test_latest_describes_itself():
    sel = Selection.latest()
    assert (sel.first, sel.last, sel.last_n, sel.paths, sel.paths_file) == (None, None, None, None, None)
    assert sel.describe() == "latest day"


def test_paths_file_keeps_its_name_and_describes_the_count(tmp_path):
    f = tmp_path / "list.txt"
    f.write_text("/a/part-0.json.gz\n")
    sel = Selection.from_paths_file(f)
    assert sel.paths_file == str(f) and isinstance(sel.paths_file, str)
    assert sel.describe() == f"1 paths from {f}"
    assert Selection(paths=("/a", "/b")).describe() == "2 paths from a list"
    assert (sel.first, sel.last, sel.last_n) == (None, None, None)


def test_paths_file_reads_utf8_and_replaces_bad_bytes(tmp_path):
    f = tmp_path / "list.txt"
    f.write_bytes("/data/été/part-0.json.gz\n".encode() + b"/data/\xff\xfe/part-1.json.gz\n")
    assert Selection.from_paths_file(f).paths == ("/data/été/part-0.json.gz", "/data/\ufffd\ufffd/part-1.json.gz")


def test_paths_file_errors_name_the_file_and_the_reason(tmp_path):
    with pytest.raises(SelectionError) as e:
        Selection.from_paths_file(tmp_path / "nope.txt")
    assert str(e.value) == f"cannot read the path list {str(tmp_path / 'nope.txt')!r}: No such file or directory"
    with pytest.raises(SelectionError) as e:
        Selection.from_paths_file(tmp_path)                      # a folder, not a file
    assert str(e.value).startswith(f"cannot read the path list {str(tmp_path)!r}: Is a directory")
    (tmp_path / "blank.txt").write_text("\n  \n\t\n")
    with pytest.raises(SelectionError) as e:
        Selection.from_paths_file(tmp_path / "blank.txt")
    assert str(e.value) == (f"the path list {str(tmp_path / 'blank.txt')!r} names no paths "
                            "(blank and # lines are skipped)")


def test_from_options_builds_each_form(tmp_path):
    f = tmp_path / "list.txt"
    f.write_text("/a/b\n")
    assert Selection.from_options(date="24.11.2025") == Selection.day(D24)
    assert Selection.from_options(date_from="2025-11-20", date_to="24/11/2025") == Selection.range(
        dt.date(2025, 11, 20), D24)
    assert Selection.from_options(last=3) == Selection.last_days(3)
    assert Selection.from_options(last="1") == Selection.last_days(1)
    assert Selection.from_options(paths_file=str(f)) == Selection(paths=("/a/b",), paths_file=str(f))
    assert Selection.from_options(date=None, date_from=None, date_to=None, last=None, paths_file=None) == \
        Selection.latest()


@pytest.mark.parametrize("options, message", [
    (dict(date="2025-11-24", last=2), "choose one selection, not --date and --last"),
    (dict(date="2025-11-24", date_to="2025-11-25"), "choose one selection, not --date and --from/--to"),
    (dict(date_from="2025-11-24", paths_file="p.txt"), "choose one selection, not --from/--to and --paths-file"),
    (dict(last=2, paths_file="p.txt"), "choose one selection, not --last and --paths-file"),
    (dict(date="2025-11-24", date_from="2025-11-20", date_to="2025-11-24", last=1, paths_file="p.txt"),
     "choose one selection, not --date and --from/--to and --last and --paths-file"),
    (dict(date_from="2025-11-24"), "a range needs both --from and --to"),
    (dict(date_to="2025-11-24"), "a range needs both --from and --to"),
    (dict(date_from="2025-11-24", date_to="2025-11-20"),
     "the range 2025-11-24 .. 2025-11-20 is inverted: --from must not be after --to"),
])
def test_from_options_errors(options, message):
    with pytest.raises(SelectionError) as e:
        Selection.from_options(**options)
    assert str(e.value) == message


@pytest.mark.parametrize("text, ago", [("today", 0), ("TODAY", 0), (" yesterday ", 1), ("Yesterday", 1), ("-0", 0),
                                       ("-1", 1), ("-2", 2), ("-31", 31), ("-3660", 3660)])
def test_dates_as_people_type_them_count_back_from_today(text, ago):
    today = dt.date(2026, 3, 1)
    assert parse_date(text, today=today) == today - dt.timedelta(days=ago)
    assert Selection.day(text).first == parse_date(text)      # against today in UTC by default


def test_too_many_days_back_is_a_clear_error():
    with pytest.raises(SelectionError, match="at most 3660 days ago") as e:
        parse_date("-3661", today=dt.date(2026, 3, 1))
    assert "YYYY-MM-DD" in e.value.remedy
