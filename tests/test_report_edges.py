"""Reports at their edges: CSV formula defusing, markdown escaping parsed back by a CommonMark/GFM
parser, cell truncation, every sort order with ties, --top, atomic writes.

Reports are built by hand (ReportCategory) where the renderers are tested, and from a hand-made
clustering and trends (no archive) where build_report is.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import numpy as np
import pyarrow as pa
import pytest
from markdown_it import MarkdownIt

import opint_core as core
from opint_core import Category, Clustering
from opint_core.clustering import category_key
from opint_core.insight import Insight, sort_categories
from opint_core.insight.trend import Trend, Trends
from opint_core.load import ErrorTable, LoadReport
from opint_core.pipeline import Analysis
from opint_core.report import (
    CSV_COLUMNS, FORMATS, MAX_CELL, SAMPLES, SORTS, Report, ReportCategory, _csv_safe, _plain, _trend_text,
    build_report, md_escape, render, render_csv, render_json, render_markdown, report_dict,
)
from opint_core.atomic import write_atomic
from opint_core.load.schema import ERROR_SCHEMA
from opint_core.triage import Annotation, Inherited

UTC = dt.timezone.utc
DAY = dt.date(2026, 11, 20)
T0 = dt.datetime(2026, 11, 20, tzinfo=UTC)

FORMULA_PREFIXES = ("=", "+", "-", "@")
MD_SPECIALS = "|\\`*_{}[]<>~&!$#"


# ------------------------------------------------------------------------------------------ helpers
def cat(key="c000000000001", pattern="Connection timed out to <*>", count=10, *, share=0.5, trend=None,
        annotation=None, samples=None, merged=None, src=None, dst=None, first="2026-11-20T01:02:03+00:00",
        last="2026-11-20T22:33:44+00:00") -> ReportCategory:
    return ReportCategory(key=key, pattern=pattern, count=count, share=share, first_seen=first, last_seen=last,
                          top_src_sites=src if src is not None else [["CERN", count]],
                          top_dst_sites=dst if dst is not None else [["BNL", count]], trend=trend,
                          samples=samples if samples is not None else [[pattern.replace("<*>", "se1"), count]],
                          annotation=annotation, merged=merged or [])


def rep(categories, *, days=("2026-11-20",), final=True, options=None, failures=None, archive="file:///arch",
        stream="rucio") -> Report:
    return Report(stream=stream, archive=archive, days=list(days), final=final, generated="2026-11-21T08:00:00+00:00",
                  failures=sum(c.count for c in categories) if failures is None else failures,
                  categories_total=len(categories), categories=list(categories),
                  options=options or {"annotated_only": False, "top": None, "sort": "count"})


def ann(label=None, status="investigating", ticket=None, notes=None, *, inherited=False, similarity=100.0,
        source_key="c000000000001") -> dict:
    return {"key": source_key, "pattern": None, "label": label, "status": status, "ticket": ticket, "notes": notes,
            "author": "alice", "time": "2026-11-20T10:00:00+00:00", "inherited": inherited,
            "similarity": similarity, "source_key": source_key}


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def tables(md: str):
    """Every table of the markdown, parsed as GFM does: [(header inline tokens, [row inline tokens])]."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    out, row, head, body, in_head = [], None, [], [], False
    for tok in tokens:
        if tok.type == "table_open":
            head, body = [], []
        elif tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            row.append(tok)
        elif tok.type == "tr_close":
            (head if in_head else body).append(row)
            row = None
        elif tok.type == "table_close":
            out.append((head[0], body))
    return out


def text_of(inline) -> str:
    """A cell's text: plain text and code spans (patterns, messages, keys) only -- no other markup."""
    kinds = {c.type for c in inline.children}
    assert kinds <= {"text", "code_inline"}, [c.type for c in inline.children]
    return "".join(c.content for c in inline.children)


# ---------------------------------------------------------------------------------------------- CSV
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_csv_defuses_every_formula_prefix_in_every_free_text_column(prefix):
    evil = f"{prefix}HYPERLINK(\"http://evil.example\",\"x\")"
    c = cat(pattern=evil + " <*>",
            annotation=ann(label=evil, ticket=prefix + "1+1", notes=prefix + "cmd|' /C calc'!A0"),
            samples=[[prefix + "2+3 failed on se1", 4], ["=second sample is not in the CSV", 1]])
    row = csv_rows(render_csv(rep([c])))[0]
    assert row["pattern"] == "'" + evil + " <*>"
    assert row["label"] == "'" + evil
    assert row["ticket"] == "'" + prefix + "1+1"
    assert row["notes"] == "'" + prefix + "cmd|' /C calc'!A0"
    assert row["sample_message"] == "'" + prefix + "2+3 failed on se1"


