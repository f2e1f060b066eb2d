"""Category insight: where (sites, hosts, RSEs, VO, activity, error code), when (timelines, first
and last seen), which values (the text behind each ``<*>``), and what is new or rising against a
baseline window, for every category of a clustered ErrorTable at once.

    insight = Insight(error_table, clustering)        # overview of every category, vectorised
    insight.summaries()                               # one CategorySummary per category
    insight.detail(i)                                 # drill-down of category i (interactive)
    base = opint_core.load.load_baseline(error_table) # preceding days, same length (a backend loads them)
    trends = trend(insight, base)                     # Trends: trends[i].new / .ratio / .rising (never loads)
    trends.order("new") / trends.order("rising")      # category indices in that order
    insight.report_fields(trends)                     # per category: trend, top_src/dst_sites ...
    insight.rates.sites() / .links()                  # attempts, failures, rates per site and link (None:
                                                      # no traffic); insight.category_site_rates("src_site")
    site_figures(insight, incidents)                  # per site: attempts, failures, rates in and out,
                                                      # categories, incidents, worst category, timeline
    site_categories(insight, site) / site_rows(...)   # the categories at one site, counted there; their rows
"""
from opint_core.insight.core import (
    DIMENSIONS, MAX_BINS, OVERVIEW_DIMENSIONS, CategoryDetail, CategoryFigures, CategorySummary, Insight, MessageCount,
    SlotValues, TemplateCount, TemplateSlots, TopValues, ValueCount, choose_bins, sparkline,
)
from opint_core.insight.orders import ORDERS, sort_categories
from opint_core.insight.per_site import (
    SITE_ORDERS, SiteCategory, SiteFigures, site_categories, site_figures, site_rows, sort_sites,
)
from opint_core.insight.rates import ATTEMPT_EVENT_TYPES, LinkRate, Rates, SiteCount, SiteRate, rate
from opint_core.insight.slots import align_one, template_regex
from opint_core.insight.trend import (
    NEW_MESSAGE, Trend, Trends, factor_text, onset_bin, score_counts, trend, trend_onset, trend_words,
)


def report_fields(insight: Insight, trends: Trends | None = None, top: int = 5) -> list[dict]:
    """Per category (category order) the report's insight fields: ``trend`` ({new, ratio, ...} or
    None), ``top_src_sites`` / ``top_dst_sites`` ([[site, count, attempts, rate], ...]),
    ``event_types`` ([[type, count], ...]), count, share, first/last seen and timeline. See ``Insight.report_fields``."""
    return insight.report_fields(trends, top)


__all__ = [
    "CategoryDetail", "CategoryFigures", "CategorySummary", "DIMENSIONS", "Insight", "MAX_BINS", "MessageCount",
    "ATTEMPT_EVENT_TYPES", "LinkRate", "Rates", "SiteCount", "SiteRate", "rate",
    "ORDERS", "OVERVIEW_DIMENSIONS", "SlotValues", "TemplateCount", "TemplateSlots", "TopValues", "Trend", "Trends",
    "ValueCount", "align_one", "choose_bins", "report_fields", "score_counts", "sort_categories", "sparkline",
    "template_regex", "trend", "factor_text", "onset_bin", "trend_onset", "trend_words", "NEW_MESSAGE",
    "SITE_ORDERS", "SiteCategory", "SiteFigures", "site_categories", "site_figures", "site_rows", "sort_sites",
]
