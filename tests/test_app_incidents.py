"""The app's incidents (issue 13): the list, the drill-down to the category, annotating an incident, the
ticket dialog; driven by Pilot on the real app over the sample archive (its latest day has the incidents
its writer plants: new ones first). Expectations come from the core's incidents, not from the screen. Waits as in test_app.py: for the effect, never a fixed pause."""
import dataclasses
import datetime as dt

import numpy as np

import opint_core as core
from opint_tui.app import OpintApp
from opint_tui.incident_view import ticket_file_stem
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import AnnotateScreen
from opint_tui.screens.incidents import IncidentsScreen
from opint_tui.screens.ticket import TicketScreen
from waits import Toasts, wait_for_focus, wait_for_screen, wait_for_top, wait_until


def screen_text(svg: str) -> str:
    """The screen of a screenshot, row by row (text runs joined in order of their x on each y)."""
    import html
    import re

    rows: dict[float, list] = {}
    for x, y, run in re.findall(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(run).replace("\xa0", " ")))
    return "\n".join("".join(run for _, run in sorted(rows[y])) for y in sorted(rows))


def make_app(sample_root, analysis, tmp_path, **kw):
    store = core.TriageStore(tmp_path / "store", user="shifter")
    return OpintApp(core.Request(sample_root, core.Selection.latest()), store=store, analysis=analysis,
                    export_dir=str(tmp_path / "exports"), **kw)


async def incidents_shown(pilot) -> IncidentsScreen:
    """The incidents list, on top, drawn, with the focus on its rows."""
    app = pilot.app
    await wait_until(pilot, lambda: app.analysis is not None and app.screen is app.incident_list
                     and app.focused is app.incident_list.table and app.incident_list.table.row_count,
                     "the incidents list to show the analysis's incidents")
    return app.incident_list


async def test_the_app_opens_on_the_incidents_when_some_are_new(sample_root, sample_analysis, tmp_path):
    incidents = sample_analysis.incidents
    statuses = [i.status for i in incidents]
    assert statuses[0] == "new" and statuses == sorted(statuses, key=core.incidents.STATUSES.index)
    first = incidents[0]
    assert first.side in ("source", "destination")                 # what the sample plants first
    app = make_app(sample_root, sample_analysis, tmp_path, open_incidents=True)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await incidents_shown(pilot)
        assert screen.incidents == incidents                        # all of them, in the core's order
        assert screen.table.cursor_row == 0                         # on the new one
        head = screen.query_one("#incidents-head").render().plain
        counts = {s: sum(i.status == s for i in incidents) for s in ("new", "rising", "ongoing")}
        assert f"{len(incidents)} incidents: {counts['new']} new · {counts['rising']} rising · " \
               f"{counts['ongoing']} ongoing" in head
        text = screen_text(app.export_screenshot())
        rows = [line for line in text.splitlines() if line.lstrip()[:1] in ("●", "▲", "·")]
        assert len(rows) == len(incidents)
        assert rows[0].lstrip().startswith("● NEW") and f"{first.site} ({first.side})" in rows[0]
        assert f"since {first.onset:%m-%d %H:%M}" in rows[0] and f"{first.failures}/{first.attempts}" in rows[0]
        assert f"{100 * first.failure_rate:.0f}%" in rows[0]                                    # the rate
        for row, incident in zip(rows, incidents):
            assert row.lstrip().split()[1].lower() == incident.status
        await pilot.press("i")                                        # the same key: back to the categories
        await wait_for_top(pilot, app.overview, "i to go back to the overview")
        await pilot.press("i")
        await incidents_shown(pilot)
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to go back to the overview")


async def test_without_new_incidents_the_app_opens_on_the_overview(sample_root, sample_analysis, tmp_path):
    standing = [i for i in sample_analysis.incidents if i.status != "new"]
    analysis = dataclasses.replace(sample_analysis, incidents=standing)
    app = make_app(sample_root, analysis, tmp_path, open_incidents=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown, "the overview")
        await pilot.pause()
        assert app.screen is app.overview
        assert f"{len(standing)} incidents" in app.overview.query_one("#summary").render().plain
        await pilot.press("i")
        screen = await incidents_shown(pilot)
        assert screen.incidents == standing


def _spread_incident(analysis) -> int:
    """The first incident (not on a link) whose category fails at other places too, by the table's own
    columns: its drill-down must show the incident's place only."""
    table, category_of = analysis.errors.table, np.asarray(analysis.clustering.category_of)
    for n, incident in enumerate(analysis.incidents):
        if incident.side not in ("source", "destination"):
            continue
        column = "src_site" if incident.side == "source" else "dst_site"
        sites = np.array(table.column(column).to_pylist(), dtype=object)[category_of == incident.group]
        if set(sites) - {incident.site}:
            return n
    raise AssertionError("the sample archive has no incident whose category fails elsewhere too")