def test_csv_safe_edges():
    for p in FORMULA_PREFIXES:
        assert _csv_safe(p) == "'" + p                     # the prefix alone
        assert _csv_safe(p + p) == "'" + p + p             # only one quote, however many
    # not at the start, or other characters: left as they are
    for s in ("a=b", "GGUS-123", "x+y", "user@host", " =1+1", "'=1", "1-2", "(=)", "", "plain"):
        assert _csv_safe(s) == s
    assert _csv_safe(None) == ""
    assert _csv_safe(-5) == "'-5"            # a negative number given as a value is defused too (the rule: prefix)
    assert _csv_safe(5) == "5"


def test_csv_defuses_a_leading_tab():
    c = cat(pattern="\t=1+1 <*>", annotation=ann(label="\t=1+1"), samples=[["\t=1+1", 1]])
    row = csv_rows(render_csv(rep([c])))[0]
    assert row["label"] == "'\t=1+1" and row["pattern"] == "'\t=1+1 <*>" and row["sample_message"] == "'\t=1+1"


def test_csv_keeps_a_bare_carriage_return_inside_its_row():
    c = cat(pattern="Checksum <*>", annotation=ann(label="\r=1+1"), samples=[["first part\r=2+3 second part", 1]])
    rows = list(csv.reader(io.StringIO(render_csv(rep([c])), newline="")))
    assert len(rows) == 2 and all(len(r) == len(CSV_COLUMNS) for r in rows)
    row = dict(zip(CSV_COLUMNS, rows[1]))
    assert row["sample_message"] == "first part\r=2+3 second part" and row["label"] == "'\r=1+1"


def test_csv_numbers_and_plain_fields_are_not_altered():
    t = {"new": False, "ratio": 0.25, "known": True}
    c = cat(key="c0123456789ab", pattern="No such file <*>", count=1234, share=0.1234567, trend=t,
            annotation=ann(label="disk-full", status="known", ticket="GGUS-12", notes="see +1 below",
                           inherited=True, similarity=87.5, source_key="cfedcba987654"),
            src=[["CERN", 3], ["-SITE", 2]], dst=[["BNL", 5], ["FNAL", 4]], samples=[])
    rows = csv_rows(render_csv(rep([c, cat(key="c2", trend={"new": True, "ratio": None}, first=None, last=None)])))
    assert list(rows[0]) == list(CSV_COLUMNS)
    r = rows[0]
    assert r["rank"] == "1" and r["key"] == "c0123456789ab" and r["count"] == "1234" and r["share"] == "0.123457"
    assert r["pattern"] == "No such file <*>" and r["label"] == "disk-full" and r["ticket"] == "GGUS-12"
    assert r["notes"] == "see +1 below" and r["status"] == "known"
    assert r["trend_new"] == "False" and r["trend_ratio"] == "0.25"
    assert r["top_src_sites"] == "CERN:3; -SITE:2" and r["top_dst_sites"] == "BNL:5; FNAL:4"
    assert r["inherited_from"] == "cfedcba987654" and r["similarity"] == "87.5"
    assert r["sample_message"] == "" and r["first_seen"] == "2026-11-20T01:02:03+00:00"
    assert r["last_seen"] == "2026-11-20T22:33:44+00:00"
    r2 = rows[1]
    assert r2["rank"] == "2" and r2["trend_new"] == "True" and r2["trend_ratio"] == ""
    assert r2["first_seen"] == "" and r2["last_seen"] == "" and r2["label"] == "" and r2["status"] == ""
    assert r2["inherited_from"] == "" and r2["similarity"] == ""
    assert r2["sample_message"] == "Connection timed out to se1"
    # own (not inherited) annotation: no source shown
    own = csv_rows(render_csv(rep([cat(annotation=ann(label="x", inherited=False))])))[0]
    assert own["inherited_from"] == "" and own["similarity"] == "100.0"
    # no trend at all
    none = csv_rows(render_csv(rep([cat(trend=None)])))[0]
    assert none["trend_new"] == "" and none["trend_ratio"] == ""


def test_csv_keeps_newlines_and_commas_inside_one_field():
    msg = 'line one, "quoted"\nline two'
    rows = csv_rows(render_csv(rep([cat(samples=[[msg, 2]])])))
    assert len(rows) == 1 and rows[0]["sample_message"] == msg
    assert render_csv(rep([])) == ",".join(CSV_COLUMNS) + "\n"


# ----------------------------------------------------------------------------------- markdown: text
def test_md_escape_escapes_what_would_become_markup_and_nothing_else():
    for ch in "\\`*[]<>|&~$":
        assert md_escape(f"a{ch}b") == f"a\\{ch}b"
    for ch in "-+=:./()%^'\"@,;?#!{}":
        assert md_escape(f"a{ch}b") == f"a{ch}b"
    # an underscore inside a word never emphasises (GFM): INVALID_PATH stays readable; at a word's edge it may
    assert md_escape("SRM_INVALID_PATH a_b") == "SRM_INVALID_PATH a_b"
    assert md_escape("_emph_ x_ _y") == "\\_emph\\_ x\\_ \\_y"
    assert md_escape(None) == "" and md_escape(12) == "12"


