"""Every binding of the app, with its id (keymaps remap by id) and what the help screen says of it."""
from __future__ import annotations

from textual.binding import Binding

from opint_tui.keymap import load_keymap

# id -> (action, description); the keys come from keymaps/default.toml (and the active keymap).
DESCRIPTIONS: dict[str, tuple[str, str, str]] = {
    # id: (action, footer label, help text)
    "quit": ("quit", "Quit", "Quit (from the overview; on any other screen: back)"),
    "help": ("help", "Help", "Help: keys and what they do"),
    "back": ("back", "Back", "Back / close / clear the filter"),
    "command_palette": ("command_palette", "Commands", "Command palette"),
    "open": ("open", "Open", "Open the row under the cursor"),
    "incidents": ("incidents", "Incidents", "Incidents: what fails where, since when"),
    "sites": ("sites", "Sites", "Sites: failures and rates in and out, per site"),
    "ticket": ("ticket", "Ticket", "Ticket draft of an incident: copy or save"),
    "annotate": ("annotate", "Annotate", "Annotate: label, status, ticket, notes"),
    "full_text": ("full_text", "Full text", "Page through long messages in full"),
    "merge": ("merge", "Merge", "Merge the category into another one (one problem, one row)"),
    "unmerge": ("unmerge", "Unmerge", "Undo the merges into the category: its parts get their own rows again"),
    "load": ("load", "Load", "Load another day, range or stream"),
    "export": ("export", "Export", "Export the report as markdown"),
    "copy_report": ("copy_report", "Copy", "Copy the report to the clipboard (OSC 52)"),
    "filter": ("filter", "Filter", "Filter as you type"),
    "next_match": ("next_match", "Next", "Next row"),
    "previous_match": ("previous_match", "Previous", "Previous row"),
    "sort": ("sort", "Sort", "Cycle the sort order: count, trend, new, label"),
    "reverse_sort": ("reverse_sort", "Reverse", "Reverse the sort order"),
    "level": ("level", "Level", "Switch between categories and templates"),
    "cursor_down": ("cursor_down", "Down", "Down"),
    "cursor_up": ("cursor_up", "Up", "Up"),
    "page_down": ("page_down", "Page down", "Page down"),
    "page_up": ("page_up", "Page up", "Page up"),
    "first": ("first", "First", "First row"),
    "last": ("last", "Last", "Last row"),
    "cancel_load": ("cancel_load", "Cancel", "Cancel a running load"),
}

DEFAULT_KEYS = load_keymap("default")

# Shown in the footer (the rest are in the help screen).
FOOTER = ("help", "filter", "incidents", "ticket", "open", "annotate", "sort", "level", "load", "export", "quit")


def bindings(ids, keys: dict[str, str] = DEFAULT_KEYS, *, priority: tuple = (), shown: tuple = ()) -> list[Binding]:
    """The Bindings of ``ids``; those of FOOTER, and ``shown`` (e.g. "back" on a screen above the overview),
    are in the footer."""
    out = []
    for binding_id in ids:
        action, description, help_text = DESCRIPTIONS[binding_id]
        plain = [k for k in keys.get(binding_id, "").split(",") if k and " " not in k]
        out.append(Binding(",".join(plain) or "f24", action,
                           description, show=binding_id in FOOTER or binding_id in shown, id=binding_id,
                           tooltip=help_text,
                           priority=binding_id in priority))
    return out
