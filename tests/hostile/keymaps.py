"""Hostile keymap files: each case is a file that opint must refuse, before the app takes over the
terminal, with a KeymapError naming the file and the entry at fault (issue 18, class "keymaps").

``write(case, directory)`` writes the case's bytes to ``<directory>/<case.name>.toml`` and returns the
path; ``{path}`` in a case's text stands for that path (a keymap that is its own base)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KeymapCase:
    name: str
    text: bytes
    names: tuple[str, ...]    # what the error message must name, besides the file
    refused_before: bool = False   # already refused with a clear message before issue 18

    def __str__(self) -> str:
        return self.name


CASES = (
    # two ids on one key: Textual keeps one of them, the other never fires
    KeymapCase("two_ids_one_key", b'[bindings]\nsort = "n"\n', ("sort", "next_match", "'n'")),
    KeymapCase("two_ids_one_key_in_one_file", b'[bindings]\nsort = "z"\nlevel = "z"\n', ("level", "sort", "'z'")),
    KeymapCase("key_that_starts_a_sequence", b'base = "vim"\n[bindings]\nlevel = "g"\n', ("level", "first", "'g'")),
    # key names Textual cannot parse: it accepts any string, and the binding never fires
    KeymapCase("unknown_key_name", b'[bindings]\nquit = "esc"\n', ("quit", "'esc'")),
    KeymapCase("capitalised_key_name", b'[bindings]\nback = "Escape"\n', ("back", "'Escape'")),
    KeymapCase("modifier_without_key", b'[bindings]\nquit = "ctrl+"\n', ("quit", "'ctrl+'")),
    KeymapCase("unknown_modifier", b'[bindings]\nquit = "control+q"\n', ("quit", "'control+q'")),
    KeymapCase("terminal_escape_as_key", b'[bindings]\nquit = "\\u001b]52;c;cm0gLXJmIH4=\\u0007"\n',
               ("quit", "\\x1b")),
    KeymapCase("three_key_sequence", b'[bindings]\nfirst = "g g g"\n', ("first", "'g g g'")),
    KeymapCase("empty_alternative", b'[bindings]\nquit = "q,,Q"\n', ("quit", "empty")),
    # the structure of the file
    KeymapCase("base_not_a_string", b'base = 7\n[bindings]\nquit = "Q"\n', ("base = 7",)),
    KeymapCase("misspelt_bindings_table", b'[binding]\nquit = "Q"\n', ("[binding]", "[bindings]")),
    KeymapCase("misspelt_base", b'bsae = "vim"\n', ("bsae =", "base")),
    KeymapCase("not_utf8", b'[bindings]\nquit = "\xff"\n', ("UTF-8",)),
    # refused before issue 18 already: kept in the corpus so that they stay refused
    KeymapCase("not_toml", b'[bindings\nquit = "q"\n', ("not valid TOML",), refused_before=True),
    KeymapCase("unknown_binding_id", b'[bindings]\nquiet = "q"\n', ("'quiet'",), refused_before=True),
    KeymapCase("keys_not_a_string", b'[bindings]\nquit = 7\n', ("quit",), refused_before=True),
    KeymapCase("bindings_not_a_table", b'bindings = "q"\n', ("bindings",), refused_before=True),
    KeymapCase("its_own_base", b'base = "{path}"\n', ("loop",), refused_before=True),
)


def write(case: KeymapCase, directory: Path) -> Path:
    path = Path(directory) / f"{case.name}.toml"
    path.write_bytes(case.text.replace(b"{path}", str(path).encode()))
    return path