def test_plain_control_characters_and_line_breaks():
    assert _plain("a\nb") == "a ⏎ b"
    assert _plain("a\r\nb") == "a ⏎ b"            # one break, not two
    assert _plain("a\rb") == "a ⏎ b"
    assert _plain("a\n\nb") == "a ⏎  ⏎ b"
    assert _plain("a\tb") == "a b"
    # the edges of the removed ranges: \x00-\x08, \x0b-\x1f, \x7f-\x9f
    for ch in "\x00\x08\x0b\x0c\x1b\x1f\x7f\x85\x9f":
        assert _plain(f"a{ch}b") == "ab", repr(ch)
    for ch in " ~\xa0é":
        assert _plain(f"a{ch}b") == f"a{ch}b", repr(ch)
    assert md_escape("\x1b[31mred\x1b[0m") == "\\[31mred\\[0m"


def test_max_cell_truncation_edges():
    assert MAX_CELL == 400
    at = "x" * MAX_CELL
    assert _plain(at) == at and md_escape(at) == at
    over = "x" * (MAX_CELL + 1)
    assert _plain(over) == "x" * (MAX_CELL - 1) + "…" and len(_plain(over)) == MAX_CELL
    assert _plain("abcdef", limit=6) == "abcdef" and _plain("abcdefg", limit=6) == "abcde…"
    # the cut counts the visible text: escapes are added after it, and a newline counts as its mark
    assert md_escape("|" * MAX_CELL) == "\\|" * MAX_CELL
    assert md_escape("|" * (MAX_CELL + 1)) == "\\|" * (MAX_CELL - 1) + "…"
    assert _plain("a\nyy", limit=6) == "a ⏎ yy" and _plain("a\nyyy", limit=6) == "a ⏎ y…"


HOSTILE = [
    "pipe | in | cells",
    "back\\slash \\| escaped pipe",
    "`code` and ``double``",
    "*star* **strong** _em_ __strong__",
    "{brace} [link](https://evil.example) ![img](x.png)",
    "<script>alert(1)</script> <b>bold</b> <https://auto.example>",
    "~~strike~~ ~sub~ &amp; &#65; &copy;",
    "$math$ $$x$$ #heading !bang",
    "line one\nline two\r\nline three\rfour",
    "tab\there \x00nul \x1b[31mansi\x1b[0m \x7fdel \x85nel",
    "- list\n> quote\n# h\n1. item\n---",
    "trailing backslash \\",
]


def hostile_report():
    cats = []
    for i, h in enumerate(HOSTILE):
        cats.append(cat(key=f"c{i:012d}", pattern=h + " <*>", count=100 - i, share=0.01 * i,
                        annotation=ann(label="L " + h, status="S " + h, ticket="T " + h, notes="N " + h,
                                       inherited=bool(i % 2), similarity=90.4),
                        samples=[["M " + h, 3], ["second " + h, 1]], merged=[f"m{i}|x"],
                        src=[["SRC " + h, 5], ["B", 2]], dst=[["DST " + h, 1]],
                        trend={"new": False, "ratio": 1.0, "rising": False, "falling": False}))
    return rep(cats, stream="rucio|x", archive="file:///a|b`c", days=("2026-11-19", "2026-11-20"))


