"""The shift summary: what a shifter pastes into a logbook or a chat — the incidents first, then the new and
the rising categories, then what was ticketed or resolved — one or two lines each, within a character
budget (Mattermost's default message limit is 16,383; the default here, 4,000, fits a logbook entry and a
GGUS comment too). Plain text, or markdown whose patterns are code spans. What does not fit is counted
in a last line that says how to get everything (``--layout full``).
"""
from __future__ import annotations

from dataclasses import dataclass

from opint_core import markdown
from opint_core.markdown import ticket_link
from opint_core.report import Report, ReportCategory, _incident_when, _incident_where, _plain, _rate

MAX_CHARS = 4000
MIN_CHARS = 500             # the heading and an item or two
LAYOUTS = ("summary", "full")
SUMMARY_FORMATS = ("text", "md")
PATTERN_CHARS = 160          # a pattern in one line of the summary


@dataclass(frozen=True)
class _Item:
    text: str        # one or two lines, plain
    markdown: str    # the same as a markdown list item


def _annotation_bits(c: ReportCategory | None) -> tuple[str, str]:
    """(plain, markdown) of a category's label and ticket: `` · label "…" · ticket GGUS-1``."""
    a = (c.annotation or {}) if c is not None else {}
    plain, md = "", ""
    if a.get("label"):
        label = _plain(a["label"], 120)
        plain += f' · label "{label}"'
        md += f" · label *{_md_esc(label)}*"
    if a.get("ticket"):
        plain += f" · ticket {_plain(a['ticket'], 120)}"
        md += f" · ticket {ticket_link(a['ticket'])}"
    return plain, md


def _top_site(c: ReportCategory) -> str:
    src = c.top_src_sites[0][0] if c.top_src_sites else None
    dst = c.top_dst_sites[0][0] if c.top_dst_sites else None
    return _plain(f"{src or '?'} → {dst or '?'}", 80)


def _incident_item(i, category: ReportCategory | None) -> _Item:
    action = getattr(i.cause, "action", None) or "unknown cause"
    cause = getattr(i.cause, "title", None) or "cause unknown"
    where, when = _plain(_incident_where(i), 80), _incident_when(i)
    figures = (f"{i.failures:,}/{i.attempts:,} failed = {_rate(i.failure_rate)} "
               f"(usual {_rate(i.baseline_rate)}, other sites {_rate(i.grid_rate)})")
    plain_a, md_a = _annotation_bits(category)
    pattern = _plain(i.pattern, PATTERN_CHARS)
    text = (f"{i.status.upper()} {where} {when} UTC · {figures} · {_plain(cause, 80)} → {action}\n"
            f"    {pattern} · {i.key}{plain_a}")
    md = (f"- **{i.status.upper()}** {_md_esc(where)} {_md_esc(when)} UTC · {figures} · {_md_esc(_plain(cause, 80))} → "
          f"{_md_esc(action)}  \n  {_code(pattern)} · `{i.key}`{md_a}")
    return _Item(text, md)


def _category_item(word: str, c: ReportCategory) -> _Item:
    trend = c.trend or {}
    expected = trend.get("expected")
    usual = f" (usual {expected:,.0f})" if expected is not None and not trend.get("new") else ""
    plain_a, md_a = _annotation_bits(c)
    pattern = _plain(c.pattern, PATTERN_CHARS)
    figures = f"{c.count:,} failures{usual} · top {_top_site(c)}"
    return _Item(f"{word} · {figures}\n    {pattern} · {c.key}{plain_a}",
                 f"- **{word}** · {_md_esc(figures)}  \n  {_code(pattern)} · `{c.key}`{md_a}")


def _handled_item(c: ReportCategory) -> _Item:
    a = c.annotation or {}
    plain_a, md_a = _annotation_bits(c)
    who = f" by {_plain(a.get('author') or '?', 40)}"
    pattern = _plain(c.pattern, PATTERN_CHARS)
    return _Item(f"{a['status'].upper()}{who} · {c.count:,} failures\n    {pattern} · {c.key}{plain_a}",
                 f"- **{a['status'].upper()}**{_md_esc(who)} · {c.count:,} failures  \n  {_code(pattern)} · "
                 f"`{c.key}`{md_a}")


