"""Shift reports: markdown (GitHub/GitLab/Mattermost tables), JSON and CSV, from one analysis.

Every text that comes from an error message or an annotation is escaped for its format: in markdown
each character that can start markup is backslash-escaped (CommonMark allows it for any punctuation),
so no `|`, backtick, `<script>`, `[text](url)` or emphasis can break a table or inject markup; newlines
and control characters become visible marks and very long strings are cut. In CSV every text cell is
defused for spreadsheets (OWASP formula injection), control characters are removed and long cells are
cut saying so; in JSON every control character is escaped. Files are written atomically
(``opint_core.atomic.write_atomic``).
"""
from __future__ import annotations

import datetime as dt
import json
import numbers
import re
from dataclasses import dataclass, field

from opint_core.insight import Insight, sort_categories

FORMATS = ("md", "json", "csv")
SORTS = ("count", "new", "rising", "label")   # orders of opint_core.insight.orders
SAMPLES = 3
MAX_CELL = 400    # characters of a cell, in markdown and CSV
MAX_NOTES = 2000  # characters of the notes


@dataclass
class ReportCategory:
    key: str
    pattern: str
    count: int
    share: float
    first_seen: str | None
    last_seen: str | None
    top_src_sites: list
    top_dst_sites: list
    trend: dict | None
    samples: list  # [message, count]
    annotation: dict | None  # label, status, ticket, notes, author, time, inherited, similarity, source_key
    merged: list = field(default_factory=list)  # keys of categories merged into this one
    event_types: list = field(default_factory=list)  # [event type, count], most frequent first

    # what the orders of opint_core.insight.orders read
    @property
    def label(self) -> str:
        return (self.annotation or {}).get("label") or ""

    def _trend(self, name: str, default):
        return (self.trend or {}).get(name) or default

    @property
    def new(self) -> bool:
        return self._trend("new", False)

    @property
    def new_rows(self) -> int:
        return self._trend("new_template_rows", 0)

    @property
    def score(self) -> float:
        return self._trend("score", 0.0)

    @property
    def rising(self) -> bool:
        return self._trend("rising", False)


@dataclass
class Report:
    stream: str
    archive: str
    days: list[str]
    final: bool
    generated: str
    failures: int
    categories_total: int
    categories: list[ReportCategory]
    options: dict
    scope: dict = field(default_factory=lambda: {"vo": []})   # the VOs analysed ([]: every VO)
    # per site (SiteRate.to_dict), most failures first; None: the load has no traffic to count attempts
    sites: list | None = None
    # {attempts, failures, steps: [[event type, events]] left out of the attempts}; None without traffic
    traffic: dict | None = None
    incidents: list = field(default_factory=list)   # Incident objects, new first (opint_core.incidents)


