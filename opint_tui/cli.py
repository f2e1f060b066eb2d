"""The `opint` command line.

Every line it prints goes through ``say`` (table cells through ``safe.literal``): strings from data
(archive, journals, file names, config, error messages quoting them) reach the terminal cleaned, never
with a raw control character. Standard output and error are written through ``_Output``, so a write
that fails (disk full, closed pipe) ends the command with one line and a non-zero exit, not a traceback.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

import opint_core as core
from opint_tui.safe import literal

BROKEN_PIPE_EXIT = 141   # what a shell reports for a tool killed by SIGPIPE, e.g. `cat big | head`


class OutputFailed(Exception):
    """Writing to standard output or error failed (a full disk, a closed pipe, a closed descriptor)."""

    def __init__(self, stream: str, error: OSError):
        super().__init__(f"cannot write to {stream}: {error}")
        self.stream, self.error = stream, error


class _Output:
    """``sys.stdout`` or ``sys.stderr`` as it is at each call (tests swap them), its write failures
    raised as OutputFailed, so that main() tells them from any other OSError. The rest (isatty,
    fileno, encoding: what rich asks) is the stream's own."""

    def __init__(self, name: str):
        self.name = name

    def _stream(self):
        stream = getattr(sys, self.name)
        if stream is None:   # started with the descriptor closed (`opint … >&-`)
            raise OutputFailed(self.name, OSError(errno.EBADF, "the descriptor is closed"))
        return stream

    def write(self, text: str) -> int:
        try:
            return self._stream().write(text)
        except OSError as e:
            raise OutputFailed(self.name, e) from None

    def flush(self) -> None:
        try:
            self._stream().flush()
        except OSError as e:
            raise OutputFailed(self.name, e) from None

    def __getattr__(self, attribute: str):
        return getattr(self._stream(), attribute)


STDOUT, STDERR = _Output("stdout"), _Output("stderr")


def say(console: Console, line: str, style: str = "", *, lead: Text | None = None, lines: bool = False) -> None:
    """Print one line (several with ``lines``: a remedy may list commands). ``line`` may hold anything
    from data: it is cleaned (safe.clean: no control character but those newlines reaches the terminal)
    and never read as markup. ``lead`` is the CLI's own styled prefix. Not wrapped: one line, even in a log."""
    console.print(Text.assemble(lead or "", literal(line, style, keep_newlines=lines)), soft_wrap=True)


