"""The shift summary (issue 15 point 1): incidents first, then new and rising categories, then what was
ticketed or resolved; one or two lines each; within the character budget, saying what was left out;
markdown that renders (markdown-it-py: no HTML, links only to the ticket system). Over the sample archive."""
from __future__ import annotations

import dataclasses

import pytest
from markdown_it import MarkdownIt

import opint_core as core
from opint_core.summary import MAX_CHARS, render_summary, ticket_link
from opint_tui.cli import main


@pytest.fixture(scope="module")
def handled(sample_analysis, tmp_path_factory):
    """The report of the sample's latest day with one category ticketed today and one resolved."""
    store = core.TriageStore(tmp_path_factory.mktemp("store"), user="alice")
    quiet = [c for c in sample_analysis.clustering.categories
             if c.key not in {i.key for i in sample_analysis.incidents}]
    store.annotate(quiet[0].key, pattern=quiet[0].pattern, label="pool `offline` <b>x</b>", status="ticketed",
                   ticket="GGUS-168421")
    store.annotate(quiet[1].key, pattern=quiet[1].pattern, label="fixed by the site", status="resolved",
                   ticket="https://helpdesk.ggus.eu/#ticket/zoom/4711")
    report = core.build_report(sample_analysis, store.carry_over(sample_analysis.clustering))
    return report, quiet[0], quiet[1]


def test_the_text_summary_lists_incidents_first_then_new_rising_and_handled(handled, sample_analysis):
    report, ticketed, resolved = handled
    text = render_summary(report, "text")
    assert len(text) <= MAX_CHARS and "left out" not in text
    lines = text.splitlines()
    assert lines[0].startswith(f"opint shift summary · fts {report.days[0]}")
    assert f"{len(report.incidents)} incidents" in lines[0]
    sections = [line for line in lines if line.isupper() and line.strip()]
    order = ["INCIDENTS", "NEW", "RISING", f"TICKETED OR RESOLVED SINCE {report.days[0]}"]
    assert sections[0] == "INCIDENTS" and sections[-1] == order[-1]
    assert sections == [s for s in order if s in sections]        # in that order, each once
    positions = [text.index(f" · {i.key}") for i in report.incidents]
    assert positions == sorted(positions) and positions[-1] < text.index(order[-1])
    for i in report.incidents:
        line = next(line for line in lines if line.startswith(i.status.upper()) and f"{i.failures:,}/" in line)
        assert f"{i.failures:,}/{i.attempts:,} failed" in line and (i.site in line)
    rising = [c for c in report.categories if c.rising and not c.new and not c.new_rows
              and c.key not in {i.key for i in report.incidents}]
    for c in rising:
        assert f"RISING ×{c.trend['ratio']:.1f} · {c.count:,} failures" in text
    new = [c for c in report.categories if c.new and c.key not in {i.key for i in report.incidents}]
    assert all(f"· {c.key}" in text for c in new)
    assert f"TICKETED by alice · {ticketed.count:,} failures" in text and "ticket GGUS-168421" in text
    assert f"RESOLVED by alice · {resolved.count:,} failures" in text
    assert "\x1b" not in text and "<b>" in text                     # plain text: as it is, never markup


def test_a_small_budget_keeps_whole_items_in_order_and_says_what_was_left_out(handled):
    report, *_ = handled
    full = render_summary(report, "text", max_chars=100_000)
    short = render_summary(report, "text", max_chars=700)
    assert len(short) <= 700 and short.splitlines()[0] == full.splitlines()[0]
    kept = short.split("\n… ")[0]
    assert full.startswith(kept.rstrip("\n"))                      # a prefix of the whole: nothing reordered
    left = int(short.split("\n… ")[1].split()[0])
    items = sum(1 for line in full.splitlines() if line.startswith(("NEW", "RISING", "ONGOING", "TICKETED",
                                                                     "RESOLVED")) and " · " in line)
    assert 0 < left < items and "opint report --layout full" in short


def test_the_markdown_summary_renders_with_no_html_and_links_only_to_tickets(handled):
    report, ticketed, _ = handled
    md = render_summary(report, "md")
    assert len(md) <= MAX_CHARS
    tokens = MarkdownIt("commonmark").parse(md)
    flat = [t for block in tokens for t in ([block] + list(block.children or []))]
    assert not [t for t in flat if t.type in ("html_block", "html_inline")]
    links = [t.attrGet("href") for t in flat if t.type == "link_open"]
    assert links and all(href.startswith("https://helpdesk.ggus.eu/") for href in links)
    assert "https://helpdesk.ggus.eu/#ticket/zoom/168421" in links and "https://helpdesk.ggus.eu/#ticket/zoom/4711" in links
    code = [t.content for t in flat if t.type == "code_inline"]
    assert all(i.pattern in code for i in report.incidents) and ticketed.key in code
    html = MarkdownIt("commonmark").render(md)
    assert "<b>" not in html and "&lt;b&gt;" in html               # the label's markup shown, not applied


def test_ticket_links():
    assert ticket_link("GGUS-168421") == "[GGUS 168421](https://helpdesk.ggus.eu/#ticket/zoom/168421)"
    assert ticket_link("168421") == "[GGUS 168421](https://helpdesk.ggus.eu/#ticket/zoom/168421)"
    assert ticket_link("https://its.cern.ch/jira/browse/X-1") == \
        "[https://its.cern.ch/jira/browse/X-1](<https://its.cern.ch/jira/browse/X-1>)"
    assert ticket_link("javascript:alert(1)") == "javascript:alert(1)"           # text, never a link
    assert ticket_link("[x](http://evil)") == "\\[x\\](http://evil)"


def test_a_quiet_day_says_so(sample_analysis):
    report = dataclasses.replace(core.build_report(sample_analysis), incidents=[], categories=[])
    assert "a quiet shift" in render_summary(report, "text")


def test_the_cli_summary_and_full_layouts(sample_root, tmp_path, capsys):
    base = ["report", "--archive", sample_root, "--store", str(tmp_path / "s")]
    assert main([*base, "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("opint shift summary") and len(text) <= MAX_CHARS
    assert main([*base]) == 0 and capsys.readouterr().out.startswith("## opint shift summary")   # md: summary
    assert main([*base, "--layout", "full"]) == 0 and capsys.readouterr().out.startswith("# opint shift report")
    assert main([*base, "--format", "text", "--layout", "full"]) == 2
    assert "--format md --layout full" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main([*base, "--format", "text", "--max-chars", "100"])
    assert e.value.code == 2 and "too short for a summary" in capsys.readouterr().err
