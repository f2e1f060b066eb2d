"""Reports from a real archive: markdown tables that survive hostile messages, JSON and CSV fields."""
import csv
import datetime as dt
import io
import json

import pytest
from markdown_it import MarkdownIt

import opint_core as core
from archive_factory import day_dir, lines, rucio_record, write_part
from opint_core.report import md_escape
from test_report_edges import tables

HOSTILE = [
    "pipe | in | the | middle",
    "back`ticks` and ``double``",
    "<script>alert('x')</script> injected",
    "see [the docs](https://evil.example/x) now",
    "line one\nDetails: line two\r\nline three",
    "**bold** _em_ # heading - list > quote ~~strike~~ \\ backslash &amp; entity",
    "X" * 5000,
    "\x1b[31mred\x1b[0m escape",
]
D1 = dt.date(2025, 11, 24)


@pytest.fixture
def analysis(tmp_path):
    root = tmp_path / "archive"
    recs = []
    for i, reason in enumerate(HOSTILE):
        recs += [rucio_record(reason, request_id=f"r{i}-{k}") for k in range(i + 1)]
    write_part(day_dir(root, "rucio", D1), lines(recs))
    return core.analyse(str(root), stream="rucio", with_trends=False)


def table_rows(md: str):
    """(header cells, body rows) of the first table, parsed as GFM does (test_report_edges.tables)."""
    return tables(md)[0]


def text_of(inline_token) -> str:
    return "".join(child.content for child in inline_token.children if child.type in ("text", "softbreak"))


def test_markdown_table_structure_survives_hostile_messages(analysis):
    report = core.build_report(analysis)
    md = core.render_report(report, "md")
    head, rows = table_rows(md)
    assert len(rows) == len(report.categories) == len(analysis.clustering.categories)
    assert all(len(r) == len(head) == 13 for r in rows)
    for row in rows:
        for cell in row:
            kinds = {child.type for child in cell.children}
            assert not kinds & {"html_inline", "link_open", "code_inline", "strong_open", "em_open", "image"}
    # the pattern cell shows the pattern's text literally (one line, cut when very long)
    by_key = {text_of(r[12]): r for r in rows}
    for c in report.categories:
        shown = text_of(by_key[c.key][11])
        assert "\n" not in shown and len(shown) <= 400
        assert shown.rstrip("…") == core.report._plain(c.pattern).rstrip("…")


def test_md_escape_round_trips_through_a_commonmark_parser():
    parser = MarkdownIt("commonmark")
    for text in HOSTILE[:6]:
        html = parser.render(md_escape(text))
        assert "<script>" not in html and "<a " not in html and "<code>" not in html and "<strong>" not in html
    assert "⏎" in md_escape("a\nb") and "\x1b" not in md_escape("\x1b[31m")


def test_json_report_fields(analysis, tmp_path):
    store = core.TriageStore(tmp_path / "store", user="alice")
    top = analysis.clustering.categories[0]
    store.annotate(top.key, pattern=top.pattern, label="the biggest", status="investigating", ticket="GGUS-1")
    inherited = store.carry_over(analysis.clustering.categories)
    data = json.loads(core.render_report(core.build_report(analysis, inherited), "json"))
    cats = data["categories"]
    assert len(cats) == len(analysis.clustering.categories)
    assert sum(c["count"] for c in cats) == analysis.errors.failures
    first = next(c for c in cats if c["key"] == top.key)
    siteb = next(s for s in data["sites"] if s["site"] == "SITEB")
    assert first["annotation"]["label"] == "the biggest" and first["annotation"]["status"] == "investigating"
    assert first["annotation"]["inherited"] is False
    for c in cats:
        assert {"key", "pattern", "count", "annotation", "trend", "top_src_sites", "top_dst_sites",
                "first_seen", "last_seen", "samples", "share"} <= set(c)
        # [site, count, attempts, rate]: the category's failures against the site's attempts on that side
        assert c["top_dst_sites"] == [["SITEB", c["count"], siteb["attempts_in"], c["count"] / siteb["attempts_in"]]]
    only = json.loads(core.render_report(core.build_report(analysis, inherited, annotated_only=True), "json"))
    assert [c["key"] for c in only["categories"]] == [top.key]


def test_top_n_and_sort_orders(analysis):
    counts = [c.count for c in core.build_report(analysis).categories]
    assert counts == sorted(counts, reverse=True)
    assert len(core.build_report(analysis, top=2).categories) == 2
    with pytest.raises(ValueError):
        core.build_report(analysis, sort="nonsense")