def _count(text: str) -> int:
    """A --top N: a whole number, 0 or more (a negative one would silently drop categories)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{n} is negative: give 0 or more")
    return n


def _vo_names(text: str) -> str:
    """A --vo: one name or several separated by commas; an empty one would silently mean every VO."""
    if not text.replace(",", "").strip():
        raise argparse.ArgumentTypeError(f"{text!r} names no VO: give a VO such as cms, or all")
    return text


def _selection_options(parser: argparse.ArgumentParser, default=None) -> None:
    """The selection and archive flags, shared by the app, load and report."""
    g = parser.add_argument_group("selection (default: the latest day in the archive)")
    g.add_argument("--date", metavar="D", default=default,
                   help="one day: YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY, today, yesterday or -N (N days ago, UTC)")
    g.add_argument("--from", dest="date_from", metavar="D", default=default,
                   help="first day of an inclusive range (with --to)")
    g.add_argument("--to", dest="date_to", metavar="D", default=default,
                   help="last day of an inclusive range (with --from)")
    g.add_argument("--last", metavar="N", type=int, default=default,
                   help="the last N days, ending at the latest day present")
    g.add_argument("--paths-file", metavar="F", default=default,
                   help="a file listing part files or day folders, one per line (# comments, blanks skipped)")
    a = parser.add_argument_group("archive")
    a.add_argument("--archive", metavar="URI", default=default,
                   help="hdfs://analytix (default, or as set in the config file), file:///path or a local path")
    a.add_argument("--demo", action="store_true", default=default if default is not None else False,
                   help="use the built-in sample archive (generated on first use; no HDFS needed)")
    a.add_argument("--source", choices=core.STREAMS, default=default, help="which stream: fts (default) or rucio")
    a.add_argument("--vo", metavar="NAME", action="append", type=_vo_names, default=default,
                   help="only the failures of this VO (experiment), e.g. cms; repeat it or separate names by "
                        "commas for several, \"all\" for every VO (default: the config file's vo, else all). "
                        "Case does not matter, cms also takes cms/...; records without a VO are (unknown). "
                        "Rucio: each Rucio instance (ATLAS, CMS) has its own archive, so --source rucio "
                        "is that instance's; --vo then matches its events' vo field")
    a.add_argument("--no-cache", action="store_true", default=default if default is not None else False,
                   help="read the archive even for days already cached")
    a.add_argument("--config", metavar="FILE", default=default,
                   help="config file (default: ~/.config/opint/config.toml)")
    s = parser.add_argument_group("scale-out (weeks, months): the scan as a Spark job")
    s.add_argument("--spark", action="store_true", default=default if default is not None else False,
                   help="read the archive with a Spark job (spark-submit) and load only its per-template counts")
    s.add_argument("--spark-master", metavar="URL", default=default,
                   help="where the job runs (implies --spark): yarn on analytix (default, or the config "
                        "file's spark_master), local[2] on a laptop or for a local archive")


def _store_option(parser: argparse.ArgumentParser, default=None) -> None:
    parser.add_argument("--store", metavar="DIR", default=default,
                        help="triage store directory, e.g. a team folder on EOS (default: config, else your "
                             "data dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opint", description="Triage FTS and Rucio transfer errors from the MONIT archive. "
        "Without a command, opens the app on the selection.",
        epilog="Run `opint COMMAND --help` for the options of a command.")
    _selection_options(parser)
    _store_option(parser)
    parser.add_argument("--keymap", metavar="NAME|FILE",
                        help="default, vim, or a TOML keymap file (default: the config file's keymap)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Sub-commands take the same flags; SUPPRESS keeps flags given before the command.
    keep = argparse.SUPPRESS

    load = sub.add_parser("load", help="load errors and print a summary",
                          description="Load the failures of a selection of days and print a summary.")
    _selection_options(load, keep)
    load.add_argument("--top", type=_count, default=10, metavar="N", help="how many top error categories to show")

    report = sub.add_parser("report", help="write the shift report (markdown, JSON or CSV)",
                            description="Cluster a selection and write the report of its categories, with "
                                        "the triage annotations.")
    _selection_options(report, keep)
    _store_option(report, keep)
    report.add_argument("--format", choices=core.REPORT_FORMATS, default="md", help="md (default), json or csv")
    report.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (atomically; a regular file, new or existing); default: stdout")
    report.add_argument("--annotated-only", action="store_true", help="only categories with an annotation")
    report.add_argument("--top", type=_count, metavar="N", help="only the first N categories (0: all)")
    report.add_argument("--sort", choices=core.REPORT_SORTS, default="count", help="order of the categories")

    annotate = sub.add_parser("annotate", help="annotate a category by its key",
                              description="Record a label, status, ticket or note for a category key "
                                          "(keys are in reports and in the app's detail view).")
    annotate.add_argument("key", metavar="KEY")
    annotate.add_argument("--label")
    annotate.add_argument("--status", choices=core.STATUSES)
    annotate.add_argument("--ticket", help="ticket id or URL")
    annotate.add_argument("--note", dest="notes", help="notes (replace the previous notes)")
    annotate.add_argument("--pattern", help="the category pattern (lets other days inherit the annotation)")
    merging = annotate.add_mutually_exclusive_group()
    merging.add_argument("--merge-into", metavar="KEY2", help="count this category's failures in category KEY2")
    merging.add_argument("--unmerge", action="store_true", help="undo a --merge-into of this category")
    annotate.add_argument("--force", action="store_true",
                          help="write even a key that no loaded category and no annotation has")
    _selection_options(annotate, keep)
    _store_option(annotate, keep)

    annotations = sub.add_parser("annotations", help="list, show or remove annotations",
                                 description="The triage store's annotations: list them, show one with its "
                                             "history, or remove one (undone by annotating it again).")
    actions = annotations.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the annotations of the selection's categories (or of every day)",
                                 description="The annotations that apply to the categories of the selection "
                                             "(the latest day by default; inherited ones say from which key), or "
                                             "with --all-days every annotation in the store.")
    listing.add_argument("--status", choices=core.STATUSES, help="only annotations with this status")
    listing.add_argument("--all-days", action="store_true", help="every annotation in the store (loads nothing)")
    listing.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    show = actions.add_parser("show", help="one annotation and its history",
                              description="One annotation (by its key or a unique start of it) and every change "
                                          "of it, oldest first.")
    remove = actions.add_parser("rm", help="remove an annotation (annotating again brings one back)",
                                description="Remove the annotation of KEY: an append-only change that clears "
                                            "it; its history stays, and annotating the key again brings one back.")
    for action in (show, remove):
        action.add_argument("key", metavar="KEY", help="the category key (or a unique start of it)")
    for action in (listing, show, remove):
        _selection_options(action, keep)
        _store_option(action, keep)

    incidents = sub.add_parser("incidents", help="list the incidents: what is broken, where, since when",
                               description="Detect the incidents of a selection (a category failing at one site "
                                           "or on one link far above its usual rate and the grid's) and list "
                                           "them: new first, then rising, then ongoing.")
    _selection_options(incidents, keep)
    incidents.add_argument("--format", choices=INCIDENT_FORMATS, default="text", help="text (default), md or json")

    ticket = sub.add_parser("ticket", help="draft a ticket for an incident of a category",
                            description="Print a ready-to-paste ticket (GGUS style) for the incident of category "
                                        "KEY (keys are in `opint incidents`, reports and the app).")
    ticket.add_argument("key", metavar="KEY", help="the category key (or a unique start of it)")
    ticket.add_argument("--site", help="the incident's site, by any of its names (needed when the category has "
                                       "incidents at several sites)")
    ticket.add_argument("--format", choices=("text", "md"), default="text", help="text (default) or md")
    _selection_options(ticket, keep)

    sample = sub.add_parser("sample-archive", help="write a realistic sample archive in the MONIT layout",
                            description="Write a realistic sample archive (both streams) in the MONIT layout.")
    sample.add_argument("directory", metavar="DIR", help="where to write it (created if missing)")
    sample.add_argument("--days", type=int, default=7, help="number of days, the last one in DD.tmp (default 7)")
    sample.add_argument("--seed", type=int, default=0, help="random seed: the same seed writes the same bytes")
    sample.add_argument("--scale", type=float, default=1.0,
                        help="volume factor; 1.0 is about 30,000 FTS and 20,000 Rucio records a day")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return run_command(build_parser().parse_args(argv))
        finally:
            STDOUT.flush()   # what is still buffered fails here, where it can be reported, not at exit
    except OutputFailed as failed:
        return output_failed(failed)


def run_command(args) -> int:
    """The command ``args`` names; the errors meant for the user become a message and an exit code."""
    console, errors = Console(file=STDOUT, highlight=False), Console(file=STDERR, highlight=False)
    try:
        if args.command == "sample-archive":
            return cmd_sample_archive(args, console)
        config = core.load_config(args.config)  # read once: every other command takes its settings from it
        if args.command == "load":
            return cmd_load(args, config, console)
        if args.command == "report":
            return cmd_report(args, config, console)
        if args.command == "annotate":
            return cmd_annotate(args, config, console)
        if args.command == "annotations":
            return cmd_annotations(args, config, console)
        if args.command == "incidents":
            return cmd_incidents(args, config, console)
        if args.command == "ticket":
            return cmd_ticket(args, config, console)
        return cmd_app(args, config)
    except core.OpintError as e:   # the core's errors and the keymap's: what went wrong, and what to do
        say(errors, e.message, lead=Text("opint: error: ", style="bold red"), lines=True)
        if e.remedy:
            say(errors, e.remedy, lead=Text("what to do: ", style="bold"), lines=True)
        return 2
    except core.LoadCancelled:
        say(errors, "opint: cancelled")
        return 130
    except KeyboardInterrupt:
        say(errors, "opint: interrupted")
        return 130


def output_failed(failed: OutputFailed) -> int:
    """Exit after a failed write to stdout or stderr: a closed pipe (`opint report | head`) quietly, as
    the shell's own tools do; anything else (a full disk) with one line on stderr, if stderr works."""
    _discard(failed.stream)
    if failed.stream == "stderr":
        return 1
    if isinstance(failed.error, BrokenPipeError):
        return BROKEN_PIPE_EXIT
    try:
        say(Console(file=STDERR, highlight=False), f"cannot write to standard output: "
            f"{failed.error.strerror or failed.error}", lead=Text("opint: error: ", style="bold red"))
    except OutputFailed:
        pass
    return 1


