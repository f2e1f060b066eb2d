"""The opint app: overview, incidents, drill-down, annotate, tickets, load, export. Slow work runs in thread workers that
post their progress and results back to the UI thread; the UI never waits on the archive."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from textual import work
from textual.app import App
from textual.command import Hit, Hits, Provider
from textual.message import Message
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerFailed, get_current_worker

import opint_core as core
from opint_tui import incident_view, site_view
from opint_tui.bindings import bindings
from opint_tui.keymap import load_keymap, textual_keymap
from opint_tui.safe import clean
from opint_tui.overview_model import Row
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import AnnotateScreen, ExportScreen, HelpScreen, LoadScreen, MergeScreen
from opint_tui.screens.incidents import IncidentsScreen
from opint_tui.screens.overview import OverviewScreen
from opint_tui.screens.sites import SiteCategoriesScreen, SitesScreen
from opint_tui.screens.ticket import TicketScreen
from opint_tui.view import build_rows, detail_renderables, triage_state


class OpintCommands(Provider):
    """The command palette: every action by name (also what `:` opens in the vim keymap)."""

    COMMANDS = (("Sort by count", "sort_by('count')"), ("Sort by trend", "sort_by('trend')"),
                ("Sort by new", "sort_by('new')"), ("Sort by label", "sort_by('label')"),
                ("Show incidents", "incidents"), ("Show sites", "sites"),
                ("Sort sites by rate", "sort_sites('rate')"), ("Sort sites by failures", "sort_sites('failures')"),
                ("Sort sites by incidents", "sort_sites('incidents')"),
                ("Show categories", "level_to('category')"), ("Show templates", "level_to('template')"),
                ("Load…", "load"), ("Export markdown…", "export"), ("Copy report to clipboard", "copy_report"),
                ("Help", "help"), ("Quit", "quit"))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action in self.COMMANDS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), lambda a=action: self.app.run_action(a), help=action)


def _exception_chain(error: BaseException):
    """``error``, what a failed worker raised, and their causes and contexts, each once."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        pending += [e.__cause__, e.__context__, getattr(e, "error", None) if isinstance(e, WorkerFailed) else None]


