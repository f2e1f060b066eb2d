"""~/.config/opint/config.toml (platformdirs; OPINT_CONFIG overrides the path).

    archive = "hdfs://analytix"   # any archive URI or local path
    source = "fts"                # fts | rucio
    store = "/eos/.../opint-team" # triage store directory (default: the user data dir)
    keymap = "default"            # default | vim | a path to a keymap file
    spark_master = "yarn"         # --spark: where the Spark job runs (yarn on analytix, local[2] on a laptop)
    sites = "~/my-sites.csv"      # a site table laid over the shipped one (opint_core.sites): its lines win
    causes = "~/team-causes.toml" # known causes laid over the shipped ones (opint_core.causes): same id replaces
    vo = "cms"                    # the scope: one VO, several ("atlas,cms" or ["atlas", "cms"]), or "all"
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import platformdirs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from opint_core.load.archive import DEFAULT_ARCHIVE
from opint_core.load.scope import parse_vos
from opint_core.errors import OpintError


class ConfigError(OpintError, ValueError):
    """The config file exists but cannot be used; the message names it."""


@dataclass
class Config:
    archive: str = DEFAULT_ARCHIVE
    source: str = "fts"
    store: str | None = None
    keymap: str = "default"
    spark_master: str = "yarn"
    sites: str | None = None
    causes: str | None = None
    vo: tuple[str, ...] = ()   # the scope (opint_core.load.scope.parse_vos); empty: every VO
    path: Path | None = None


def config_path() -> Path:
    return Path(os.environ.get("OPINT_CONFIG") or Path(platformdirs.user_config_dir("opint")) / "config.toml")


#: What each setting must hold, for the message about an empty one.
_EXPECTED = {
    "archive": "an archive URI or path",
    "source": '"fts" or "rucio"',
    "store": "the triage store directory",
    "keymap": '"default", "vim" or the path of a keymap file',
    "spark_master": 'a Spark master, such as "yarn" or "local[2]"',
    "sites": "the path of a site table file (lines of `alias, WLCG site, source`)",
    "causes": "the path of a cause file (TOML, one [[cause]] table per known cause)",
    "vo": 'a VO such as "cms", several ("atlas,cms" or ["atlas", "cms"]), or "all"',
}


def load_config(path: str | os.PathLike | None = None) -> Config:
    path = Path(path) if path else config_path()
    config = Config(path=path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return config
    except OSError as e:
        raise ConfigError(f"cannot read the config file {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"the config file {path} is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset "
                          f"{e.start})", "save it as UTF-8, or remove it to use the defaults") from None
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"the config file {path} is not valid TOML ({e}): fix or remove it") from None
    known = {f.name for f in fields(Config)} - {"path"}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r} in {path}: known settings are {', '.join(sorted(known))}")
        if key == "vo":
            config.vo = _vo_setting(value, path)
            continue
        if not isinstance(value, str):
            raise ConfigError(f"the setting {key!r} in {path} must be a string, got {value!r}")
        if not value.strip():  # "" would mean the current directory, or nothing at all
            raise ConfigError(f"the setting {key!r} in {path} is empty",
                              f"set it to {_EXPECTED.get(key, 'a value')}, or remove the line to use the default")
        setattr(config, key, value)
    if config.source not in ("fts", "rucio"):
        raise ConfigError(f"source = {config.source!r} in {path}: use \"fts\" or \"rucio\"")
    return config


def _vo_setting(value, path: Path) -> tuple[str, ...]:
    """The scope of ``vo = …``: a string (names separated by commas) or a list of strings."""
    names = value if isinstance(value, list) else [value]
    if not all(isinstance(n, str) for n in names):
        raise ConfigError(f"the setting 'vo' in {path} must be a string or a list of strings, got {value!r}",
                          f"set it to {_EXPECTED['vo']}")
    if not any(n.strip(" ,") for n in names):
        raise ConfigError(f"the setting 'vo' in {path} is empty",
                          f"set it to {_EXPECTED['vo']}, or remove the line to see every VO")
    return parse_vos(names)