def _discard(stream: str) -> None:
    """Point the failed stream at /dev/null: the interpreter flushes it again at exit, and that must
    not print a second error (Python's documented remedy for SIGPIPE)."""
    try:
        fd = getattr(sys, stream).fileno()
    except (AttributeError, OSError, ValueError):   # closed, or not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _progress_bar(console: Console) -> Progress:
    # No spinner: over ssh an animation streams bytes for nothing. Off the terminal (a pipe, a log file)
    # no bar at all: a transient bar would still leave an empty line in the output.
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _stage_progress(bar: Progress):
    """The core's progress(stage, done, total) callback, one bar per stage."""
    tasks: dict[str, int] = {}

    def progress(stage, done, total):
        if stage not in tasks:
            tasks[stage] = bar.add_task(core.stage_label(stage), total=total or None)
        bar.update(tasks[stage], completed=done, total=total or None)

    return progress


def build_request(args, config: core.Config, progress) -> core.Request:
    """The Request the flags describe, the config file and the defaults filling in the rest. With --demo
    the built-in sample archive is written here on first use (``progress`` stage "write"), so that the
    Request names a real archive for every command, the app's too."""
    selection = core.Selection.from_options(date=args.date, date_from=args.date_from, date_to=args.date_to,
                                            last=args.last, paths_file=args.paths_file)
    sites = core.default_site_table(config.sites)   # a bad site table or cause file stops here, before any reading
    causes = core.default_cause_base(config.causes)
    if args.demo:
        progress("write", 0, 0)
        archive = core.demo_archive(progress=lambda _stage, done, total: progress("write", done, total))
    else:
        archive = args.archive or config.archive
    return core.Request(archive, selection, args.source or config.source, use_cache=not args.no_cache,
                        spark_master=spark_master(args, config), vo=config.vo if args.vo is None else args.vo,
                        sites=sites, causes=causes)