def test_markdown_tables_keep_their_columns_and_text_round_trips():
    report = hostile_report()
    md = render_markdown(report)
    found = tables(md)
    assert len(found) == 1 + len(HOSTILE)                 # the overview and one sample table per category
    head, rows = found[0]
    assert [text_of(c) for c in head] == ["#", "status", "label", "count", "share", "trend", "first seen", "last seen",
                                          "top sources", "top destinations", "ticket", "pattern", "key"]
    assert len(rows) == len(HOSTILE)
    for i, (row, h) in enumerate(zip(rows, HOSTILE)):
        assert len(row) == 13
        cells = [text_of(c) for c in row]
        status = "S " + h + (" (inherited 90%)" if i % 2 else "")
        assert cells[0] == str(i + 1)
        assert cells[1] == _plain(status).strip()
        assert cells[2] == _plain("L " + h).strip()
        assert cells[3] == str(100 - i) and cells[4] == f"{i:.1f}%"
        assert cells[5] == "×1.0"
        assert cells[6] == "2026-11-20 01:02" and cells[7] == "2026-11-20 22:33"
        assert cells[8] == _plain(f"SRC {h} (5), B (2)").strip()
        assert cells[9] == _plain(f"DST {h} (1)").strip()
        assert cells[10] == _plain("T " + h).strip()
        assert cells[11] == _plain(h + " <*>").strip()
        assert cells[12] == f"c{i:012d}"
    for (head, rows), h in zip(found[1:], HOSTILE):
        assert [text_of(c) for c in head] == ["count", "sample message"]
        assert [[text_of(c) for c in r] for r in rows] == [["3", _plain("M " + h).strip()],
                                                            ["1", _plain("second " + h).strip()]]
    # nothing outside the tables turned into markup either: headings, notes and merges are plain text
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    kinds = {c.type for t in tokens if t.type == "inline" for c in t.children}
    assert kinds <= {"text", "softbreak", "code_inline"}
    headings = [tokens[k + 1].content for k, t in enumerate(tokens) if t.type == "heading_open"]
    assert len(headings) == 2 + len(HOSTILE)
    inlines = [t for t in tokens if t.type == "inline"]
    texts = ["".join(c.content for c in t.children) for t in inlines]
    for i, h in enumerate(HOSTILE):
        heading = f"{i + 1}. " + _plain("L " + h).strip() + ": " + _plain(h + " <*>")
        assert heading + f" (c{i:012d})" in texts or heading.strip() + f" (c{i:012d})" in texts
        assert "Notes: " + _plain("N " + h).strip() in texts
        assert f"Merged here: m{i}|x" in texts
    assert texts[0] == "opint shift report: rucio|x errors, 2026-11-19, 2026-11-20"


def test_markdown_has_no_raw_control_characters_or_line_breaks_in_cells():
    md = render_markdown(hostile_report())
    assert not any(ch in md for ch in "\x00\x1b\x7f\x85\r\t")
    for line in md.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            assert line.endswith(" |")


def test_markdown_header_and_summary_lines():
    three = rep([cat()], days=("2026-11-18", "2026-11-19", "2026-11-20"), failures=12345, final=False,
                options={"annotated_only": True, "top": 5, "sort": "rising"}, archive="file:///data/*x*")
    lines = render_markdown(three).splitlines()
    assert lines[0] == "# opint shift report: rucio errors, 2026-11-18, 2026-11-19, 2026-11-20"
    assert lines[1] == ""
    assert lines[2] == ("12,345 failures in 1 categories (includes a day still being written); "
                        "generated 2026-11-21T08:00:00+00:00 from file:///data/\\*x\\*.")
    assert lines[3] == "Showing 1 categories: annotated categories only, top 5, sorted by rising."
    assert lines[4] == "" and lines[5].startswith("| # | status |")
    four = rep([cat()], days=("2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"))
    assert render_markdown(four).splitlines()[0] == "# opint shift report: rucio errors, 2026-11-17 .. 2026-11-20"
    none = rep([], days=(), options={"annotated_only": False})
    lines = render_markdown(none).splitlines()
    assert lines[0] == "# opint shift report: rucio errors, listed paths"
    assert lines[2] == "0 failures in 0 categories; generated 2026-11-21T08:00:00+00:00 from file:///arch."
    assert lines[3] == "Showing 0 categories: sorted by count."
    assert "## Details" not in render_markdown(none) and render_markdown(none).endswith("|\n")
    # a long archive is cut at 200 characters
    long = render_markdown(rep([], archive="a" * 300)).splitlines()[2]
    assert "a" * 199 + "…." in long and "a" * 200 not in long


def test_markdown_cells_of_counts_sites_and_status():
    c = cat(count=1234567, share=0.12345, src=[["A", 1000], ["B", 2], ["C", 1], ["D", 1]], dst=[],
            annotation=ann(status="known", inherited=True, similarity=87.6), first=None, last=None,
            trend={"new": True, "ratio": None})
    row = [text_of(x) for x in tables(render_markdown(rep([c])))[0][1][0]]
    assert row[1] == "known (inherited 88%)" and row[3] == "1,234,567" and row[4] == "12.3%" and row[5] == "new"
    assert row[6] == "" and row[7] == ""
    assert row[8] == "A (1,000), B (2), C (1)" and row[9] == ""        # at most three sites
    no_status = cat(annotation=ann(status=None, label="lbl"))
    row = [text_of(x) for x in tables(render_markdown(rep([no_status])))[0][1][0]]
    assert row[1] == "" and row[2] == "lbl"
    inherited_no_similarity = cat(annotation={"label": "x", "status": "known", "inherited": True})
    row = [text_of(x) for x in tables(render_markdown(rep([inherited_no_similarity])))[0][1][0]]
    assert row[1] == "known (inherited 0%)"