def build_report(analysis, inherited: dict | None = None, merges: dict | None = None, *,
                 annotated_only: bool = False, top: int | None = None, sort: str = "count") -> Report:
    """The report of an Analysis (errors, clustering, insight, trends).

    inherited: category key -> Inherited (TriageStore.carry_over), merges: child key -> parent key
    (TriageStore.apply_merges result); both optional.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}: choose one of {', '.join(SORTS)}")
    if top is not None and top < 0:   # rows[:-1] would silently drop the last category
        raise ValueError(f"top = {top}: give 0 or more categories (0 or None: all of them)")
    insight, trends = analysis.insight, analysis.trends
    merges = {k: v for k, v in (merges or {}).items() if k != v}   # apply_merges maps every key
    if merges:                                                     # a new Insight only for real merges
        insight = Insight(analysis.errors, analysis.clustering, merges=merges)
    inherited = inherited or {}
    fields = insight.report_fields(trends, top=5)
    merged_children: dict[int, list[str]] = {}
    for child, parent in insight.merged_into.items():
        merged_children.setdefault(parent, []).append(insight.keys[child])
    rows = []
    for g, f in enumerate(fields):
        if g in insight.merged_into:
            continue
        found = inherited.get(f["key"])
        annotation = None
        if found is not None and not found.annotation.empty:
            annotation = found.annotation.to_dict()
            annotation.update(inherited=found.inherited, similarity=round(found.similarity, 1),
                              source_key=found.source_key)
        if annotated_only and annotation is None:
            continue
        messages, _ = insight.messages(g, SAMPLES)
        rows.append(ReportCategory(
            key=f["key"], pattern=insight.patterns[g], count=f["count"], share=f["share"],
            first_seen=f["first_seen"], last_seen=f["last_seen"], top_src_sites=f["top_src_sites"],
            top_dst_sites=f["top_dst_sites"], trend=f["trend"],
            samples=[[m.message, m.count] for m in messages], annotation=annotation,
            merged=sorted(merged_children.get(g, [])), event_types=f["event_types"]))
    rows = sort_categories(rows, sort)
    if top:
        rows = rows[:top]
    r = analysis.report
    rates = insight.rates
    return Report(stream=r.stream, archive=r.archive, days=[str(d) for d in r.days], final=r.final,
                  generated=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  failures=analysis.errors.failures, categories_total=len(analysis.clustering.categories),
                  categories=rows, options={"annotated_only": annotated_only, "top": top, "sort": sort},
                  scope={"vo": list(getattr(analysis, "vo", ()))},
                  sites=[s.to_dict() for s in rates.sites()] if rates else None,
                  traffic={"attempts": rates.attempts, "failures": rates.failures,
                           "steps": [list(p) for p in rates.steps]} if rates else None,
                  incidents=list(getattr(analysis, "incidents", None) or []))


# --- escaping -------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What can start markup inside a table cell: emphasis, code, links/images, HTML and entities, table
# pipes, strikethrough, math. Hyphens, dots, colons and slashes stay as they are, so hosts, dates and
# paths read normally in the markdown source too.
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]<>|~&!$#])")


def _plain(text, limit: int = MAX_CELL) -> str:
    """One line: newlines as ⏎, control characters removed, cut at `limit` characters."""
    s = "" if text is None else str(text)
    s = _CONTROL.sub("", s.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")).replace("\n", " ⏎ ")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def md_escape(text, limit: int = MAX_CELL) -> str:
    """Safe inside a GFM table cell: every punctuation escaped, so it renders as the literal text."""
    return _MD_PUNCT.sub(r"\\\1", _plain(text, limit))


def _percent(rate: float) -> str:
    """A failure rate for a reader: one decimal, and "<0.1 %" rather than a rounded "0.0 %" for a few."""
    return "<0.1 %" if 0 < rate < 0.0005 else f"{100 * rate:.1f} %"


def _rate_of(entry) -> float | None:
    """The rate of a top-site entry, [site, count, attempts, rate] ([site, count]: none)."""
    return entry[3] if len(entry) > 3 else None


def _site_count(entry) -> str:
    """A category's failures at a site and the rate: ``FZK-LCG2 920 (4.6 %)``; ``FZK-LCG2 (920)`` without."""
    site, count, rate = entry[0], entry[1], _rate_of(entry)
    return f"{site} ({count:,})" if rate is None else f"{site} {count:,} ({_percent(rate)})"


def _csv_site_count(entry) -> str:
    """The CSV form: ``FZK-LCG2:920 (4.6 %)``; ``FZK-LCG2:920`` without a rate."""
    site, count, rate = entry[0], entry[1], _rate_of(entry)
    return f"{site}:{count}" if rate is None else f"{site}:{count} ({_percent(rate)})"


def _sites(entries) -> str:
    return ", ".join(_site_count(e) for e in entries[:3])


def _event_types(pairs, limit: int = 4) -> str:
    """The short form: ``transfer-failed 300, deletion-failed 20``."""
    text = ", ".join(f"{kind} {count:,}" for kind, count in pairs[:limit])
    return text + (f", … {len(pairs) - limit} more" if len(pairs) > limit else "")


def _trend_text(trend: dict | None) -> str:
    if not trend or not trend.get("known", True):
        return ""
    if trend.get("new"):
        return "new"
    if trend.get("new_template_rows"):
        ratio = trend.get("ratio")
        return f"+new messages{f' ×{ratio:.1f}' if ratio is not None else ''}"
    ratio = trend.get("ratio")
    arrow = " ↑" if trend.get("rising") else " ↓" if trend.get("falling") else ""
    return f"×{ratio:.1f}{arrow}" if ratio is not None else ""


# --- renderers ------------------------------------------------------------------------------------