def _sections(report: Report) -> list[tuple[str, list[_Item]]]:
    by_key = {c.key: c for c in report.categories}
    incident_keys = {i.key for i in report.incidents}
    rest = [c for c in report.categories if c.key not in incident_keys]
    new = [c for c in rest if c.new]
    new_messages = [c for c in rest if not c.new and c.new_rows]
    rising = sorted((c for c in rest if c.rising and not c.new and not c.new_rows), key=lambda c: -c.score)
    since = f"{report.days[0]}T00:00" if report.days else ""
    handled = [c for c in report.categories if (c.annotation or {}).get("status") in ("ticketed", "resolved")
               and not (c.annotation or {}).get("inherited") and (c.annotation or {}).get("time", "") >= since]

    def rising_word(c: ReportCategory) -> str:
        ratio = (c.trend or {}).get("ratio")
        return f"RISING ×{ratio:.1f}" if ratio is not None else "RISING"

    return [
        ("Incidents", [_incident_item(i, by_key.get(i.key)) for i in report.incidents]),
        ("New", [_category_item("NEW CATEGORY", c) for c in new]
         + [_category_item(f"NEW MESSAGES ({c.new_rows:,})", c) for c in new_messages]),
        ("Rising", [_category_item(rising_word(c), c) for c in rising]),
        (f"Ticketed or resolved since {report.days[0] if report.days else 'the start'}",
         [_handled_item(c) for c in handled]),
    ]


def _heading(report: Report) -> str:
    days = ", ".join(report.days) if len(report.days) <= 3 else f"{report.days[0]} .. {report.days[-1]}"
    partial = " (today, partial)" if not report.final else ""
    vo = ", ".join(report.scope.get("vo") or []) or "all VOs"
    counts = {s: sum(i.status == s for i in report.incidents) for s in ("new", "rising", "ongoing")}
    incidents = f"{len(report.incidents)} incidents ({counts['new']} new, {counts['rising']} rising, " \
                f"{counts['ongoing']} ongoing)"
    return (f"opint shift summary · {report.stream} {days or 'listed paths'}{partial} · {vo} · "
            f"{report.failures:,} failures in {report.categories_total:,} categories · {incidents}")


def render_summary(report: Report, fmt: str = "text", max_chars: int = MAX_CHARS) -> str:
    """The summary of ``report`` as ``fmt`` ("text" or "md"), at most ``max_chars`` characters: whole
    items in order until the budget is spent, then a line saying how many were left out."""
    if fmt not in SUMMARY_FORMATS:
        raise ValueError(f"unknown summary format {fmt!r}: choose one of {', '.join(SUMMARY_FORMATS)}")
    md = fmt == "md"
    head = f"## {_md_esc(_heading(report))}" if md else _heading(report)
    out, used, left = [head], len(head) + 1, 0
    reserve = 120   # room for the line that counts what was left out
    sections = _sections(report)
    for title, items in sections:
        if not items:
            continue
        title_line = f"\n### {_md_esc(title)}\n" if md else f"\n{title.upper()}"
        first = True
        for item in items:
            body = item.markdown if md else item.text
            cost = len(body) + 1 + (len(title_line) + 1 if first else 0)
            if left or used + cost > max_chars - reserve:
                left += 1
                continue
            if first:
                out.append(title_line)
                first = False
            out.append(body)
            used += cost
    if not any(items for _, items in sections):
        out.append("\nNothing new, rising or handled: a quiet shift.")
    if left:
        out.append(f"\n… {left} more item{'s' if left != 1 else ''} left out to stay within {max_chars:,} characters: "
                   "opint report --layout full has everything.")
    return "\n".join(out) + "\n"


def _md_esc(text: str) -> str:
    return markdown.escape(text, len(text) + 1)


def _code(pattern: str) -> str:
    return markdown.code(pattern, PATTERN_CHARS, in_table=False)