def test_markdown_details_section():
    with_samples = cat(key="c1", annotation=ann(label="", notes="n" * 2500))
    no_samples = cat(key="c2", samples=[], annotation=ann(label="the label"), merged=["ca", "cb"])
    md = render_markdown(rep([with_samples, no_samples]))
    lines = md.splitlines()
    assert "## Details" in lines
    at = lines.index("## Details")
    first = "### 1. ` Connection timed out to <*> ` (` c1 `)"              # the pattern, then the key
    assert lines[at - 1] == "" and lines[at + 1] == "" and lines[at + 2] == first
    assert md.endswith("|\n") and not md.endswith("\n\n")
    assert "### 2. the label: ` Connection timed out to <*> ` (` c2 `)" in lines   # the label first
    notes = next(x for x in lines if x.startswith("Notes: "))
    assert notes == "Notes: " + "n" * 1999 + "…"                            # notes are cut at 2000
    assert "Merged here: ca, cb" in lines
    assert lines.count("| count | sample message |") == 2
    assert "| 10 | ` Connection timed out to se1 ` |" in lines
    # no samples and no notes anywhere: no details section
    bare = render_markdown(rep([cat(samples=[]), cat(key="c3", samples=[], annotation=ann(notes=""))]))
    assert "## Details" not in bare and "###" not in bare
    # notes alone are enough for a details section
    assert "## Details" in render_markdown(rep([cat(samples=[], annotation=ann(notes="why"))]))


def test_trend_text():
    assert _trend_text(None) == "" and _trend_text({}) == ""
    assert _trend_text({"known": False, "new": True, "ratio": 2.0}) == ""
    assert _trend_text({"new": True, "ratio": None}) == "new"
    assert _trend_text({"new": False, "new_template_rows": 5, "ratio": 1.25}) == "+new messages ×1.2"
    assert _trend_text({"new": False, "new_template_rows": 5, "ratio": None}) == "+new messages"
    assert _trend_text({"new": False, "ratio": 3.04, "rising": True}) == "×3.0 ↑"
    assert _trend_text({"new": False, "ratio": 0.25, "falling": True}) == "×0.2 ↓"
    assert _trend_text({"new": False, "ratio": 1.0, "rising": False, "falling": False}) == "×1.0"
    assert _trend_text({"new": False, "ratio": None}) == ""
    assert _trend_text({"known": True, "new": False, "new_template_rows": 0, "ratio": 2.0}) == "×2.0"


# ------------------------------------------------------------------------------------- JSON, render
def test_json_report_and_render_dispatch():
    c = cat(share=1 / 3, annotation=ann(label="ünïcode ⏎"), samples=[["m1", 2], ["m2", 1]], merged=["cx"])
    r = rep([c], options={"annotated_only": False, "top": 3, "sort": "new"})
    text = render_json(r)
    assert text.endswith("}\n") and "ünïcode ⏎" in text                     # not \u-escaped
    assert text.startswith('{\n  "stream": "rucio",\n  "archive": ')            # indented by two
    data = json.loads(text)
    assert data == report_dict(r)
    assert data["categories"][0]["share"] == 0.333333
    assert data["categories"][0]["samples"] == [{"message": "m1", "count": 2}, {"message": "m2", "count": 1}]
    assert data["categories"][0]["merged"] == ["cx"] and data["options"]["sort"] == "new"
    assert set(data) == {"stream", "archive", "days", "final", "generated", "failures", "categories_total",
                         "options", "categories", "scope", "sites", "traffic", "incidents"}
    assert FORMATS == ("md", "json", "csv")
    assert render(r, "md") == render_markdown(r) and render(r, "csv") == render_csv(r) and render(r, "json") == text
    with pytest.raises(ValueError, match="md, json, csv"):
        render(r, "html")


# ------------------------------------------------------------------------------------------ sorting
def test_sort_by_count_ties_by_key():
    rows = [cat(key="cb", count=5), cat(key="ca", count=5), cat(key="cc", count=9)]
    assert [r.key for r in sort_categories(rows, "count")] == ["cc", "ca", "cb"]


def test_sort_new_ties():
    rows = [
        cat(key="c1", count=50, trend={"new": False, "new_template_rows": 30}),
        cat(key="c2", count=20, trend={"new": True}),
        cat(key="c3", count=30, trend={"new": True}),                        # 30 new rows, fewer rows than c1
        cat(key="c4", count=99, trend=None),
        cat(key="c5", count=60, trend={"new": False, "new_template_rows": 0}),
        cat(key="c0", count=30, trend={"new": True}),                        # full tie with c3: by key
        cat(key="c6", count=60, trend={"new": False}),
    ]
    # new rows: c1 30, c2 20, c3 30, c0 30, others 0; ties by rows (desc) then key
    assert [r.key for r in sort_categories(rows, "new")] == ["c1", "c0", "c3", "c2", "c4", "c5", "c6"]
    one = [cat(key="ca", count=50, trend={"new": False}),
           cat(key="cb", count=5, trend={"new": False, "new_template_rows": 1})]
    assert [r.key for r in sort_categories(one, "new")] == ["cb", "ca"]


