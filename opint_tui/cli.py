"""The `opint` command line."""
from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

import opint_core as core


def _selection_options(parser: argparse.ArgumentParser, default=None) -> None:
    """The selection and archive flags, shared by the app, load and report."""
    g = parser.add_argument_group("selection (default: the latest day in the archive)")
    g.add_argument("--date", metavar="D", default=default, help="one day: YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY")
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
    load.add_argument("--top", type=int, default=10, metavar="N", help="how many top error categories to show")

    report = sub.add_parser("report", help="write the shift report (markdown, JSON or CSV)",
                            description="Cluster a selection and write the report of its categories, with "
                                        "the triage annotations.")
    _selection_options(report, keep)
    _store_option(report, keep)
    report.add_argument("--format", choices=core.REPORT_FORMATS, default="md", help="md (default), json or csv")
    report.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically); default: stdout")
    report.add_argument("--annotated-only", action="store_true", help="only categories with an annotation")
    report.add_argument("--top", type=int, metavar="N", help="only the first N categories")
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
    annotate.add_argument("--config", metavar="FILE", default=keep)
    _store_option(annotate, keep)

    sample = sub.add_parser("sample-archive", help="write a realistic sample archive in the MONIT layout",
                            description="Write a realistic sample archive (both streams) in the MONIT layout.")
    sample.add_argument("directory", metavar="DIR", help="where to write it (created if missing)")
    sample.add_argument("--days", type=int, default=7, help="number of days, the last one in DD.tmp (default 7)")
    sample.add_argument("--seed", type=int, default=0, help="random seed: the same seed writes the same bytes")
    sample.add_argument("--scale", type=float, default=1.0,
                        help="volume factor; 1.0 is about 30,000 FTS and 20,000 Rucio records a day")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(stderr=False, highlight=False)
    errors = Console(stderr=True, highlight=False)
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
        return cmd_app(args, config)
    except core.OpintError as e:   # the core's errors and the keymap's: what went wrong, and what to do
        errors.print(Text("opint: error: ", style="bold red") + Text(e.message))
        if e.remedy:
            errors.print(Text("what to do: ", style="bold") + Text(e.remedy))
        return 2
    except core.LoadCancelled:
        errors.print("opint: cancelled")
        return 130
    except KeyboardInterrupt:
        errors.print("opint: interrupted")
        return 130


def _progress_bar(console: Console) -> Progress:
    # No spinner: over ssh an animation streams bytes for nothing.
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


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
    if args.demo:
        progress("write", 0, 0)
        archive = core.demo_archive(progress=lambda _stage, done, total: progress("write", done, total))
    else:
        archive = args.archive or config.archive
    return core.Request(archive, selection, args.source or config.source, use_cache=not args.no_cache,
                        spark_master=spark_master(args, config))


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
    load_keymap(keymap)  # a bad keymap is a clear error before the screen is taken over
    with _progress_bar(Console(stderr=True, highlight=False)) as bar:   # shown only while the demo is written
        request = build_request(args, config, _stage_progress(bar))
    app = OpintApp(request, config=config, store=open_store(args, config), keymap=keymap)
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
    errors = Console(stderr=True, highlight=False)
    with _progress_bar(errors) as bar:
        progress = _stage_progress(bar)
        analysis = core.run(build_request(args, config, progress), progress=progress)
    store = open_store(args, config)
    inherited = store.carry_over(analysis.clustering.categories)
    merges = store.apply_merges(analysis.clustering.categories)
    for warning in store.warnings:
        errors.print(Text(f"opint: warning: {warning}", style="yellow"))
    report = core.build_report(analysis, inherited, merges, annotated_only=args.annotated_only, top=args.top,
                               sort=args.sort)
    text = core.render_report(report, args.format)
    if args.output:
        path = core.write_atomic(args.output, text)
        errors.print(Text(f"wrote {path}: {len(report.categories):,} categories, "
                          f"{analysis.errors.failures:,} failures"))
    else:
        sys.stdout.write(text)
    return 0