def render_markdown(report: Report) -> str:
    days = ", ".join(report.days) if len(report.days) <= 3 else f"{report.days[0]} .. {report.days[-1]}"
    out = [f"# opint shift report: {md_escape(report.stream)} errors, {md_escape(days or 'listed paths')}", ""]
    state = "" if report.final else " (includes a day still being written)"
    out.append(f"{report.failures:,} failures in {report.categories_total:,} categories{state}; "
               f"generated {md_escape(report.generated)} from {md_escape(report.archive, 200)}.")
    if report.scope.get("vo"):   # unscoped: every VO, as before there were scopes
        out.append(f"Scope: VO {md_escape(', '.join(report.scope['vo']))}.")
    opts = report.options
    shown = []
    if opts.get("annotated_only"):
        shown.append("annotated categories only")
    if opts.get("top"):
        shown.append(f"top {opts['top']}")
    shown.append(f"sorted by {opts.get('sort', 'count')}")
    if report.incidents:
        out += ["", "## Incidents", "", f"{len(report.incidents)} (new first, then rising, then ongoing).", ""]
        out += incidents_markdown(report.incidents) + ["", "## Categories", ""]
    out += [f"Showing {len(report.categories):,} categories: {', '.join(shown)}.", ""]
    out.append("| # | status | label | count | share | trend | first seen | last seen | top sources | "
               "top destinations | ticket | pattern | key |")
    out.append("|---:|---|---|---:|---:|---|---|---|---|---|---|---|---|")
    for i, c in enumerate(report.categories, 1):
        a = c.annotation or {}
        status = a.get("status") or ""
        if a.get("inherited"):
            status += f" (inherited {a.get('similarity', 0):.0f}%)"
        cells = [str(i), md_escape(status), md_escape(a.get("label")), f"{c.count:,}", f"{100 * c.share:.1f}%",
                 md_escape(_trend_text(c.trend)), md_escape(_short_time(c.first_seen)),
                 md_escape(_short_time(c.last_seen)), md_escape(_sites(c.top_src_sites)),
                 md_escape(_sites(c.top_dst_sites)), md_escape(a.get("ticket")), md_escape(c.pattern),
                 md_escape(c.key)]
        out.append("| " + " | ".join(cells) + " |")
    out += _sites_table(report)
    details = [c for c in report.categories if c.samples or (c.annotation or {}).get("notes")]
    if details:
        out += ["", "## Details", ""]
        for i, c in enumerate(report.categories, 1):
            a = c.annotation or {}
            out.append(f"### {i}. {md_escape(a.get('label') or c.key)}")
            out.append("")
            if a.get("notes"):
                out += [f"Notes: {md_escape(a['notes'], MAX_NOTES)}", ""]
            if c.merged:
                out += [f"Merged here: {md_escape(', '.join(c.merged))}", ""]
            if c.event_types:
                out += [f"Event types: {md_escape(_event_types(c.event_types))}", ""]
            out += ["| count | sample message |", "|---:|---|"]
            out += [f"| {n:,} | {md_escape(m)} |" for m, n in c.samples]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


SITES_SHOWN = 10   # rows of the markdown report's sites table