def test_sort_rising_ties():
    rows = [
        cat(key="c1", count=10, trend={"rising": True, "score": 1.0}),
        cat(key="c2", count=20, trend={"rising": True, "score": 1.0}),
        cat(key="c3", count=5, trend={"rising": True, "score": 2.0}),
        cat(key="c4", count=99, trend={"rising": False, "score": 3.0}),
        cat(key="c5", count=50, trend=None),
        cat(key="c0", count=20, trend={"rising": True, "score": 1.0}),
        cat(key="c6", count=50, trend={"rising": False, "score": None}),
        cat(key="c7", count=50, trend={"rising": False, "score": -1.0}),
        cat(key="c8", count=1, trend={"rising": False, "score": 0.5}),      # a small score beats none
    ]
    assert [r.key for r in sort_categories(rows, "rising")] == ["c3", "c0", "c2", "c1", "c4", "c8", "c5", "c6", "c7"]


def test_sort_label_ties():
    rows = [
        cat(key="c1", count=10, annotation=ann(label="beta")),
        cat(key="c2", count=10, annotation=ann(label="Alpha")),
        cat(key="c3", count=50, annotation=ann(label="alpha")),
        cat(key="c4", count=99, annotation=None),
        cat(key="c5", count=99, annotation=ann(label="")),
        cat(key="c0", count=10, annotation=ann(label="beta")),
        cat(key="c6", count=100, annotation=ann(label="Zed")),
    ]
    # labelled first, alphabetically ignoring case, then by count, then key; unlabelled by count, key
    assert [r.key for r in sort_categories(rows, "label")] == ["c3", "c2", "c0", "c1", "c6", "c4", "c5"]
    # case folded to lower case: "_" sorts before letters ("a_x" < "ab"; in upper case "AB" < "A_X")
    rows = [cat(key="c1", annotation=ann(label="AB")), cat(key="c2", annotation=ann(label="a_x"))]
    assert [r.key for r in sort_categories(rows, "label")] == ["c2", "c1"]


# ---------------------------------------------------------------------------- build_report from data
def _hand_analysis(specs, final=True, sites=0):
    """An Analysis of categories given as (pattern, [(message, count), ...]): one template per
    category, its messages as given (so samples are known), no archive involved."""
    templates, tcounts, tcat, categories, messages = [], [], [], [], []
    for c, (pattern, msgs) in enumerate(specs):
        n = sum(k for _, k in msgs)
        templates.append(pattern)
        tcounts.append(n)
        tcat.append(c)
        categories.append(Category(category_key(pattern), pattern, n, (c,)))
        for m, k in msgs:
            messages += [(m, c)] * k
    tcat = np.asarray(tcat, dtype=np.int32)
    template_of = np.asarray([t for _, t in messages], dtype=np.int32)
    distinct: dict[str, int] = {}
    distinct_of = np.asarray([distinct.setdefault(m, len(distinct)) for m, _ in messages], dtype=np.int32)
    cl = Clustering(template_of=template_of, category_of=tcat[template_of], templates=templates,
                    template_counts=np.asarray(tcounts, dtype=np.int64), template_category=tcat,
                    categories=categories, distinct_of=distinct_of, distinct_messages=list(distinct))
    n = len(messages)
    cols = {name: [None] * n for name in ERROR_SCHEMA.names}
    cols.update(message=[m for m, _ in messages], stream=["rucio"] * n, dst_site=["BNL"] * n,
                src_site=["CERN"] * n, time=[T0 + dt.timedelta(minutes=i) for i in range(n)])
    if sites:
        cols["src_site"] = [f"S{i % sites}" for i in range(n)]
    table = pa.table({f.name: pa.array(cols[f.name], f.type) for f in ERROR_SCHEMA}, schema=ERROR_SCHEMA)
    errors = ErrorTable(table, LoadReport("file:///arch", "rucio", "a day", days=[DAY], final=final))
    return Analysis(errors, cl, Insight(errors, cl), None)


SPECS = [
    ("Connection timed out to <*>", [(f"Connection timed out to se{i}", 5 - i) for i in range(5)]),   # 15 rows
    ("Permission denied for <*>", [("Permission denied for alice", 6), ("Permission denied for bob", 4)]),  # 10
    ("No such file <*>", [("No such file /a", 10)]),                                                  # 10
    ("=cmd|' /C calc'!A0 <*>", [("=cmd|' /C calc'!A0 x", 3)]),                                         # 3
]


