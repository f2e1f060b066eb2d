"""The site table: every name a site goes by (CMS site, ATLAS RSE prefix, LHCb/DIRAC site, storage host,
domain) mapped to its WLCG site, the ``rcsite`` of CRIC.

A table file holds one alias per line, ``alias, site[, source]``; ``#`` starts a comment line. An alias
``*.example.org`` is a domain: any host under it (the longest listed domain wins). The shipped table
(``sites.csv`` beside this module) says where each pairing comes from; a user file in the same format is
laid over it, and its lines win.

Lookups are done once per distinct string (``canonical_array`` dictionary-encodes), never per row.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from opint_core.errors import OpintError

SHIPPED = "sites.csv"
_DOMAIN = "*."
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PORT = re.compile(r":\d+$")
_MEMO_LIMIT = 200_000
_FORMAT_HELP = ("write one alias per line as `alias, WLCG site, where it comes from` (names are letters, digits, "
                "'.', '_' and '-'; a domain is written *.example.org; # starts a comment)")


class SiteTableError(OpintError, ValueError):
    """A site table file cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class SiteEntry:
    alias: str
    site: str
    line: int
    source: str = ""   # where the pairing comes from (the third field)

    @property
    def is_domain(self) -> bool:
        return self.alias.startswith(_DOMAIN)


# ---- reading a table file

def parse_site_table(text: str, origin: str) -> list[SiteEntry]:
    """The entries of a table file's text; ``origin`` names the file in errors."""
    entries: list[SiteEntry] = []
    for number, line in enumerate(text.split("\n"), start=1):   # numbered as an editor does (not splitlines)
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            entries.append(_entry(stripped, number, origin))
    _check_consistent(entries, origin)
    return entries


def _entry(line: str, number: int, origin: str) -> SiteEntry:
    fields = [f.strip() for f in line.split(",", 2)]
    alias, site = fields[0], fields[1] if len(fields) > 1 else ""
    where = f"line {number} of the site table {origin}"
    if _is_alias(alias) and not site:
        raise SiteTableError(f"{where}: {alias!r} has no site",
                             "add the WLCG site after a comma (e.g. `T1_DE_KIT, FZK-LCG2`), or remove the line")
    if not _is_alias(alias) or not _NAME.fullmatch(site):
        raise SiteTableError(f"{where}: {_shown(line)} is not `alias, site[, source]`", _FORMAT_HELP)
    return SiteEntry(alias, site, number, fields[2] if len(fields) > 2 else "")


def _shown(line: str, limit: int = 80) -> str:
    # a binary file read as text can have one huge line: the message shows its start
    return repr(line) if len(line) <= limit else repr(line[:limit]) + "…"


def _is_alias(alias: str) -> bool:
    name = alias[len(_DOMAIN):] if alias.startswith(_DOMAIN) else alias
    return bool(_NAME.fullmatch(name))


def _check_consistent(entries: list[SiteEntry], origin: str) -> None:
    """One file names each alias for one site only, and a site of one line is no alias of another site."""
    first: dict[str, SiteEntry] = {}
    for entry in entries:
        seen = first.setdefault(entry.alias.lower(), entry)
        if seen.site.lower() != entry.site.lower():
            raise SiteTableError(
                f"line {entry.line} of the site table {origin}: {entry.alias!r} is mapped to {entry.site!r}, "
                f"but line {seen.line} maps it to {seen.site!r}", "keep one of the two lines")
    for entry in entries:
        other = first.get(entry.site.lower())
        if other is not None and not other.is_domain and other.site.lower() != entry.site.lower():
            raise SiteTableError(
                f"line {entry.line} of the site table {origin}: {entry.site!r} is a site here, but line "
                f"{other.line} makes it an alias of {other.site!r}",
                f"map the aliases to {other.site!r} directly, or remove line {other.line}")