def _sites_table(report: Report) -> list[str]:
    """The sites with the most failures, each side against its attempts (nothing without traffic)."""
    if not report.sites:
        return []
    t = report.traffic or {}
    out = ["", "## Sites", "",
           f"{t.get('attempts', 0):,} attempts, {t.get('failures', 0):,} of them failed; the top "
           f"{min(SITES_SHOWN, len(report.sites))} of {len(report.sites):,} sites by failures (out: as the "
           f"source, in: as the destination)."]
    if t.get("steps"):
        steps = ", ".join(f"{kind} {n:,}" for kind, n in t["steps"])
        out.append(f"Not counted as attempts (steps of one, whose end is counted): {md_escape(steps)}.")
    out += ["", "| site | failures out | attempts out | rate out | failures in | attempts in | rate in |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for site in report.sites[:SITES_SHOWN]:
        cells = [md_escape(site["site"])]
        for side in ("out", "in"):
            rate = site[f"failure_rate_{side}"]
            cells += [f"{site[f'failures_{side}']:,}", f"{site[f'attempts_{side}']:,}",
                      "" if rate is None else _percent(rate)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _short_time(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else ""


def report_dict(report: Report) -> dict:
    return {
        "stream": report.stream, "archive": report.archive, "days": report.days, "final": report.final,
        "generated": report.generated, "failures": report.failures, "scope": report.scope,
        "categories_total": report.categories_total, "options": report.options,
        "traffic": report.traffic, "sites": report.sites,
        "incidents": [i.to_dict() for i in report.incidents],
        "categories": [{
            "key": c.key, "pattern": c.pattern, "count": c.count, "share": round(c.share, 6),
            "first_seen": c.first_seen, "last_seen": c.last_seen, "trend": c.trend,
            "top_src_sites": c.top_src_sites, "top_dst_sites": c.top_dst_sites, "event_types": c.event_types,
            "samples": [{"message": m, "count": n} for m, n in c.samples],
            "annotation": c.annotation, "merged": c.merged,
        } for c in report.categories],
    }


# json.dumps escapes C0 controls but, with ensure_ascii=False, writes DEL and C1 (CSI included) as they are
_JSON_RAW_CONTROL = re.compile(r"[\x7f-\x9f]")


def render_json(report: Report) -> str:
    # those characters can only be inside strings, where \u00XX means the same character
    text = json.dumps(report_dict(report), indent=2, ensure_ascii=False)
    return _JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


CATEGORY_CSV_COLUMNS = ("rank", "key", "pattern", "count", "share", "first_seen", "last_seen", "trend_new",
                        "trend_ratio", "top_src_sites", "top_dst_sites", "label", "status", "ticket", "notes",
                        "inherited_from", "similarity", "sample_message", "scope_vo", "event_types")
INCIDENT_CSV_COLUMNS = ("site", "side", "other_site", "onset", "end", "failures", "attempts", "failure_rate",
                        "baseline_rate", "incident_status", "cause", "action")
# one rectangular table, so that a spreadsheet reads it whole and filters on ``record``: the incidents
# first (their cells of the category columns: rank, key and pattern), then the categories
CSV_COLUMNS = ("record", *CATEGORY_CSV_COLUMNS, *INCIDENT_CSV_COLUMNS)
_NO_CATEGORY_CELLS = [""] * (len(CATEGORY_CSV_COLUMNS) - 3)
_NO_INCIDENT_CELLS = [""] * len(INCIDENT_CSV_COLUMNS)


def _incident_csv_row(n: int, incident) -> list[str]:
    d = incident.to_dict()
    return ["incident", _csv_number(n), _csv_safe(d["key"]), _csv_safe(d["pattern"]), *_NO_CATEGORY_CELLS,
            _csv_safe(d["site"]), _csv_safe(d["side"]), _csv_safe(d["other_site"]), _csv_safe(d["onset"]),
            _csv_safe(d["end"]), _csv_number(d["failures"]), _csv_number(d["attempts"]),
            _csv_number(d["failure_rate"]), _csv_number(d["baseline_rate"]), _csv_safe(d["status"]),
            _csv_safe(d["cause"]), _csv_safe(d["action"])]


def render_csv(report: Report) -> str:
    """One row per incident (``record`` "incident"), then one per category ("category"). Text cells go
    through _csv_safe; number cells are written as numbers. A field holding a comma, quote or line break
    (LF or a bare CR) is quoted (RFC 4180)."""
    rows = [CSV_COLUMNS]
    rows += [_incident_csv_row(n, incident) for n, incident in enumerate(report.incidents, 1)]
    for i, c in enumerate(report.categories, 1):
        a, t = c.annotation or {}, c.trend or {}
        rows.append([
            "category", _csv_number(i), _csv_safe(c.key), _csv_safe(c.pattern), _csv_number(c.count),
            _csv_number(c.share, ".6f"), _csv_safe(c.first_seen), _csv_safe(c.last_seen),
            _csv_number(t.get("new")), _csv_number(t.get("ratio")),
            _csv_safe("; ".join(map(_csv_site_count, c.top_src_sites))),
            _csv_safe("; ".join(map(_csv_site_count, c.top_dst_sites))),
            _csv_safe(a.get("label")), _csv_safe(a.get("status")), _csv_safe(a.get("ticket")),
            _csv_safe(a.get("notes"), MAX_NOTES), _csv_safe(a.get("source_key") if a.get("inherited") else ""),
            _csv_number(a.get("similarity")), _csv_safe(c.samples[0][0] if c.samples else ""),
            _csv_safe(";".join(report.scope.get("vo", [])) or "all"),
            _csv_safe("; ".join(f"{kind}:{n}" for kind, n in c.event_types)), *_NO_INCIDENT_CELLS,
        ])
    return "".join(",".join(map(_csv_field, row)) + "\n" for row in rows)


# What a spreadsheet may take as the start of a formula (OWASP "CSV injection": =, +, -, @, tab, CR;
# and LF, which some programs also skip before a formula).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters, except the tab and line breaks that a quoted CSV field carries as they are.
_CSV_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CSV_QUOTED = re.compile(r'[",\r\n]')


def _csv_safe(text, limit: int = MAX_CELL) -> str:
    """A text cell a spreadsheet shows as text: control characters removed (no raw ESC), cut at
    ``limit`` characters saying so (Python's csv reader refuses fields over 128 KiB by default), and a
    ``'`` before a leading formula character."""
    s = _CSV_CONTROL.sub("", "" if text is None else str(text))
    if len(s) > limit:
        s = s[: limit - 1] + f"… (cut from {len(s):,} characters)"
    return "'" + s if s.startswith(_FORMULA_STARTS) else s


def _csv_number(value, spec: str = "") -> str:
    """A number cell (bools included) as the number it is, so a negative one stays a number; anything
    else in a number column is text to defuse, and None is empty."""
    if value is None:
        return ""
    return format(value, spec) if isinstance(value, numbers.Real) else _csv_safe(value)   # numpy's too


def _csv_field(cell: str) -> str:
    """The cell quoted when it holds a comma, a quote or a line break. csv.writer with a "\\n" line end
    leaves a bare CR unquoted, and a spreadsheet then starts a new row there."""
    return '"' + cell.replace('"', '""') + '"' if _CSV_QUOTED.search(cell) else cell


RENDERERS = {"md": render_markdown, "json": render_json, "csv": render_csv}


def render(report: Report, fmt: str) -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](report)


# --- incidents ------------------------------------------------------------------------------------

def _rate(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _incident_where(i) -> str:
    return f"{i.site} → {i.other_site}" if i.side == "link" else f"{i.site} ({i.side})"


def _incident_when(i) -> str:
    since = i.onset.strftime("%m-%d %H:%M") if i.onset else "?"
    return f"{since}–{i.end.strftime('%H:%M')}" if i.end else f"since {since}"


def incident_lines(incidents) -> list[str]:
    """One plain line per incident (the CLI's text list): status, where, when, failures of attempts and
    rates, action, key and pattern."""
    out = []
    for i in incidents:
        action = getattr(i.cause, "action", None) or "unknown cause"
        out.append(f"{i.status.upper():<8} {_plain(_incident_where(i), 60)}  {_incident_when(i)} UTC  "
                   f"{i.failures:,}/{i.attempts:,} = {_rate(i.failure_rate)} (usual {_rate(i.baseline_rate)}, "
                   f"grid {_rate(i.grid_rate)})  → {action}  {i.key}  {_plain(i.pattern, 100)}")
    return out


def incidents_markdown(incidents) -> list[str]:
    """The markdown table of the incidents (the report puts it above the categories)."""
    out = ["| status | where | when (UTC) | failures | attempts | rate | usual | cause | action | key | pattern |",
           "|---|---|---|---:|---:|---:|---:|---|---|---|---|"]
    for i in incidents:
        cells = [i.status, md_escape(_incident_where(i)), md_escape(_incident_when(i)), f"{i.failures:,}",
                 f"{i.attempts:,}", _rate(i.failure_rate), _rate(i.baseline_rate),
                 md_escape(getattr(i.cause, "title", None) or "unknown"),
                 md_escape(getattr(i.cause, "action", None) or "-"), md_escape(i.key), md_escape(i.pattern)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _incident_heading(analysis) -> str:
    r = analysis.report
    days = ", ".join(str(d) for d in r.days) if len(r.days) <= 3 else f"{r.days[0]} .. {r.days[-1]}"
    return f"{r.stream} errors, {days or 'listed paths'}"


def render_incidents_markdown(analysis) -> str:
    incidents = analysis.incidents or []
    out = [f"# opint incidents: {md_escape(_incident_heading(analysis))}", "",
           f"{len(incidents)} incident{'s' if len(incidents) != 1 else ''} (new first, then rising, then ongoing).", ""]
    if incidents:
        out += incidents_markdown(incidents)
    return "\n".join(out).rstrip() + "\n"


def render_incidents_json(analysis) -> str:
    r = analysis.report
    body = {"stream": r.stream, "days": [str(d) for d in r.days], "final": r.final,
            "scope": {"vo": list(getattr(analysis, "vo", ()))},
            "incidents": [i.to_dict() for i in analysis.incidents or []]}
    return _JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(body, indent=2, ensure_ascii=False)) + "\n"