FORMULAS = ["=cmd|' /C calc'!A0 transfer failed", "+SUM(1;2) checksum error", "-2+3 bytes missing on disk",
            "@SUM(1) token rejected by server"]


def test_csv_report_parses_and_defuses_formulas(analysis, tmp_path):
    text = core.render_report(core.build_report(analysis), "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(analysis.clustering.categories)
    assert all(not r["pattern"].startswith(("=", "+", "-", "@")) for r in rows)
    assert {int(r["count"]) for r in rows} == {c.count for c in analysis.clustering.categories}
    # messages that really start with a formula prefix: each one quoted, once, and otherwise unchanged
    root = tmp_path / "formulas"
    recs = [rucio_record(m, request_id=f"f{i}-{k}") for i, m in enumerate(FORMULAS) for k in range(i + 1)]
    write_part(day_dir(root, "rucio", D1), lines(recs))
    report = core.build_report(core.analyse(str(root), stream="rucio", with_trends=False))
    rows = list(csv.DictReader(io.StringIO(core.render_report(report, "csv"), newline="")))
    assert sorted(r["sample_message"] for r in rows) == sorted("'" + m for m in FORMULAS)
    for r, c in zip(rows, report.categories):
        assert r["key"] == c.key and r["sample_message"] == "'" + c.samples[0][0]
        assert r["pattern"] == ("'" + c.pattern if c.pattern[:1] in "=+-@" else c.pattern)
    assert any(r["pattern"].startswith("'=") for r in rows)


def test_reports_are_written_atomically(tmp_path):
    target = tmp_path / "out" / "report.md"
    core.write_atomic(target, "first\n")
    core.write_atomic(target, "second\n")
    assert target.read_text() == "second\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]  # no temporary left behind


def test_cli_report_and_annotate(tmp_path, analysis, capsys):
    from opint_tui.cli import main

    root = analysis.report.archive
    store = tmp_path / "team"
    key = analysis.clustering.categories[0].key
    assert main(["annotate", key, "--label", "known | issue", "--status", "known", "--store", str(store),
                 "--archive", root, "--source", "rucio"]) == 0
    out = tmp_path / "r.json"
    assert main(["report", "--archive", root, "--source", "rucio", "--format", "json", "-o", str(out),
                 "--store", str(store), "--annotated-only"]) == 0
    data = json.loads(out.read_text())
    assert [c["key"] for c in data["categories"]] == [key]
    assert data["categories"][0]["annotation"]["label"] == "known | issue"
    assert main(["annotate", key, "--store", str(store)]) == 2  # nothing to annotate: a clear error


def test_cli_merge_into_and_unmerge(tmp_path, analysis):
    from opint_tui.cli import main

    root = analysis.report.archive
    store = tmp_path / "team"
    first, second = analysis.clustering.categories[:2]
    on = ["--archive", root, "--source", "rucio"]
    assert main(["annotate", second.key, "--merge-into", first.key, "--pattern", second.pattern,
                 "--store", str(store), *on]) == 0
    assert main(["annotate", first.key, "--merge-into", second.key, "--store", str(store), *on]) == 2  # a cycle
    out = tmp_path / "r.json"
    args = ["report", "--archive", root, "--source", "rucio", "--format", "json", "-o", str(out), "--store", str(store)]
    assert main(args) == 0
    rows = {c["key"]: c for c in json.loads(out.read_text())["categories"]}
    assert second.key not in rows and rows[first.key]["merged"] == [second.key]
    assert rows[first.key]["count"] == first.count + second.count
    assert main(["annotate", second.key, "--unmerge", "--store", str(store)]) == 0
    assert main(args) == 0
    rows = {c["key"]: c for c in json.loads(out.read_text())["categories"]}
    assert rows[first.key]["count"] == first.count and rows[second.key]["count"] == second.count


def test_sort_new_puts_the_planted_new_error_first(sample_analysis):
    """The sample archive's last day has an error never seen before: 'new' brings it to the top."""
    report = core.build_report(sample_analysis, sort="new")
    first = report.categories[0]
    assert first.trend["new"] or first.trend["new_template_rows"] > 0
    members = [sample_analysis.clustering.templates[t] for t in first.trend["new_templates"]] \
        if first.trend["new_templates"] and isinstance(first.trend["new_templates"][0], int) \
        else first.trend["new_templates"]
    assert any("bearer token rejected" in str(m) for m in members) or \
        any("bearer token rejected" in m for m, _ in first.samples)