def read_site_table(path: str | os.PathLike) -> list[SiteEntry]:
    """The entries of a user's table file; every problem with it is a SiteTableError naming it."""
    path = Path(os.path.expanduser(path))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SiteTableError(f"the site table {path} does not exist",
                             "fix the path of `sites = ...` in the config file, or remove the setting to use "
                             "the shipped table only") from None
    except OSError as e:
        raise SiteTableError(f"cannot read the site table {path}: {e.strerror or e}",
                             "make it a readable file, or remove `sites = ...` from the config file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise SiteTableError(f"line {line} of the site table {path} is not UTF-8 text (byte "
                             f"0x{raw[e.start]:02x} at offset {e.start})", "save the file as UTF-8") from None
    return parse_site_table(text, str(path))


@lru_cache(maxsize=1)
def shipped_entries() -> tuple[SiteEntry, ...]:
    text = resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8")
    return tuple(parse_site_table(text, f"shipped with opint ({SHIPPED})"))


# ---- the table

class SiteTable:
    """Aliases -> WLCG site. Later layers of entries win over earlier ones (the user's over the shipped)."""

    def __init__(self, *layers: list[SiteEntry] | tuple[SiteEntry, ...]) -> None:
        merged: dict[str, SiteEntry] = {}
        for layer in layers:
            merged.update((entry.alias.lower(), entry) for entry in layer)
        self._exact: dict[str, str] = {}
        self._domains: dict[str, str] = {}
        self._names: dict[str, set[str]] = {}
        for key, entry in merged.items():
            site = self._renamed(entry.site, merged)
            if entry.is_domain:
                self._domains[key[len(_DOMAIN):]] = site
            else:
                self._exact[key] = site
            self._names.setdefault(site, {site}).add(entry.alias)
        for site in self._names:   # every site is an alias of itself, unless a line says otherwise
            self._exact.setdefault(site.lower(), site)
        self._memo: dict[str, str | None] = {}

    @staticmethod
    def _renamed(site: str, merged: dict[str, SiteEntry]) -> str:
        # a later layer may rename a site ("FZK-LCG2, GridKa"): the site's other aliases follow it
        entry = merged.get(site.lower())
        return entry.site if entry is not None and not entry.is_domain else site

    @property
    def sites(self) -> frozenset[str]:
        return frozenset(self._names)

    def canonical(self, name_or_host: str | None) -> str | None:
        """The WLCG site of an experiment name, RSE, host (``host:port`` too) or None when no alias is known."""
        if not name_or_host:
            return None
        try:
            return self._memo[name_or_host]
        except KeyError:
            if len(self._memo) >= _MEMO_LIMIT:   # the shipped table lives as long as the process
                self._memo.clear()
            site = self._memo[name_or_host] = self._lookup(name_or_host.strip().lower())
            return site

    def _lookup(self, key: str) -> str | None:
        if key in self._exact:
            return self._exact[key]
        if "." in key:
            return self._by_domain(_PORT.sub("", key))
        return self._by_prefix(key)

    def _by_domain(self, host: str) -> str | None:
        if host in self._exact:
            return self._exact[host]
        labels = host.split(".")
        for start in range(len(labels)):   # longest domain first; "gridka.de" itself counts too
            site = self._domains.get(".".join(labels[start:]))
            if site is not None:
                return site
        return None

    def _by_prefix(self, name: str) -> str | None:
        # RSEs are a site name plus "_" parts: FZK-LCG2_DATADISK, T1_US_FNAL_Disk (as the CMS VO-feed strips them)
        while "_" in name:
            name = name.rsplit("_", 1)[0]
            if name in self._exact:
                return self._exact[name]
        return None

    def names_of(self, site: str) -> set[str]:
        """Every name of ``site`` (given by any of its names), itself included; a site no table knows has one."""
        canonical = self.canonical(site) or site
        return set(self._names.get(canonical, ())) | {canonical}

    def matches(self, query: str, site: str) -> bool:
        """Whether ``query`` is part of any name of ``site``, ignoring case ("KIT" matches FZK-LCG2)."""
        wanted = query.strip().lower()
        return not wanted or any(wanted in name.lower() for name in self.names_of(site))

    def canonical_array(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """``canonical`` of each value (null where unknown or null), looked up once per distinct value."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
        encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
        sites = pa.array([self.canonical(v) for v in encoded.dictionary.to_pylist()], pa.string())
        return sites.take(encoded.indices)

    def first_canonical(self, *candidates: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Per row, the site of the first candidate that the table knows (e.g. the RSE, then the host),
        null where none is known: the caller then keeps the name it derives itself."""
        return pc.coalesce(*(self.canonical_array(c) for c in candidates))


def default_site_table(user_file: str | os.PathLike | None = None) -> SiteTable:
    """The shipped table, with the user's file (the config's ``sites`` setting) laid over it."""
    if user_file is None:
        return _shipped_table()
    return SiteTable(shipped_entries(), read_site_table(user_file))


@lru_cache(maxsize=1)
def _shipped_table() -> SiteTable:
    return SiteTable(shipped_entries())