class OpintApp(App):
    """Holds what the screens show (the analysis, the triage state, the merges) and hands it down to
    them through their own methods and attributes; the screens post messages for what the shifter
    asks, handled here by the ``on_<screen>_<message>`` methods."""

    TITLE = "opint"
    COMMANDS = {OpintCommands}
    ENABLE_COMMAND_PALETTE = True
    CSS = """
    Screen { background: $surface; }
    """
    BINDINGS = bindings(("quit", "help", "load", "export", "copy_report", "command_palette", "cancel_load"))

    class Progress(Message):
        """How far the load has got; a newer one supersedes any still queued."""

        def __init__(self, stage: str, done: int, total: int):
            super().__init__()
            self.stage, self.done, self.total = stage, done, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, OpintApp.Progress)

    class Loaded(Message):
        """The load of ``request`` is done (``worker``: the one that did it; None: handed in ready)."""

        def __init__(self, analysis, request: core.Request | None, worker: Worker | None = None):
            super().__init__()
            self.analysis, self.request, self.worker = analysis, request, worker
            self.ready_at = time.perf_counter()  # when the worker finished: for bench_app

    class LoadFailed(Message):
        """The load in ``worker`` failed or was cancelled: what to tell the shifter."""

        def __init__(self, error: str, remedy: str = "", worker: Worker | None = None, *, cancelled: bool = False):
            super().__init__()
            self.error, self.remedy, self.worker, self.cancelled = error, remedy, worker, cancelled

    def __init__(self, source: core.Request | None, *, config: core.Config | None = None, store=None,
                 keymap: str = "default", export_dir: str | None = None, analysis=None,
                 sites: core.SiteTable | None = None, open_incidents: bool = False):
        """`source`: what to load (None: the load dialog opens); `analysis`: an already computed Analysis
        to show at once (tests, benchmarks). `config`: the settings read once by the command line (the
        load dialog's defaults); without it, the defaults. `sites`: the site-name table (the filter
        finds a site by any of its names); without it, the shipped one. `open_incidents`: open on the
        incidents list when the first load finds new incidents (the command line's app does)."""
        super().__init__()
        self.source = source    # the Request whose analysis is shown (or is being loaded first)
        self.config = config or core.Config()
        self.sites = sites or core.default_site_table()
        self.preloaded = analysis
        self.store = store
        self.keymap_name = keymap
        self.keys = load_keymap(keymap)
        self.single_keys, self.sequences = textual_keymap(self.keys)
        self.analysis = None
        self.insights: dict[str, object] = {}
        self.triage = None
        self.merges: dict[str, str] = {}
        self.export_dir = export_dir or str(Path.cwd())
        self.open_incidents = open_incidents
        self._pending_key: str | None = None
        self.started = time.perf_counter()
        self.first_data_frame: float | None = None
        self.analysis_ready_at: float | None = None

    # --- life cycle ------------------------------------------------------------------------------
    async def on_mount(self) -> None:
        self.set_keymap(self.single_keys)
        self.overview = OverviewScreen()
        # installed: it stays alive when closed, so its cursor is where the shifter left it
        self.incident_list = IncidentsScreen()
        self.install_screen(self.incident_list, "incidents")
        self.site_list = SitesScreen()
        self.install_screen(self.site_list, "sites")
        await self.push_screen(self.overview)
        if self.preloaded is not None:
            self.post_message(self.Loaded(self.preloaded, self.source))
        elif self.source is not None:
            self.start_load(self.source)
        else:
            self.action_load()

    async def action_quit(self) -> None:
        """``q`` quits from the overview; on any screen above it (a list, a detail, a dialog without a text
        field) it goes back one step, as ``esc`` does, so that a shifter deep in a drill-down never quits
        by surprise."""
        if self.screen is self.overview or len(self.screen_stack) <= 2:
            self.exit()
        else:
            self.pop_screen()

    @property
    def crash(self) -> BaseException | None:
        """The unhandled exception that stopped the app, if one did (Textual keeps it; ``return_code`` is
        then 1, the terminal restored and the traceback printed)."""
        return self._exception

    def _handle_exception(self, error: Exception) -> None:
        """A crash: Textual prints its traceback once the terminal is restored, quoting the messages of the
        exception and of its causes, which may quote data (a label, a file name): made visible first."""
        for cause in _exception_chain(error):
            cause.args = tuple(clean(a, keep_newlines=True) if isinstance(a, str) else a for a in cause.args)
        super()._handle_exception(error)

    def say(self, text: str, *, severity: str = "information", timeout: float = 5) -> None:
        """A toast with text shown literally (file names and messages may hold brackets or escapes)."""
        self.notify(clean(text, keep_newlines=True), severity=severity, timeout=timeout, markup=False)

    def notify_error(self, text: str, remedy: str = "") -> None:
        self.say(f"{text}\n{remedy}" if remedy else text, severity="error", timeout=30)

    # --- loading -----------------------------------------------------------------------------------
    def start_load(self, request: core.Request) -> None:
        """Load ``request`` in a thread worker; a load still running is cancelled (one worker group)."""
        self._load(request)
        self._show_progress("starting", 0, 0)

    def _running_load(self) -> Worker | None:
        """The load under way, if any; a cancelled one is not (its thread only has to notice)."""
        return next((w for w in self.workers if w.group == "load" and not w.is_finished and not w.is_cancelled),
                    None)

    @property
    def loading(self) -> bool:
        return self._running_load() is not None

    @work(thread=True, exclusive=True, group="load")
    def _load(self, request: core.Request) -> None:
        worker = get_current_worker()

        def progress(stage, done, total):
            if not worker.is_cancelled:
                self.post_message(self.Progress(stage, done, total))

        try:
            analysis = core.run(request, progress=progress, cancel=worker.cancelled_event)
        except core.LoadCancelled:
            self.post_message(self.LoadFailed("load cancelled", worker=worker, cancelled=True))
        except core.OpintError as e:
            self.post_message(self.LoadFailed(e.message, e.remedy, worker))
        except (ValueError, OSError) as e:  # not raised on purpose, yet a toast is better than a crash
            self.post_message(self.LoadFailed(str(e), worker=worker))
        else:
            if not worker.is_cancelled:
                self.post_message(self.Loaded(analysis, request, worker))

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        counts = f" {done:,}/{total:,}" if total else ""
        self.overview.progress = f" {core.stage_label(stage)}{counts}   (cancel: {self._key_hint('cancel_load')})"

    def _load_ended(self, worker: Worker | None) -> None:
        """Hide the progress line, unless a newer load than ``worker``'s is under way."""
        if self._running_load() in (None, worker):
            self.overview.progress = ""

    def on_opint_app_progress(self, message: Progress) -> None:
        if self.loading:
            self._show_progress(message.stage, message.done, message.total)

    def on_opint_app_loaded(self, message: Loaded) -> None:
        self._load_ended(message.worker)
        self.analysis, self.source = message.analysis, message.request
        self.analysis_ready_at = message.ready_at
        self.insights = {"category": self.analysis.insight}
        self.merges = {}
        self.refresh_triage()
        self.show_level(self.overview.level)
        self.incident_list.show(self.analysis)
        self.show_sites()
        if self.open_incidents and self.screen is self.overview and any(
                i.status == "new" for i in self.analysis.incidents or ()):
            self.push_screen(self.incident_list)
        self.open_incidents = False   # the first load only: a later one leaves the shifter where they are
        for note in self.analysis.notes:
            self.say(note, severity="warning", timeout=10)
        problems = self.analysis.report.problems()
        if problems:
            self.say(f"{len(problems)} file(s) had damaged or skipped records: "
                     f"{problems[0].path}: {problems[0].describe()}", severity="warning", timeout=10)
        duplicates = self.analysis.report.duplicates
        if duplicates:   # a compaction re-run or a repeated record: counted once, and the shifter is told
            self.say(f"{duplicates:,} duplicate record{'s' if duplicates != 1 else ''} dropped: the same transfer "
                     "read twice is counted once", timeout=10)
        if self.first_data_frame is None:
            self.call_after_refresh(self._mark_first_frame)

    def _mark_first_frame(self) -> None:
        self.first_data_frame = time.perf_counter()

    def on_opint_app_load_failed(self, message: LoadFailed) -> None:
        self._load_ended(message.worker)
        if not message.cancelled:   # a cancel was said when it was asked for (action_cancel_load)
            self.notify_error(message.error, message.remedy)

    def action_cancel_load(self) -> None:
        worker = self._running_load()
        if worker is not None:
            # sets worker.cancelled_event, which the core checks between steps; a worker that had not started
            # yet never runs, so nothing would come back from it: the shifter is told here, once, as information
            worker.cancel()
            self._load_ended(None)
            shown = "the data on screen is unchanged" if self.analysis is not None else "nothing is loaded"
            self.say(f"load cancelled: {shown}", timeout=4)

    # --- overview ------------------------------------------------------------------------------------
    def refresh_triage(self) -> None:
        if self.analysis is not None:
            if self.store is not None:
                self.store.reload()
                for warning in self.store.warnings[:3]:
                    self.say(warning, severity="warning", timeout=10)
            self.triage = triage_state(self.store, self.analysis.clustering)
            merges = self.store.apply_merges(self.analysis.clustering.categories) if self.store else {}
            merges = {k: v for k, v in merges.items() if k != v}   # every key maps to itself or its parent
            if merges != self.merges:
                # manual merges fold a category's rows into another: the category breakdowns change
                self.merges = merges
                self.insights = {"category": core.Insight(self.analysis.errors, self.analysis.clustering,
                                                          merges=merges) if merges else self.analysis.insight}
                if hasattr(self, "site_list"):
                    self.show_sites()

    def insight_for(self, level: str):
        if level not in self.insights:
            self.insights[level] = core.Insight(self.analysis.errors, self.analysis.clustering, level=level)
        return self.insights[level]

    def show_level(self, level: str, keep_key: str | None = None) -> None:
        if self.analysis is None:
            return
        trends = self.analysis.trends if level == "category" else None
        rows = build_rows(self.analysis, self.insight_for(level), self.triage, trends, sites=self.sites)
        self.overview.show(self.analysis, rows, keep_key)

    def on_overview_screen_level_changed(self, message: OverviewScreen.LevelChanged) -> None:
        self.show_level(message.level)

    def _key_hint(self, binding_id: str) -> str:
        return self.keys.get(binding_id, "").split(",")[0]

    def _category(self, key: str) -> core.Category:
        return next(c for c in self.analysis.clustering.categories if c.key == key)

    # --- drill-down and annotation ---------------------------------------------------------------------
    def _overview_on_top(self) -> bool:
        """Whether a row's request still applies: a second one queued in a burst of keys is dropped once
        the first has opened its screen."""
        return self.screen is self.overview

    def on_overview_screen_open_detail(self, message: OverviewScreen.OpenDetail) -> None:
        if self._overview_on_top() and self._row_current(message.row):
            self.open_detail(message.row)

    def _row_current(self, row) -> bool:
        """Whether ``row`` is one of the rows on show: one posted before a level switch or a reload may
        index another list of groups."""
        if self.analysis is None:
            return False
        insight = self.insight_for(self.overview.level)
        return 0 <= row.index < len(insight) and insight.patterns[row.index] == row.pattern

    def open_detail(self, row) -> None:
        insight = self.insight_for(self.overview.level)
        detail = insight.detail(row.index)
        trends = self.analysis.trends if self.overview.level == "category" else None
        sections = detail_renderables(self.analysis, insight, row.index, self.triage, self.size.width,
                                      self.size.height, self._key_hint("full_text"), detail, trends)
        self.push_screen(DetailScreen(row, sections, [(m.count, m.message) for m in detail.messages]))

    def on_overview_screen_annotate(self, message: OverviewScreen.Annotate) -> None:
        if self._overview_on_top():
            self.annotate(message.row)

    def on_detail_screen_annotate(self, message: DetailScreen.Annotate) -> None:
        if isinstance(self.screen, DetailScreen):
            if message.incident is not None:
                self.annotate_incident(message.incident)
            else:
                self.annotate(message.row)

    def annotate(self, row) -> None:
        if self.store is None:
            self.notify_error("no triage store is configured")
            return
        annotation, found = self.triage.annotation(row.key)
        self.push_screen(AnnotateScreen(row.key, self._category(row.key).pattern, annotation, found))

    def on_annotate_screen_saved(self, message: AnnotateScreen.Saved) -> None:
        if not self._write_store("the annotation was not saved",
                                 lambda: self.store.annotate(message.key, pattern=message.pattern, **message.values)):
            return
        self.refresh_triage()
        self.show_level(self.overview.level)
        if isinstance(self.screen, DetailScreen):   # annotated from the drill-down: show it again, updated
            row, incident, site = self.screen.row, self.screen.incident, self.screen.site
            self.pop_screen()
            if site is not None:
                if isinstance(self.screen, SiteCategoriesScreen) and self.screen.insight is self.insight_for(
                        "category"):
                    self.open_site_category(*site)
            elif incident is None:
                if self._row_current(row):
                    self.open_detail(row)
            elif self._current(incident):
                self.open_incident(incident)
        self.say(f"saved to {self.store.journal}", timeout=4)

    # --- incidents -------------------------------------------------------------------------------------
    def on_overview_screen_show_incidents(self, message: OverviewScreen.ShowIncidents) -> None:
        if self._overview_on_top():
            self.action_incidents()

    def action_incidents(self) -> None:
        """The incidents list, on top of the overview (from the overview's key or the command palette)."""
        if self.analysis is None:
            self.notify_error("nothing loaded yet")
            return
        if self.incident_list in self.screen_stack:
            while self.screen is not self.incident_list:
                self.pop_screen()
            return
        while self.screen is not self.overview:
            self.pop_screen()
        self.push_screen(self.incident_list)

    def _incident_on_top(self) -> bool:
        """Whether an incident's request still applies (see _overview_on_top)."""
        return self.screen is self.incident_list or (isinstance(self.screen, DetailScreen)
                                                 and self.screen.incident is not None)

    def _current(self, incident: core.Incident) -> bool:
        """Whether ``incident`` is one of the analysis on show: a request posted before a reload is not
        (its category index is the old analysis's)."""
        return self.analysis is not None and any(i is incident for i in self.analysis.incidents or ())

    def on_incidents_screen_open(self, message: IncidentsScreen.Open) -> None:
        if self.screen is self.incident_list and self._current(message.incident):
            self.open_incident(message.incident)

    def open_incident(self, incident: core.Incident) -> None:
        """The detail of the incident's category at the incident's site (on its side, or its link), headed by
        the incident (where, when, rates, cause). The incidents were found in the analysis's own Insight
        (without manual merges): the detail restricts that one."""
        whole, g = self.analysis.insight, incident.group
        insight = whole.restricted(core.incident_rows(whole, incident))
        detail = insight.detail(g)
        row = Row(index=g, key=incident.key, pattern=insight.patterns[g], count=int(insight.counts[g]),
                  share=float(insight.shares[g]))
        sections = detail_renderables(self.analysis, insight, g, self.triage, self.size.width, self.size.height,
                                      self._key_hint("full_text"), detail)
        head = incident_view.section(incident, here=int(insight.counts[g]), everywhere=int(whole.counts[g]))
        self.push_screen(DetailScreen(row, [("incident", head)] + sections,
                                      [(m.count, m.message) for m in detail.messages], incident=incident))

    # --- sites -----------------------------------------------------------------------------------------------
    def show_sites(self) -> None:
        """Hand the sites list the analysis, counted in the categories as the overview has them (merges too)."""
        if self.analysis is not None:
            self.site_list.show(self.analysis, self.insight_for("category"))

    def on_overview_screen_show_sites(self, message: OverviewScreen.ShowSites) -> None:
        if self._overview_on_top():
            self.action_sites()

    def on_incidents_screen_show_sites(self, message: IncidentsScreen.ShowSites) -> None:
        if self.screen is self.incident_list:
            self.action_sites()

    def on_sites_screen_show_incidents(self, message: SitesScreen.ShowIncidents) -> None:
        if self.screen is self.site_list:
            self.action_incidents()

    def action_sites(self) -> None:
        """The sites list, on top of the overview (from the overview's or the incidents' key, or the palette)."""
        if self.analysis is None:
            self.notify_error("nothing loaded yet")
            return
        if self.site_list in self.screen_stack:
            while self.screen is not self.site_list:
                self.pop_screen()
            return
        while self.screen is not self.overview:
            self.pop_screen()
        self.push_screen(self.site_list)

    def action_sort_sites(self, order: str) -> None:
        self.site_list.sort_by(order)

    def on_sites_screen_open(self, message: SitesScreen.Open) -> None:
        if self.screen is self.site_list and self.site_list.insight is self.insight_for("category"):
            self.push_screen(SiteCategoriesScreen(message.site, self.site_list.insight))

    def on_site_categories_screen_open(self, message: SiteCategoriesScreen.Open) -> None:
        if isinstance(self.screen, SiteCategoriesScreen) and self.screen.insight is self.insight_for("category"):
            self.open_site_category(message.site, message.category)

    def open_site_category(self, site: str, category: core.SiteCategory) -> None:
        """The detail of a category at one site (either side): the sections are its failures there, headed by
        the site and its counts on each side."""
        whole, g = self.insight_for("category"), category.group
        insight = whole.restricted(core.site_rows(whole, site, group=g))
        detail = insight.detail(g)
        row = Row(index=g, key=category.key, pattern=insight.patterns[g], count=int(insight.counts[g]),
                  share=float(insight.shares[g]))
        sections = detail_renderables(self.analysis, insight, g, self.triage, self.size.width, self.size.height,
                                      self._key_hint("full_text"), detail)
        head = site_view.section(site, category, everywhere=int(whole.counts[g]))
        self.push_screen(DetailScreen(row, [("site", head)] + sections,
                                      [(m.count, m.message) for m in detail.messages], site=(site, category)))

    def on_incidents_screen_annotate(self, message: IncidentsScreen.Annotate) -> None:
        if self.screen is self.incident_list:
            self.annotate_incident(message.incident)

    def annotate_incident(self, incident: core.Incident) -> None:
        """The category's annotation, offered with a label that names the incident's site."""
        if self.store is None:
            self.notify_error("no triage store is configured")
            return
        annotation, found = self.triage.annotation(incident.key)
        label = incident_view.label_suggestion(incident, annotation.label if annotation is not None else None)
        self.push_screen(AnnotateScreen(incident.key, incident.pattern, annotation, found, label=label,
                                        heading=f"Annotate category · incident at {incident_view.where(incident)}"))

    def on_incidents_screen_ticket(self, message: IncidentsScreen.Ticket) -> None:
        if self._incident_on_top() and self._current(message.incident):
            self.show_ticket(message.incident)

    def on_detail_screen_ticket(self, message: DetailScreen.Ticket) -> None:
        if self._incident_on_top() and self._current(message.incident):
            self.show_ticket(message.incident)

    def show_ticket(self, incident: core.Incident) -> None:
        days = ", ".join(str(d) for d in self.analysis.report.days)
        draft = core.ticket_draft(incident, self.analysis.insight, stream=self.analysis.report.stream,
                                  selection=days)
        stem = Path(self.export_dir) / incident_view.ticket_file_stem(incident)
        self.push_screen(TicketScreen(draft, str(stem)))

    def on_ticket_screen_copy(self, message: TicketScreen.Copy) -> None:
        self._copy(message.text, "the ticket")

    def on_ticket_screen_save(self, message: TicketScreen.Save) -> None:
        self._write_file(message.path, message.text, "press s or w in the ticket dialog again once it is fixed")

    def _write_store(self, failure: str, write) -> bool:
        """Run ``write`` (a change to the triage store); when the store refuses it, say ``failure`` and why."""
        try:
            write()
        except (core.StoreError, ValueError) as e:
            self.notify_error(f"{failure}: {e}")
            return False
        return True

    def _can_merge(self, level: str) -> bool:
        if self.store is None:
            self.notify_error("no triage store is configured")
            return False
        if level != "category":
            self.say(f"merging works on categories: press {self._key_hint('level')} to show them",
                     severity="warning")
            return False
        return True

    def _show_merged(self, key: str, text: str) -> None:
        self.refresh_triage()
        index = next((c for c, cat in enumerate(self.analysis.clustering.categories) if cat.key == key), None)
        self.show_level("category", keep_key=None if index is None else f"{index}")
        self.say(text, timeout=6)

    def on_overview_screen_merge(self, message: OverviewScreen.Merge) -> None:
        """Fold the category of the row into one the shifter picks (recorded in the triage store)."""
        if self._overview_on_top() and self._can_merge(message.level):
            self.push_screen(MergeScreen(message.row, list(self.overview.rows)))

    def on_merge_screen_chosen(self, message: MergeScreen.Chosen) -> None:
        key, into = message.key, message.into
        if self._write_store("not merged", lambda: self.store.merge(key, into, pattern=self._category(key).pattern)):
            self._show_merged(into, f"merged {key} into {into} · {self._key_hint('unmerge')} on it undoes")

    def on_overview_screen_unmerge(self, message: OverviewScreen.Unmerge) -> None:
        """Give back their own rows to the categories merged into the row's."""
        if not (self._overview_on_top() and self._can_merge(message.level)):
            return
        key = message.row.key
        children = sorted(k for k, parent in self.merges.items() if parent == key)
        if not children:
            self.say("no category is merged into this one")
            return

        def unmerge() -> None:
            for child in children:
                self.store.unmerge(child)

        if self._write_store("not un-merged", unmerge):
            self._show_merged(key, f"un-merged {len(children)} categor{'y' if len(children) == 1 else 'ies'}: "
                                   f"{', '.join(children)}")

    # --- app-wide actions ------------------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.keys, self.keymap_name))

    def action_load(self) -> None:
        current = self.source or core.Request(self.config.archive, stream=self.config.source, vo=self.config.vo,
                                              sites=self.sites)
        vos = [vo for vo, _ in self.analysis.vos_present] if self.analysis is not None else []
        self.push_screen(LoadScreen(current, default_master=self.config.spark_master, vos=vos))

    def on_load_screen_submitted(self, message: LoadScreen.Submitted) -> None:
        self.start_load(message.request)

    def _report_markdown(self, annotated_only: bool, layout: str = "full") -> str:
        triage = self.triage.inherited if self.triage else {}
        if layout == "summary":
            return core.render_summary(core.build_report(self.analysis, triage, self.merges), "md")
        report = core.build_report(self.analysis, triage, self.merges, annotated_only=annotated_only)
        return core.render_report(report, "md")

    def action_export(self) -> None:
        if self.analysis is None:
            self.notify_error("nothing loaded yet")
            return
        days = self.analysis.report.days
        name = f"opint-{self.analysis.report.stream}-{days[-1] if days else dt.date.today()}.md"
        self.push_screen(ExportScreen(str(Path(self.export_dir) / name)))

    def on_export_screen_submitted(self, message: ExportScreen.Submitted) -> None:
        text = self._report_markdown(message.annotated_only, message.layout)
        if message.clipboard:
            self._copy(text)
        if message.path:
            self._write_file(message.path, text, "choose another file in the export dialog")

    def _write_file(self, path: str, text: str, remedy: str) -> None:
        """Write ``text`` atomically and say where, or say why not and what to do (``remedy``)."""
        try:
            written = core.write_atomic(path, text)
        except OSError as e:
            self.notify_error(f"cannot write {path}: {e.strerror or e}", remedy)
            return
        self.say(f"wrote {written}")

    def _copy(self, text: str, what: str = "markdown") -> None:
        self.copy_to_clipboard(text)
        self.say(f"copied {len(text):,} characters of {what} (OSC 52)")

    def action_copy_report(self) -> None:
        if self.analysis is not None:
            self._copy(self._report_markdown(False))

    def action_sort_by(self, order: str) -> None:
        self.overview.sort_by(order)

    def action_level_to(self, level: str) -> None:
        self.overview.level = level

    # --- two-key sequences (vim "g g") ---------------------------------------------------------------
    async def on_key(self, event) -> None:
        if not self.sequences or isinstance(self.focused, (Input, TextArea)):
            return
        if self._pending_key is not None:
            sequence = f"{self._pending_key} {event.key}"
            self._pending_key = None
            binding_id = self.sequences.get(sequence)
            if binding_id:
                event.stop()
                event.prevent_default()
                if hasattr(self.screen, f"action_{binding_id}"):
                    await self.screen.run_action(binding_id)
                return
        if any(seq.split(" ")[0] == event.key for seq in self.sequences):
            self._pending_key = event.key
            event.stop()
            event.prevent_default()
