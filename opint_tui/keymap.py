"""Keymaps: TOML files mapping binding ids to keys. keymaps/default.toml is the base of every keymap;
a named keymap (vim) or a user file overrides single ids, and may name its own base.

A keymap is checked whole before the app starts: every key must be one Textual can send (Textual itself
accepts any string and the binding then never fires), no key may serve two ids, and a file holds only
``base`` and a ``[bindings]`` table. Each problem is a KeymapError naming the file and the entry."""
from __future__ import annotations

import difflib
import sys
from importlib import resources
from pathlib import Path

from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

import opint_core as core
from opint_tui.safe import clean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class KeymapError(core.OpintError, ValueError):
    """A keymap that cannot be used; the message names the file (the command line reports it as it
    reports the core's errors)."""


SETTINGS = ("base", "bindings")   # all a keymap file may hold
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
# Keys Textual names (escape, f1, pagedown, …), without its internal pseudo-keys such as <any>.
NAMED_KEYS = frozenset(k.value.rsplit("+", 1)[-1] for k in Keys if not k.value.startswith("<"))
KEY_HELP = ("keys are Textual key names: a character (q, N, ?), a name such as escape, enter, tab, space, "
            "up, pagedown, f1, slash, question_mark, optionally with ctrl+, shift+ or alt+; alternatives "
            "are separated by commas, and two keys pressed one after the other by a space (g g)")


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("keymaps").iterdir() if p.name.endswith(".toml"))


def _read(name_or_path: str) -> tuple[dict, str]:
    """The parsed file and how to name it in a message."""
    if name_or_path in builtin_names():
        origin = f"built-in keymap {name_or_path!r}"
        text = resources.files("keymaps").joinpath(f"{name_or_path}.toml").read_text(encoding="utf-8")
    else:
        path = Path(name_or_path).expanduser()
        origin = f"the keymap {clean(str(path))}"
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as e:
            raise KeymapError(f"cannot read the keymap {clean(name_or_path)!r} ({e.strerror or e})",
                              f"use one of {', '.join(builtin_names())} or a path to a TOML file") from None
        except UnicodeDecodeError as e:
            raise KeymapError(f"{origin} is not UTF-8 text (byte {e.start} cannot be decoded)",
                              "save it as UTF-8") from None
    try:
        return tomllib.loads(text), origin
    except tomllib.TOMLDecodeError as e:
        raise KeymapError(f"{origin} is not valid TOML: {e}", "fix the line it names") from None


def _check_settings(data: dict, origin: str) -> None:
    """Only ``base`` and ``[bindings]``: a misspelt table would otherwise be ignored without a word."""
    for name, value in data.items():
        if name in SETTINGS:
            continue
        shown = f"[{clean(name)}]" if isinstance(value, dict) else f"{clean(name)} ="
        close = difflib.get_close_matches(name, SETTINGS, n=1)
        hint = f"; did you mean {'[bindings]' if close == ['bindings'] else 'base ='}?" if close else ""
        raise KeymapError(f"{origin}: unknown entry {shown}{hint}",
                          'a keymap holds an optional base = "NAME" and a [bindings] table of id = "keys"')


def _base_of(data: dict, name_or_path: str, origin: str) -> str | None:
    base = data.get("base", None if name_or_path == "default" else "default")
    if base is not None and not (isinstance(base, str) and base.strip()):
        raise KeymapError(f"{origin}: base = {base!r} is not the name of a keymap",
                          f"set base to one of {', '.join(builtin_names())} or to a path to a TOML keymap "
                          f"file (in quotes), or leave it out")
    return base


def _layers(name_or_path: str, seen: tuple = ()) -> list[tuple[str, dict]]:
    """(origin, [bindings] table) of the keymap and of every base below it, the bottom (default) first."""
    if name_or_path in seen:
        raise KeymapError(f"keymap base loop: {' -> '.join(clean(s) for s in seen + (name_or_path,))}",
                          "make one of them build on default (base = \"default\")")
    data, origin = _read(name_or_path)
    _check_settings(data, origin)
    base = _base_of(data, name_or_path, origin)
    bindings = data.get("bindings", {})
    if not isinstance(bindings, dict):
        raise KeymapError(f"{origin}: bindings = {bindings!r} is not a table",
                          'write a [bindings] table of id = "keys"')
    below = _layers(base, seen + (name_or_path,)) if base else []
    return below + [(origin, bindings)]