def cmd_annotate(args, config: core.Config, console: Console) -> int:
    store = open_store(args, config)
    fields = {k: getattr(args, k) for k in ("label", "status", "ticket", "notes") if getattr(args, k) is not None}
    if not (fields or args.merge_into or args.unmerge):
        raise core.SelectionError("nothing to annotate: give --label, --status, --ticket, --note, --merge-into "
                                  "or --unmerge")
    pattern = args.pattern or store.patterns().get(args.key)
    try:
        if fields:
            store.annotate(args.key, pattern=pattern, **fields)
        if args.merge_into:
            store.merge(args.key, args.merge_into, pattern=pattern)
        if args.unmerge:
            store.unmerge(args.key)
    except ValueError as e:
        raise core.SelectionError(str(e)) from None
    done = "merged into " + args.merge_into if args.merge_into else "un-merged" if args.unmerge else "annotated"
    console.print(Text(f"{args.key} {done} in {store.journal}"))
    return 0


def cmd_load(args, config: core.Config, console: Console) -> int:
    with _progress_bar(console) as bar:
        progress = _stage_progress(bar)
        request = build_request(args, config, progress)
        et = core.load_request(request, progress=progress)
    print_load_summary(console, et, top=args.top)
    return 0


def print_load_summary(console: Console, et, top: int = 10) -> None:
    r = et.report
    days = ", ".join(str(d) for d in r.days) if len(r.days) <= 3 else f"{r.days[0]} .. {r.days[-1]}"
    state = "" if r.final else "  (includes a day still being written: .tmp)"
    console.print(Text(f"{r.stream} errors, {r.selection}: {days or 'explicit paths'}{state}", style="bold"))
    console.print(Text(f"archive  {r.archive}"))
    cached = f" ({len(r.cached_days)} day{'s' if len(r.cached_days) != 1 else ''} from cache)" if r.cached_days else ""
    console.print(Text(
        f"files {len(r.files):,}{cached} · records {r.records:,} · failures {et.failures:,} · skipped {r.skipped:,}"
        f" · repaired {r.repaired:,} · empty files {len(r.empty_files):,} · {r.seconds:.2f} s"))
    column = "error_category" if et.table.column("error_category").null_count < et.table.num_rows else "event_type"
    rows = core.top_values(et.table, column, top)
    if rows:
        table = Table(title=f"top {column.replace('_', ' ')}s", title_justify="left", box=None, pad_edge=False)
        table.add_column(column.replace("_", " "))
        table.add_column("failures", justify="right")
        table.add_column("share", justify="right")
        for value, count in rows:
            table.add_row(Text(str(value)), f"{count:,}", f"{100 * count / max(et.failures, 1):.1f}%")
        console.print(table)
    problems = r.problems()
    if problems:
        console.print(Text(f"{len(problems)} file{'s' if len(problems) > 1 else ''} with problems:", style="yellow"))
        for f in problems[:20]:
            console.print(Text(f"  {f.path}: {f.describe()}"))
        if len(problems) > 20:
            console.print(Text(f"  … and {len(problems) - 20} more"))


def cmd_sample_archive(args, console: Console) -> int:
    started = time.perf_counter()
    with _progress_bar(console) as bar:
        task = bar.add_task("writing files", total=None)
        summary = core.write_sample_archive(
            args.directory, days=args.days, seed=args.seed, scale=args.scale,
            progress=lambda stage, done, total: bar.update(task, completed=done, total=total))
    console.print(Text(f"wrote a {args.days}-day sample archive to {args.directory} "
                       f"in {time.perf_counter() - started:.1f} s"))
    for stream, n in summary.records.items():
        console.print(Text(f"  {stream}: {n:,} records, {summary.failures.get(stream, 0):,} failures"))
    console.print(Text(f"try: opint load --archive {args.directory}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