def spark_master(args, config: core.Config) -> str | None:
    """The Spark master when --spark (or --spark-master) is given, else None (the local loader)."""
    if not (args.spark or args.spark_master):
        return None
    return args.spark_master or config.spark_master


def open_store(args, config: core.Config) -> "core.TriageStore":
    return core.TriageStore(args.store or config.store)


def cmd_app(args, config: core.Config) -> int:
    from opint_tui.app import OpintApp
    from opint_tui.keymap import load_keymap

    keymap = args.keymap or config.keymap
    load_keymap(keymap)  # a bad keymap (or site table or cause file, in build_request) is a clear error before the screen is taken over
    with _progress_bar(Console(stderr=True, highlight=False)) as bar:   # shown only while the demo is written
        request = build_request(args, config, _stage_progress(bar))
    # the shifter's first look: the new incidents, when there are some (the overview is one key away)
    app = OpintApp(request, config=config, store=open_store(args, config), keymap=keymap, sites=request.sites,
                   open_incidents=True)
    app.run()
    if app.return_code:   # a crash: Textual has restored the terminal and printed the traceback
        from opint_tui.safe import shorten

        crash = f" ({type(app.crash).__name__}: {shorten(str(app.crash), 200)})" if app.crash else ""
        Console(stderr=True, highlight=False).print(Text(
            f"opint: the app stopped on an unexpected error{crash}: this is a bug in opint; please report "
            f"it to its maintainers with the traceback above and the command you ran", style="bold red"),
            soft_wrap=True)   # one line, however narrow the terminal
        return 1
    return 0


def cmd_report(args, config: core.Config, console: Console) -> int:
    errors = Console(file=STDERR, highlight=False)
    with _progress_bar(errors) as bar:
        progress = _stage_progress(bar)
        analysis = core.run(build_request(args, config, progress), progress=progress)
    store = open_store(args, config)
    inherited = store.carry_over(analysis.clustering.categories)
    merges = store.apply_merges(analysis.clustering.categories)
    for warning in store.warnings:
        say(errors, f"opint: warning: {warning}", "yellow")
    report = core.build_report(analysis, inherited, merges, annotated_only=args.annotated_only, top=args.top,
                               sort=args.sort)
    text = core.render_report(report, args.format)
    if args.output:
        path = write_report(args.output, text)
        say(errors, f"wrote {path}: {len(report.categories):,} categories, {analysis.errors.failures:,} failures")
    else:
        STDOUT.write(text)
    return 0


def write_report(path: str, text: str):
    """The report written to ``path`` atomically; only a regular file (new or existing) is replaced."""
    try:
        return core.write_atomic(path, text)
    except OSError as e:   # a device, FIFO, folder or link there (NotARegularFileError), no permission, ...
        where = f" ({e.filename})" if e.filename and str(e.filename) != str(path) else ""
        raise core.OpintError(f"cannot write the report to {path}: {e.strerror or e}{where}",
                              "give -o a regular file (new or existing) in a folder you can write to, "
                              "or omit -o to write to stdout") from None


