"""The sites list (issue 14): one row per site with its failures and rates in and out, its categories and
incidents, its worst category and its failures per hour; and one site's categories, counted at the site.
What the shifter asks of a row is posted up as a message; the app opens the next step."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

import opint_core as core
from opint_tui import site_view
from opint_tui.bindings import bindings
from opint_tui.row_list import RowList
from opint_tui.safe import clean, pattern_text
from opint_tui.screens.base import ListedScreen, while_shown
from opint_tui.widgets import KeyFooter

LIST_CSS = """
{name} .list-head {{ height: auto; background: $boost; }}
{name} RowList {{ height: 1fr; }}
{name} .list-empty {{ height: 1fr; padding: 1 0; display: none; }}
{name}.empty .list-empty {{ display: block; }}
{name}.empty RowList {{ display: none; }}
{name} .list-cursor {{ height: 1; background: $boost; }}
"""
MOVES = ("cursor_down", "cursor_up", "page_down", "page_up", "first", "last")


class ListScreen(ListedScreen):
    """A screen of one RowList with a head line and a line under the list; the moving ids move its cursor."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(), classes="list-head")
            yield RowList(self.cells)
            yield Static("", classes="list-empty")
            yield Static("", classes="list-cursor")
        yield KeyFooter()

    def cells(self, item) -> list[Text]:
        raise NotImplementedError

    @property
    def table(self) -> RowList:
        return self.query_one(RowList)

    def action_back(self) -> None:
        self.app.pop_screen()


class SitesScreen(ListScreen):
    """Every site of the analysis the app hands down (``show``); kept installed, so the cursor stays where it
    was. ``sort`` cycles the order (rate, failures, incidents)."""

    DEFAULT_CSS = LIST_CSS.format(name="SitesScreen")
    BINDINGS = bindings(("sites", "incidents", "open", "sort", "back") + MOVES, shown=("back",))

    class Open(Message):
        """Enter: the site's categories."""

        def __init__(self, site: core.SiteFigures):
            super().__init__()
            self.site = site

    class ShowIncidents(Message):
        """The incidents list is wanted."""

    def __init__(self):
        super().__init__()
        self.analysis = None
        self.insight = None
        self.incidents: list = []
        self.figures: list[core.SiteFigures] | None = None   # computed when first shown
        self.order = core.SITE_ORDERS[0]
        self.sites: list[core.SiteFigures] = []              # in the order shown
        self.columns: tuple = ()
        self.composed = False

    def on_mount(self) -> None:
        self.composed = True
        self.table.focus()
        self._draw()
        self.watch(self.table, "cursor_row", lambda _: self._show_cursor_line(), init=False)

    def on_resize(self) -> None:
        if self.sites and site_view.columns_for(self.app.size.width) != self.columns:
            self._draw(keep=self.current())

    def show(self, analysis, insight) -> None:
        """Show the sites of ``analysis`` counted in ``insight`` (the categories as the overview has them); the
        cursor stays on the same site when it is still there."""
        keep = self.current()
        self.analysis, self.insight = analysis, insight
        self.incidents = list(analysis.incidents or []) if analysis is not None else []
        self.figures = None
        if self.composed:
            self._draw(keep)

    def cells(self, site: core.SiteFigures) -> list[Text]:
        return site_view.cells(site, self.columns, self.insight.patterns)

    def _draw(self, keep: core.SiteFigures | None = None) -> None:
        if self.figures is None:
            self.figures = core.site_figures(self.insight, self.incidents) if self.insight is not None else []
        self.sites = core.sort_sites(self.figures, self.order)
        self.columns = site_view.columns_for(self.app.size.width)
        self.table.set_items(self.sites, self.columns)
        self.set_class(not self.sites, "empty")
        self.query_one(".list-empty", Static).update(site_view.empty_text(self.analysis))
        names = [s.site for s in self.sites]
        if keep is not None and keep.site in names:
            self.table.move_cursor(row=names.index(keep.site))
        self.query_one(".list-head", Static).update(
            site_view.head(self.analysis, len(self.sites), self.order, self.app._key_hint("sort")))
        self._show_cursor_line()

    def _show_cursor_line(self) -> None:
        site = self.current()
        self.query_one(".list-cursor", Static).update(site_view.cursor_line(site, self.app.size.width) if site is not None else Text())

    def current(self) -> core.SiteFigures | None:
        row = self.table.cursor_row if self.composed else -1
        return self.sites[row] if 0 <= row < len(self.sites) else None

    @while_shown
    def on_row_list_selected(self, event: RowList.Selected) -> None:
        self.action_open()

    def action_open(self) -> None:
        site = self.current()
        if site is not None:
            self.post_message(self.Open(site))

    def action_sort(self) -> None:
        self.sort_by(core.SITE_ORDERS[(core.SITE_ORDERS.index(self.order) + 1) % len(core.SITE_ORDERS)])

    def sort_by(self, order: str) -> None:
        """Sort the list; the cursor stays on its site."""
        keep = self.current()
        self.order = order
        if self.composed:
            self._draw(keep)

    def action_sites(self) -> None:
        """The key that opened the list closes it."""
        self.action_back()

    def action_incidents(self) -> None:
        self.post_message(self.ShowIncidents())


class SiteCategoriesScreen(ListScreen):
    """The categories failing at one site, with their failures there as source and as destination."""

    DEFAULT_CSS = LIST_CSS.format(name="SiteCategoriesScreen")
    BINDINGS = bindings(("open", "back") + MOVES, shown=("back",))

    class Open(Message):
        """Enter: the category's detail at the site."""

        def __init__(self, site: str, category: core.SiteCategory):
            super().__init__()
            self.site, self.category = site, category

    def __init__(self, site: core.SiteFigures, insight):
        """The categories of ``site`` counted in ``insight`` (the app opens their detail in that one only:
        after a reload its group indices are another analysis's)."""
        super().__init__()
        self.site, self.insight = site, insight
        self.categories = core.site_categories(insight, site.site)
        self.counts = insight.counts   # every category's failures everywhere: the 'of all' column
        self.columns: tuple = ()

    def on_mount(self) -> None:
        self.table.focus()
        self._draw()
        self.watch(self.table, "cursor_row", lambda _: self._show_cursor_line(), init=False)

    def on_resize(self) -> None:
        self._draw()

    def cells(self, category: core.SiteCategory) -> list[Text]:
        return site_view.category_cells(category, self.columns, self.counts)

    def _draw(self) -> None:
        self.columns = site_view.category_columns_for(self.app.size.width)
        self.table.set_items(self.categories, self.columns)
        self.set_class(not self.categories, "empty")
        self.query_one(".list-empty", Static).update(Text(" No failures at this site.", style="bold"))
        self.query_one(".list-head", Static).update(site_view.categories_head(self.site, self.app.size.width))
        self._show_cursor_line()

    def _show_cursor_line(self) -> None:
        category = self.current()
        line = Text()
        if category is not None:
            line.append(f" {clean(category.key)} ", style="dim")
            line.append_text(pattern_text(category.pattern, limit=max(12, self.app.size.width - 20)))
        self.query_one(".list-cursor", Static).update(line)

    def current(self) -> core.SiteCategory | None:
        row = self.table.cursor_row
        return self.categories[row] if 0 <= row < len(self.categories) else None

    @while_shown
    def on_row_list_selected(self, event: RowList.Selected) -> None:
        self.action_open()

    def action_open(self) -> None:
        category = self.current()
        if category is not None:
            self.post_message(self.Open(self.site.site, category))
