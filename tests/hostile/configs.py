"""Hostile and unlucky config files (``config.toml``), one named case per class of issue 18 and the
classes that already held up: each is the file's bytes and what ``load_config`` must say about it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConfigCase:
    name: str
    content: bytes
    message: str       # what the ConfigError's message says ("{path}" stands for the file)
    remedy: str = ""   # what its remedy says, where it has one
    new: bool = True   # a class of issue 18 (False: one that already held up)

    def write(self, directory: Path) -> Path:
        path = directory / "config.toml"
        path.write_bytes(self.content)
        return path


SETTINGS = ("archive", "source", "store", "keymap", "spark_master", "sites")

CONFIG_CASES = [
    ConfigCase("store-empty", b'store = ""\n', "the setting 'store' in {path} is empty",
               "set it to the triage store directory, or remove the line to use the default"),
    ConfigCase("store-blank", b'archive = "/data/archive"\nstore = "   "\n', "the setting 'store' in {path} is empty",
               "set it to the triage store directory, or remove the line to use the default"),
    *(ConfigCase(f"{name}-empty", f'{name} = ""\n'.encode(), f"the setting '{name}' in {{path}} is empty",
                 "or remove the line to use the default") for name in SETTINGS if name != "store"),
    ConfigCase("latin-1", b'store = "/eos/user/j/jos\xe9/opint"\n',
               "the config file {path} is not UTF-8 text (byte 0xe9 at offset 24)",
               "save it as UTF-8, or remove it to use the defaults"),
    ConfigCase("utf-16", 'store = "/eos/opint"\n'.encode("utf-16"),
               "the config file {path} is not UTF-8 text (byte 0xff at offset 0)",
               "save it as UTF-8, or remove it to use the defaults"),
    # the VO scope (issue 12): a name, a comma list or a list of names
    *(ConfigCase(f"vo-{name}", content, f"the setting 'vo' in {{path}} {said}", 'a VO such as "cms", several')
      for name, content, said in (("empty", b'vo = ""\n', "is empty"), ("only-commas", b'vo = " , "\n', "is empty"),
                                  ("number", b"vo = 3\n", "must be a string or a list of strings, got 3"),
                                  ("list-with-a-table", b'vo = ["cms", {x = 1}]\n', "must be a string or a list"))),
    # these held up already
    ConfigCase("not-toml", b"store = /eos/opint\n", "the config file {path} is not valid TOML", new=False),
    ConfigCase("escape-and-nul", b'store = "\x1b[2J\x00"\n', "the config file {path} is not valid TOML", new=False),
    ConfigCase("unknown-setting", b'stroe = "/eos/opint"\n', "unknown setting 'stroe' in {path}", new=False),
    ConfigCase("not-a-string", b"store = 7\n", "the setting 'store' in {path} must be a string, got 7", new=False),
    ConfigCase("bad-source", b'source = "gridftp"\n', "source = 'gridftp' in {path}", new=False),
]