def cmd_annotate(args, config: core.Config, console: Console) -> int:
    store = open_store(args, config)
    fields = {k: getattr(args, k) for k in ("label", "status", "ticket", "notes") if getattr(args, k) is not None}
    if not (fields or args.merge_into or args.unmerge):
        raise core.SelectionError("nothing to annotate: give --label, --status, --ticket, --note, --merge-into "
                                  "or --unmerge")
    key, patterns = args.key, store.patterns()
    if not args.force:
        key, patterns = _known_key(args, config, store, args.key)
        if args.merge_into:
            args.merge_into, _ = _known_key(args, config, store, args.merge_into)
    pattern = args.pattern or patterns.get(key)
    try:
        if fields:
            store.annotate(key, pattern=pattern, **fields)
        if args.merge_into:
            store.merge(key, args.merge_into, pattern=pattern)
        if args.unmerge:
            store.unmerge(key)
    except ValueError as e:
        raise core.SelectionError(str(e)) from None
    done = "merged into " + args.merge_into if args.merge_into else "un-merged" if args.unmerge else "annotated"
    say(console, f"{key} {done} in {store.journal}")
    return 0


def _known_key(args, config: core.Config, store, typed: str) -> tuple[str, dict[str, str]]:
    """The key ``typed`` names among the store's keys, else among the categories of the selection (loaded
    only then); with the patterns of both, the store's first."""
    patterns = store.patterns()
    if typed.strip() in store.keys():
        return typed.strip(), patterns
    analysis, _ = _analysed(args, config)
    loaded = {c.key: c.pattern for c in analysis.clustering.categories}
    return core.resolve_key(typed, store.keys() | loaded.keys()), {**loaded, **patterns}


def cmd_annotations(args, config: core.Config, console: Console) -> int:
    store = open_store(args, config)
    if args.action == "list":
        return _list_annotations(args, config, store, console)
    shown = {k for k, a in store.annotations().items() if not a.empty}
    key = core.resolve_key(args.key, shown if args.action == "rm" else store.keys(), what="the triage store")
    if args.action == "rm":
        store.remove(key)
        say(console, f"{key} removed in {store.journal} (its history stays; annotate it again to bring one back)")
        return 0
    annotation = store.get(key)
    say(console, key, "bold")
    for name in ("pattern", "label", "status", "ticket", "notes", "author", "time"):
        value = getattr(annotation, name, None) if annotation is not None and not annotation.empty else None
        say(console, f"  {name:<8} {value if value is not None else '-'}", lines=name == "notes")
    say(console, "history (oldest first):", "bold")
    for change in store.history(key):
        values = ", ".join(f"{field}={value!r}" for field, value in change["set"].items())
        say(console, f"  {change['time']}  {change['author']}  {values or '(pattern only)'}")
    return 0


def _list_annotations(args, config: core.Config, store, console: Console) -> int:
    annotations = {k: a for k, a in store.annotations().items() if not a.empty}
    rows = []   # (key, annotation, from key or None, failures or None)
    if args.all_days:
        rows = [(k, a, None, None) for k, a in sorted(annotations.items())]
    else:
        analysis, _ = _analysed(args, config)
        categories = analysis.clustering.categories
        inherited = store.carry_over(categories)
        for c in categories:
            if c.key in annotations:
                rows.append((c.key, annotations[c.key], None, c.count))
            elif c.key in inherited and inherited[c.key].inherited and not inherited[c.key].annotation.empty:
                rows.append((c.key, inherited[c.key].annotation, inherited[c.key].source_key, c.count))
    if args.status:
        rows = [r for r in rows if r[1].status == args.status]
    if args.format == "json":
        body = [{**a.to_dict(), "key": key, "inherited_from": source, "failures": failures}
                for key, a, source, failures in rows]
        STDOUT.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return 0
    scope = "in the store" if args.all_days else "on the selection's categories"
    say(console, f"{len(rows)} annotation{'s' if len(rows) != 1 else ''} {scope}", "bold")
    for key, a, source, failures in rows:
        count = f"{failures:>9,}  " if failures is not None else ""
        origin = f"  (inherited from {source})" if source else ""
        say(console, f"{key}  {count}{a.status:<13} {a.ticket or '-':<14} {a.label or '-'}  "
                     f"[{a.author or '?'} {(a.time or '')[:16]}]{origin}")
    return 0