async def test_enter_opens_the_category_at_the_incidents_site_and_escape_keeps_the_cursor(
        sample_root, sample_analysis, tmp_path):
    n = _spread_incident(sample_analysis)
    incident = sample_analysis.incidents[n]
    column = "src_site" if incident.side == "source" else "dst_site"
    table = sample_analysis.errors.table
    in_category = np.asarray(sample_analysis.clustering.category_of) == incident.group
    here = in_category & (np.array(table.column(column).to_pylist(), dtype=object) == incident.site)
    here_messages = {m for m, h in zip(table.column("message").to_pylist(), here) if h}
    app = make_app(sample_root, sample_analysis, tmp_path, open_incidents=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await incidents_shown(pilot)
        await pilot.press(*["down"] * n)
        await wait_until(pilot, lambda: screen.table.cursor_row == n, f"down to move to incident {n}")
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the incident's category")
        assert detail.row.key == incident.key and detail.row.index == incident.group
        assert detail.incident is incident
        titles = [t for t, _ in detail.sections]
        assert titles[:3] == ["incident", "category", "messages"]
        head = dict(detail.sections)["incident"].plain
        assert f"{incident.site} ({incident.side})" in head and f"{incident.failures:,} failures of" in head
        assert incident.onset.strftime("%m-%d %H:%M") in head
        # filtered to the site: the counts and messages are the category's there, not everywhere
        assert detail.row.count == int(here.sum()) < int(in_category.sum())
        assert f"the category's {int(here.sum()):,} failures at {incident.site} as the {incident.side}, " \
               f"of its {int(in_category.sum()):,} at every site" in head
        assert {m for _, m in detail.messages} <= here_messages
        category = dict(detail.sections)["category"].plain
        assert f"count {int(here.sum()):,}" in category
        await pilot.press("escape")
        await wait_for_top(pilot, app.incident_list, "escape to go back to the incidents")
        assert screen.table.cursor_row == n
        assert incident.site in screen.query_one("#incidents-cursor").render().plain   # the line under the list


async def test_annotating_an_incident_labels_its_category_with_the_site(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path, open_incidents=True)
    incident = sample_analysis.incidents[1]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await incidents_shown(pilot)
        await pilot.press("down")
        await wait_until(pilot, lambda: screen.table.cursor_row == 1, "down to move to the second incident")
        await pilot.press("a")
        dialog = await wait_for_screen(pilot, AnnotateScreen, "a to open the annotate dialog")
        field = await wait_for_focus(pilot, "#label", "the label field to have the focus")
        assert dialog.key == incident.key
        assert field.value == f"{incident.site}: {incident.cause.title}"   # the site, then what it is
        await pilot.press("ctrl+s")
        await wait_for_top(pilot, app.incident_list, "ctrl+s to close the annotate dialog")
        await wait_until(pilot, lambda: app.triage.annotation(incident.key)[0] is not None, "the store to be read")
    saved = core.TriageStore(tmp_path / "store", user="someone-else").annotations()[incident.key]
    assert saved.label == f"{incident.site}: {incident.cause.title}" and saved.status == "new"


async def test_the_ticket_dialog_copies_and_saves_the_draft(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path, open_incidents=True)
    incident = sample_analysis.incidents[0]
    draft = core.ticket_draft(incident, sample_analysis.insight, stream="fts", selection="2026-11-20")
    copied = []
    app.copy_to_clipboard = copied.append                               # what OSC 52 would carry
    async with app.run_test(size=(120, 40)) as pilot:
        await incidents_shown(pilot)
        toasts = Toasts(app)
        await pilot.press("T")
        dialog = await wait_for_screen(pilot, TicketScreen, "T to open the ticket dialog")
        assert dialog.draft == draft
        assert incident.site in dialog.query_one("#ticket-text").render().plain
        await pilot.press("c")
        await wait_until(pilot, lambda: copied, "c to copy the draft")
        assert copied == [draft.text]
        await pilot.press("s")
        target = tmp_path / "exports" / f"{ticket_file_stem(incident)}.md"
        await toasts.wait_for(pilot, f"wrote {target}", "s to save the markdown draft")
        assert target.read_text() == draft.markdown
        await pilot.press("w")
        await toasts.wait_for(pilot, f"wrote {target.with_suffix('.txt')}", "w to save the text draft")
        assert target.with_suffix(".txt").read_text() == draft.text
        await pilot.press("escape")
        await wait_for_top(pilot, app.incident_list, "escape to close the ticket dialog")

        await pilot.press("enter")                                       # from the incident's detail too
        await wait_for_screen(pilot, DetailScreen, "enter to open the incident's category")
        await pilot.press("T")
        dialog = await wait_for_screen(pilot, TicketScreen, "T in the incident's detail")
        assert dialog.draft == draft


async def test_no_ticket_from_a_category_opened_from_the_overview(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown, "the overview")
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        await pilot.press("T", "a")                                      # a: something that does happen after
        await wait_for_screen(pilot, AnnotateScreen, "a to open the annotate dialog")
        assert not any(isinstance(s, TicketScreen) for s in app.screen_stack)
        assert detail.incident is None


async def test_the_empty_list_says_why(sample_root, sample_analysis, tmp_path):
    analysis = dataclasses.replace(sample_analysis, incidents=[], baseline=None)
    app = make_app(sample_root, analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown, "the overview")
        await pilot.press("i")
        screen = await wait_for_screen(pilot, IncidentsScreen, "i to open the incidents list")
        await wait_until(pilot, lambda: screen.has_class("empty"), "the list to say it is empty")
        text = screen_text(app.export_screenshot())
        assert "0 incidents" in text and "No incidents" in text and "no baseline days" in text
        await pilot.press("enter", "a", "T")                             # nothing to open, annotate or ticket
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to go back to the overview")


HOSTILE_SITE = "EVIL\x1b[2J\x1b]52;c;cm0gLXJm\x07[bold]SITE[/bold]"
HOSTILE_PATTERN = "<*>\x1b[31mred[/red] [link=http://x]click[/link]<*>"


async def test_a_hostile_site_and_pattern_are_shown_escaped(sample_root, sample_analysis, tmp_path):
    hostile = dataclasses.replace(sample_analysis.incidents[0], site=HOSTILE_SITE, pattern=HOSTILE_PATTERN)
    analysis = dataclasses.replace(sample_analysis, incidents=[hostile])
    app = make_app(sample_root, analysis, tmp_path, open_incidents=True)
    app.copy_to_clipboard = lambda text: None
    async with app.run_test(size=(160, 48)) as pilot:
        await incidents_shown(pilot)
        shots = [app.export_screenshot()]
        await pilot.press("enter")
        await wait_for_screen(pilot, DetailScreen, "enter to open the incident's category")
        shots.append(app.export_screenshot())
        await pilot.press("a")
        await wait_for_focus(pilot, "#label", "the annotate dialog's label field")
        shots.append(app.export_screenshot())
        await pilot.press("escape", "T")
        await wait_for_screen(pilot, TicketScreen, "T to open the ticket dialog")
        toasts = Toasts(app)
        await pilot.press("s")
        await toasts.wait_for(pilot, "wrote", "s to save the draft")
        shots.append(app.export_screenshot())
    for svg in shots:
        assert "\x1b" not in svg and "\x07" not in svg
    listed = screen_text(shots[0])
    assert "EVIL␛[2J␛]52;c;cm0gLXJm␇[bold]SITE[/bold] (destination)" in listed
    assert "<*>␛[31mred[/red] [link=http://x]cl" in listed                   # cut to the column
    detail = screen_text(shots[1])
    assert "EVIL␛[2J␛]52;c;cm0gLXJm␇[bold]SITE[/bold] (destination)" in detail
    annotate = screen_text(shots[2])
    assert "EVIL␛[2J" in annotate and "<*>␛[31mred[/red] [link=http://x]click[/link]<*>" in annotate
    (written,) = (tmp_path / "exports").iterdir()                        # a file name of safe characters only
    assert written.name == ticket_file_stem(hostile) + ".md" and "\x1b" not in written.name
    assert written.name.startswith(f"opint-ticket-{hostile.key}-EVIL_2J_52_c_cm0gLXJm_bold_SITE_bold")


def test_the_incident_file_name_and_label_suggestion():
    from opint_tui.incident_view import label_suggestion

    incident = core.Incident(group=0, key="c0ffee", pattern="<*>Authentication failed<*>", site="FZK-LCG2",
                             side="link", other_site="CERN-PROD", onset=dt.datetime(2026, 11, 20, 10,
                                                                                     tzinfo=dt.timezone.utc),
                             end=None, failures=900, attempts=3400, failure_rate=0.26, grid_rate=0.01,
                             baseline_rate=0.01, baseline_failures=3, baseline_attempts=300, status="rising",
                             score=50.0)
    assert ticket_file_stem(incident) == "opint-ticket-c0ffee-FZK-LCG2-to-CERN-PROD"
    assert label_suggestion(incident, None) == "FZK-LCG2 → CERN-PROD: Authentication failed"
    assert label_suggestion(incident, "token expired") == "FZK-LCG2 → CERN-PROD: token expired"
    kept = "FZK-LCG2 → CERN-PROD: GGUS-1 open"
    assert label_suggestion(incident, kept) == kept