def load_keymap(name_or_path: str = "default") -> dict[str, str]:
    """Binding id -> keys (Textual's names, comma-separated), with every base applied first."""
    keys: dict[str, str] = {}
    entries: dict[str, tuple[int, str]] = {}   # id -> (layer, "origin: id = 'keys'") of the entry that set it
    for layer, (origin, bindings) in enumerate(_layers(name_or_path)):
        known = set(keys) or set(bindings)   # the bottom layer (default) defines the ids
        for binding_id, value in bindings.items():
            if binding_id not in known:
                raise KeymapError(f"{origin}: unknown binding id {clean(binding_id)!r}",
                                  f"use one of the ids {', '.join(sorted(known))}")
            entry = f"{origin}: {binding_id} = {value!r}"
            keys[binding_id] = _parse_keys(value, entry)
            entries[binding_id] = (layer, entry)
    _check_conflicts(keys, entries)
    return keys


def _parse_keys(value, entry: str) -> str:
    """A binding's keys in Textual's own names ("?" becomes question_mark), or a KeymapError."""
    if not isinstance(value, str) or not value.strip():
        raise KeymapError(f"{entry}: the keys must be a non-empty string", KEY_HELP)
    out = []
    for alternative in value.split(","):
        presses = alternative.split()
        if not presses:
            raise KeymapError(f"{entry}: an empty key between commas", KEY_HELP)
        if len(presses) > 2:
            raise KeymapError(f"{entry}: {alternative.strip()!r} is more than two keys in a row",
                              "a sequence has two keys, such as g g")
        names = [key_name(press) for press in presses]
        for press, name in zip(presses, names):
            if name is None:
                raise KeymapError(f"{entry}: {press!r} is not a key Textual knows", KEY_HELP)
        out.append(" ".join(names))
    return ",".join(out)


def key_name(key: str) -> str | None:
    """Textual's name of ``key`` ("?" -> question_mark, "ctrl+s" stays), or None when Textual never
    sends such a key (a binding to it would never fire)."""
    *modifiers, base = key.split("+")
    if not base or any(m not in MODIFIERS for m in modifiers):
        return None
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            return None
        base = _character_to_key(base)
    elif base not in NAMED_KEYS and not _names_a_character(base):
        return None
    return "+".join(modifiers + [base])


def _names_a_character(name: str) -> bool:
    """Whether Textual sends ``name`` for a printable character (slash for /, question_mark for ?)."""
    character = key_to_character(REPLACED_KEYS.get(name, name))
    return (character is not None and len(character) == 1 and character.isprintable()
            and _character_to_key(character) == name)


def _check_conflicts(keys: dict[str, str], entries: dict[str, tuple[int, str]]) -> None:
    """No key may serve two ids, and no single key may be the first key of another id's sequence (the
    app would wait for a second key and never run the single one)."""
    owners: dict[str, list[str]] = {}
    for binding_id, value in keys.items():
        for key in dict.fromkeys(value.split(",")):
            owners.setdefault(key, []).append(binding_id)
    for key, ids in owners.items():
        if len(ids) > 1:
            _conflict(ids[0], ids[1], key, entries)
        first = key.split(" ")[0]
        others = [i for i in owners.get(first, []) if i != ids[0]] if " " in key else []
        if others:
            _conflict(ids[0], others[0], first, entries)


def _conflict(one: str, other: str, key: str, entries: dict[str, tuple[int, str]]) -> None:
    """Name the entry set last (the file the shifter changed) first, and the one it collides with."""
    earlier, later = sorted((one, other), key=lambda i: entries[i][0])
    raise KeymapError(f"{entries[later][1]}: the key {key!r} is also bound to {earlier} "
                      f"({entries[earlier][1]})",
                      f"bind {later} or {earlier} to another key")


def textual_keymap(keys: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Split into (single keys for App.set_keymap, two-key sequences the app handles itself)."""
    single, sequences = {}, {}
    for binding_id, value in keys.items():
        parts = [k for k in value.split(",") if k]
        plain = [k for k in parts if " " not in k]
        for seq in (k for k in parts if " " in k):
            sequences[seq] = binding_id
        single[binding_id] = ",".join(plain) if plain else "f24"  # only a sequence: park the plain key
    return single, sequences