def test_build_report_fields_samples_and_top():
    a = _hand_analysis(SPECS)
    r = build_report(a)
    assert [c.count for c in r.categories] == [15, 10, 10, 3]
    k = [c.key for c in a.clustering.categories]
    assert [c.key for c in r.categories] == [k[0], *sorted([k[1], k[2]]), k[3]]    # a tie in count: by key
    assert (r.stream, r.archive, r.days, r.final, r.failures, r.categories_total) == \
        ("rucio", "file:///arch", ["2026-11-20"], True, 38, 4)
    assert r.options == {"annotated_only": False, "top": None, "sort": "count"}
    generated = dt.datetime.fromisoformat(r.generated)
    assert generated.utcoffset() == dt.timedelta(0) and generated.microsecond == 0
    first = r.categories[0]
    assert SAMPLES == 3 and first.samples == [["Connection timed out to se0", 5], ["Connection timed out to se1", 4],
                                              ["Connection timed out to se2", 3]]
    assert first.share == pytest.approx(15 / 38) and first.trend is None and first.annotation is None
    # [site, count, attempts, rate]: a table made by hand has no traffic, so no attempts
    assert first.top_src_sites == [["CERN", 15, None, None]] and first.merged == []
    assert first.pattern == "Connection timed out to <*>" and first.first_seen == T0.isoformat()
    assert first.last_seen == (T0 + dt.timedelta(minutes=14)).isoformat()
    # --top N at its edges
    assert [c.count for c in build_report(a, top=1).categories] == [15]
    assert len(build_report(a, top=3).categories) == 3
    assert len(build_report(a, top=4).categories) == 4 and len(build_report(a, top=5).categories) == 4
    assert len(build_report(a, top=0).categories) == 4 and len(build_report(a, top=None).categories) == 4
    assert build_report(a, top=2, sort="label").options == {"annotated_only": False, "top": 2, "sort": "label"}
    with pytest.raises(ValueError, match="count, new, rising, label"):
        build_report(a, sort="score")
    # the formula in a pattern and its sample is defused in the CSV of a real build
    row = csv_rows(render_csv(r))[3]
    assert row["pattern"] == "'=cmd|' /C calc'!A0 <*>" and row["sample_message"] == "'=cmd|' /C calc'!A0 x"


def test_build_report_lists_the_five_top_sites():
    a = _hand_analysis([("Connection timed out to <*>", [("Connection timed out to se1", 28)])], sites=7)
    c = build_report(a).categories[0]
    # 28 rows over S0..S6: S0..S6 four rows each; the five first by count, ties by first appearance
    assert [e[:2] for e in c.top_src_sites] == [["S0", 4], ["S1", 4], ["S2", 4], ["S3", 4], ["S4", 4]]
    # five, whatever the Insight keeps by default
    a.insight = Insight(a.errors, a.clustering, top_k=3)
    assert len(build_report(a).categories[0].top_src_sites) == 5


def test_negative_top_never_drops_categories_silently():
    a = _hand_analysis(SPECS)
    try:
        r = build_report(a, top=-1)
    except ValueError:
        return
    assert len(r.categories) == 4


def test_build_report_sorts_by_each_order_with_trends():
    a = _hand_analysis(SPECS)
    mk = lambda **kw: Trend(**{**dict(count=1, baseline_count=1, expected=1.0, new=False, ratio=1.0,   # noqa: E731
                                       log2_ratio=0.0, score=0.0, z=0.0, rising=False, falling=False), **kw})
    a.trends = Trends([mk(count=15, rising=True, score=0.7), mk(count=10, new=True, ratio=None, baseline_count=0),
                       mk(count=10, new_template_rows=4, rising=True, score=2.0), mk(count=3)])
    k = [c.key for c in a.clustering.categories]
    assert [c.key for c in build_report(a, sort="new").categories] == [k[1], k[2], k[0], k[3]]
    assert [c.key for c in build_report(a, sort="rising").categories] == [k[2], k[0], k[1], k[3]]
    assert [c.key for c in build_report(a, sort="new", top=2).categories] == [k[1], k[2]]   # sorted, then cut
    r = build_report(a, sort="rising")
    assert r.categories[0].trend["rising"] is True and r.categories[0].trend["score"] == 2.0
    inherited = {k[3]: Inherited(k[3], k[3], 100.0, Annotation(k[3], label="b label")),
                 k[2]: Inherited(k[2], "cother0000000", 91.26, Annotation("cother0000000", label="A label",
                                                                          status="known")),
                 k[0]: Inherited(k[0], k[0], 100.0, Annotation(k[0]))}                 # empty: not an annotation
    r = build_report(a, inherited, sort="label")
    assert [c.key for c in r.categories] == [k[2], k[3], k[0], k[1]]
    assert r.categories[0].annotation["inherited"] is True and r.categories[0].annotation["similarity"] == 91.3
    assert r.categories[0].annotation["source_key"] == "cother0000000"
    assert r.categories[1].annotation["inherited"] is False and r.categories[2].annotation is None
    only = build_report(a, inherited, annotated_only=True)
    assert [c.key for c in only.categories] == [k[2], k[3]]
    assert only.options["annotated_only"] is True


