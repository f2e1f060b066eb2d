"""Keymaps: TOML files mapping binding ids to keys. keymaps/default.toml is the base of every keymap;
a named keymap (vim) or a user file overrides single ids, and may name its own base."""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import opint_core as core

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class KeymapError(core.OpintError, ValueError):
    """A keymap that cannot be used; the message names the file (the command line reports it as it
    reports the core's errors)."""


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("keymaps").iterdir() if p.name.endswith(".toml"))


def _read(name_or_path: str) -> tuple[dict, str]:
    if name_or_path in builtin_names():
        origin = f"built-in keymap {name_or_path!r}"
        text = resources.files("keymaps").joinpath(f"{name_or_path}.toml").read_text(encoding="utf-8")
    else:
        path = Path(name_or_path).expanduser()
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise KeymapError(f"cannot read the keymap {name_or_path!r} ({e.strerror or e}): "
                              f"use one of {', '.join(builtin_names())} or a path to a TOML file") from None
    try:
        return tomllib.loads(text), origin
    except tomllib.TOMLDecodeError as e:
        raise KeymapError(f"the keymap {origin} is not valid TOML: {e}") from None


def load_keymap(name_or_path: str = "default", _seen: tuple = ()) -> dict[str, str]:
    """Binding id -> keys, with every base applied first (default at the bottom)."""
    if name_or_path in _seen:
        raise KeymapError(f"keymap base loop: {' -> '.join(_seen + (name_or_path,))}")
    data, origin = _read(name_or_path)
    base = data.get("base", None if name_or_path == "default" else "default")
    keys = load_keymap(base, _seen + (name_or_path,)) if base else {}
    bindings = data.get("bindings", {})
    if not isinstance(bindings, dict):
        raise KeymapError(f"the keymap {origin} needs a [bindings] table of id = \"keys\"")
    known = set(keys) or set(bindings)
    for binding_id, value in bindings.items():
        if not isinstance(value, str) or not value.strip():
            raise KeymapError(f"{origin}: {binding_id} must be a string of keys, got {value!r}")
        if binding_id not in known:
            raise KeymapError(f"{origin}: unknown binding id {binding_id!r}; known ids: {', '.join(sorted(known))}")
        keys[binding_id] = ",".join(k.strip() for k in value.split(","))
    return keys


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