def cmd_load(args, config: core.Config, console: Console) -> int:
    with _progress_bar(console) as bar:
        progress = _stage_progress(bar)
        request = build_request(args, config, progress)
        et = core.load_request(request, progress=progress)
    print_load_summary(console, et, top=args.top, vo=request.vo)
    return 0


def print_load_summary(console: Console, et, top: int = 10, vo: tuple[str, ...] = ()) -> None:
    r = et.report
    days = ", ".join(str(d) for d in r.days) if len(r.days) <= 3 else f"{r.days[0]} .. {r.days[-1]}"
    state = "" if r.final else "  (includes a day still being written: .tmp)"
    say(console, f"{r.stream} errors, {r.selection}: {days or 'explicit paths'}{state}", "bold")
    say(console, f"archive  {r.archive}")
    say(console, f"scope    VO {', '.join(vo) if vo else 'all'}")
    cached = f" ({len(r.cached_days)} day{'s' if len(r.cached_days) != 1 else ''} from cache)" if r.cached_days else ""
    say(console, (
        f"files {len(r.files):,}{cached} · records {r.records:,} · failures {et.failures:,} · skipped {r.skipped:,}"
        f" · repaired {r.repaired:,} · duplicates {r.duplicates:,} · empty files {len(r.empty_files):,}"
        f" · {r.seconds:.2f} s"))
    column = "error_category" if et.table.column("error_category").null_count < et.table.num_rows else "event_type"
    rows = core.top_values(et.table, column, top)
    if rows:
        heading = "error categories" if column == "error_category" else "event types"
        table = Table(title=f"top {heading}", title_justify="left", box=None, pad_edge=False)
        table.add_column(column.replace("_", " "))
        table.add_column("failures", justify="right")
        table.add_column("share", justify="right")
        for value, count in rows:
            table.add_row(literal(str(value)), f"{count:,}", f"{100 * count / max(et.failures, 1):.1f}%")
        console.print(table)
    problems = r.problems()
    if problems:
        say(console, f"{len(problems)} file{'s' if len(problems) > 1 else ''} with problems:", "yellow")
        for f in problems[:20]:
            say(console, f"  {f.path}: {f.describe()}")
        if len(problems) > 20:
            say(console, f"  … and {len(problems) - 20} more")


INCIDENT_FORMATS = ("text", "md", "json")


def _analysed(args, config: core.Config):
    errors = Console(file=STDERR, highlight=False)
    with _progress_bar(errors) as bar:
        progress = _stage_progress(bar)
        request = build_request(args, config, progress)
        return core.run(request, progress=progress), request


def cmd_incidents(args, config: core.Config, console: Console) -> int:
    analysis, _ = _analysed(args, config)
    incidents = analysis.incidents or []
    if args.format == "json":
        STDOUT.write(core.render_incidents_json(analysis))
    elif args.format == "md":
        STDOUT.write(core.render_incidents_markdown(analysis))
    else:
        r = analysis.report
        days = ", ".join(str(d) for d in r.days) or "listed paths"
        say(console, f"{len(incidents)} incident{'s' if len(incidents) != 1 else ''} in {r.stream} {days} "
                     f"({analysis.errors.failures:,} failures)", "bold")
        for line in core.incident_lines(incidents):
            say(console, line)
    return 0


def cmd_ticket(args, config: core.Config, console: Console) -> int:
    analysis, request = _analysed(args, config)
    incident = core.find_incident(analysis.incidents or [], args.key, args.site, request.sites)
    draft = core.ticket_draft(incident, analysis.insight, stream=analysis.report.stream,
                              selection=", ".join(str(d) for d in analysis.report.days))
    STDOUT.write(draft.markdown if args.format == "md" else draft.text)
    return 0


def cmd_sample_archive(args, console: Console) -> int:
    started = time.perf_counter()
    with _progress_bar(console) as bar:
        task = bar.add_task("writing files", total=None)
        summary = core.write_sample_archive(
            args.directory, days=args.days, seed=args.seed, scale=args.scale,
            progress=lambda stage, done, total: bar.update(task, completed=done, total=total))
    say(console, f"wrote a {args.days}-day sample archive to {args.directory} "
                 f"in {time.perf_counter() - started:.1f} s")
    for stream, n in summary.records.items():
        say(console, f"  {stream}: {n:,} records, {summary.failures.get(stream, 0):,} failures")
    say(console, f"try: opint load --archive {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