def test_build_report_folds_merges_and_ignores_self_merges():
    a = _hand_analysis(SPECS)
    k = [c.key for c in a.clustering.categories]
    r = build_report(a, merges={k[1]: k[0], k[3]: k[0], k[2]: k[2]})
    assert [c.key for c in r.categories] == [k[0], k[2]]
    assert r.categories[0].count == 28 and r.categories[0].merged == sorted([k[1], k[3]])
    assert r.categories_total == 2          # as the app counts them: merged categories are one
    # samples of the parent now come from its children too: the most frequent first
    assert r.categories[0].samples[0] == ["Permission denied for alice", 6]
    same = build_report(a, merges={x: x for x in k})
    assert [c.count for c in same.categories] == [15, 10, 10, 3] and all(c.merged == [] for c in same.categories)


# ------------------------------------------------------------------------------------- write_atomic
def test_write_atomic_replaces_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "deep" / "er" / "report.csv"
    assert write_atomic(target, "a,b\r\nç,⏎\n") == target
    assert target.read_bytes() == "a,b\r\nç,⏎\n".encode("utf-8")        # no newline translation
    write_atomic(str(target), "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.csv"]


def test_write_atomic_failure_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "report.md"
    write_atomic(target, "old\n")
    with pytest.raises(TypeError):
        write_atomic(target, b"bytes are not text")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["report.md"]
    folder = tmp_path / "a_dir"
    (folder / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        write_atomic(folder, "cannot replace a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dir", "report.md"]


def test_write_atomic_makes_its_temporary_file_beside_the_target(tmp_path, monkeypatch):
    import tempfile

    # the default temporary folder unusable (tempfile.tempdir is its documented setting): the
    # temporary file is made in the target's own folder, so the final rename stays on one filesystem
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    target = tmp_path / "out" / "report.md"
    write_atomic(target, "text\n")
    assert target.read_text() == "text\n" and [p.name for p in target.parent.iterdir()] == ["report.md"]


def test_write_atomic_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert write_atomic("~/out/r.json", "{}\n") == tmp_path / "out" / "r.json"
    assert (tmp_path / "out" / "r.json").read_text() == "{}\n"


def test_render_report_through_the_package():
    r = rep([cat()])
    assert core.render_report(r, "csv") == render_csv(r)
    assert SORTS == ("count", "new", "rising", "label")


def test_markdown_links_only_tickets_and_keeps_huge_hostile_messages_in_one_row():
    huge = ("`x` | <script>alert(1)</script> [a](https://evil.example) \n" * 100)[:5000]
    cats = [cat(key="c1", samples=[[huge, 2]], pattern=huge, annotation=ann(label="l", ticket="GGUS-168421")),
            cat(key="c2", annotation=ann(label="l", ticket="https://its.cern.ch/jira/browse/OPS-1")),
            cat(key="c3", annotation=ann(label="l", ticket="javascript:alert(1)")),
            cat(key="c4", annotation=ann(label="[x](https://evil.example) <b>", ticket="GGUS #4711"))]
    md = render_markdown(rep(cats))
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    flat = [c for t in tokens for c in [t, *(t.children or [])]]
    assert not [t for t in flat if t.type in ("html_block", "html_inline", "image")]
    links = [t.attrGet("href") for t in flat if t.type == "link_open"]
    assert links == ["https://helpdesk.ggus.eu/#ticket/zoom/168421", "https://its.cern.ch/jira/browse/OPS-1",
                     "https://helpdesk.ggus.eu/#ticket/zoom/4711"]
    head, rows = tables(md)[0]
    assert len(rows) == 4 and all(len(r) == len(head) == 13 for r in rows)
    assert "".join(c.content for c in rows[2][10].children) == "javascript:alert(1)"   # text, never a link
    pattern = "".join(c.content for c in rows[0][11].children)
    assert pattern == _plain(huge).rstrip() or pattern.endswith("…") and len(pattern) <= MAX_CELL
    samples = tables(md)[1][1]
    assert len(samples) == 1 and "".join(c.content for c in samples[0][1].children).endswith("…")


def test_the_report_counts_categories_as_the_app_does_after_merges(sample_analysis):
    import opint_core as core

    first, second = sample_analysis.clustering.categories[:2]
    merged = core.build_report(sample_analysis, merges={second.key: first.key})
    assert merged.categories_total == len(sample_analysis.clustering.categories) - 1 == len(merged.categories)
    assert f"in {merged.categories_total} categories" in render_markdown(merged)
