"""Hostile data for what the CLI writes (reports, CSV, files, stdout/stderr): category names, labels,
notes, site names and file names carrying terminal control sequences, spreadsheet formulas and huge
cells, built into a real archive (gzip part files in the MONIT layout), a real triage store (journals
written by TriageStore, plus a teammate's damaged journal with a hostile name) and a real config file.

Every case is named, so a failing assertion says which one got through."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import opint_core as core
from archive_factory import day_dir, fts_record, lines, write_part

DAY = dt.date(2025, 11, 24)

# Terminal control sequences, one per thing seen through tmux in issue 18, and the bare characters.
CONTROL = {
    "osc52_clipboard": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "osc8_link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "screen_clear": "\x1b[2J\x1b[H",
    "leave_alt_screen": "\x1b[?1049l",
    "c1_csi": "\x9b31m",
    "del_nul_bel_bs": "\x7f\x00\x07\x08",
    "carriage_return": "visible\rhidden",
}

# Cells that a spreadsheet would run as a formula (OWASP "CSV injection"), one per leading character.
FORMULA = {
    "equals": '=HYPERLINK("https://evil.example","x")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage_return": "\r=1+1",
    "line_feed": "\n=1+1",
    "escape_then_equals": "\x1b=1+1",          # the control removed, the formula must still be defused
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

HUGE = 1 << 20   # characters: a 1 MiB note, beyond Python's csv reader limit (131,072)

# What must never reach a terminal raw: C0 but tab and newline, DEL, C1 (ESC is C0).
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def raw_controls(text: str, *, allow: str = "") -> list[str]:
    """The control characters of ``text`` a terminal would act on (less ``allow``), for messages."""
    return sorted({repr(c) for c in RAW_CONTROL.findall(text) if c not in allow})


def hostile_texts() -> dict[str, str]:
    """Every hostile string by name, controls and formulas (each control also behind a formula start)."""
    texts = {f"control:{k}": v for k, v in CONTROL.items()}
    texts.update({f"formula:{k}": v for k, v in FORMULA.items()})
    texts.update({f"formula_control:{k}": "=" + v for k, v in CONTROL.items()})
    return texts


# ----------------------------------------------------------------------------------------- archive
BAD_FILE_NAME = "part-\x1b]52;c;aGk=\x07\x1b[2J\x9b31m-00009-c000.json.gz"   # also damaged: listed in problems


def hostile_archive(root: Path) -> Path:
    """An FTS archive of one day whose messages, error categories and sites are hostile (one category
    per text, sites from the RSE prefix), plus a damaged part file whose name carries escapes."""
    records = []
    for i, (name, text) in enumerate(sorted(hostile_texts().items())):
        for k in range(2):   # two transfers of each, so each text is a category of its own
            records.append(fts_record(
                f"TRANSFER {text} error number {i}", tr_id=f"2025-11-24-1200__a__b__{i}-{k}__job{i}",
                tr_error_category=f"{text} {name}", src_rse=f"{text}_DATADISK", dst_rse=f"{text}{i}_SCRATCHDISK"))
    folder = day_dir(root, "fts", DAY)
    write_part(folder, lines(records))
    (folder / BAD_FILE_NAME).write_bytes(b"this is not gzip \x1b[2J")
    return root


# ------------------------------------------------------------------------------------------- store
TEAMMATE_JOURNAL = "mallory\x1b]52;c;aGk=\x07\x1b[2J.jsonl"   # a torn journal: its warning names the file


@dataclass
class HostileStore:
    directory: Path
    annotated: str         # the key annotated with the hostile fields below
    label: str
    ticket: str
    notes: str             # 1 MiB, controls and formulas at the start
    source: str            # a formula key whose annotation another category inherits by pattern
    source_label: str


def hostile_store(directory: Path, analysis) -> HostileStore:
    """A team store for ``analysis``: its first category annotated with a hostile label, ticket and a
    1 MiB note full of controls; its second category's pattern annotated under a formula key (so the
    category inherits from that key); and a teammate's damaged journal with escapes in its name."""
    first, second = analysis.clustering.categories[:2]
    hostile = HostileStore(
        Path(directory), first.key,
        label="=" + "".join(CONTROL[k] for k in ("osc52_clipboard", "screen_clear", "c1_csi")),
        ticket="@GGUS-1" + CONTROL["leave_alt_screen"],
        notes="+" + CONTROL["osc8_link"] + "\r=1+1\n" + "n" * HUGE,
        source='=HYPERLINK("https://evil.example")' + CONTROL["screen_clear"], source_label="-inherited\x9b2J")
    store = core.TriageStore(directory, user="alice")
    store.annotate(first.key, pattern=first.pattern, label=hostile.label, status="investigating",
                   ticket=hostile.ticket, notes=hostile.notes)
    store.annotate(hostile.source, pattern=second.pattern, label=hostile.source_label, status="known")
    (Path(directory) / TEAMMATE_JOURNAL).write_bytes(b"\x1b[2J not json at all\n")
    return hostile


# ------------------------------------------------------------------------------------------ config
def hostile_config(path: Path, archive: str) -> Path:
    """A config file whose archive (a folder that does not exist) carries escapes: the error that
    names it must reach the terminal cleaned."""
    escaped = archive.replace("\\", "\\\\") + "\\u001b]52;c;aGk=\\u0007\\u001b[2J\\u009b31m"
    path.write_text(f'archive = "{escaped}"\nsource = "fts"\n', encoding="utf-8")
    return path

