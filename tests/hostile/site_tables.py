"""Hostile site table files (the ``sites = "path"`` setting, issue 12): each case is a file that
``read_site_table`` must refuse with a SiteTableError naming the file, the line and what is wrong.

``write(case, directory)`` writes the case's bytes to ``<directory>/<case.name>.csv`` and returns the path."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SiteTableCase:
    name: str
    content: bytes
    message: str   # what the message says after "line N of the site table <path>" ("{path}" stands for the file)
    remedy: str

    def __str__(self) -> str:
        return self.name

    def write(self, directory: Path) -> Path:
        path = directory / f"{self.name}.csv"
        path.write_bytes(self.content)
        return path


_FORMAT = "write one alias per line as `alias, WLCG site, where it comes from`"
_NO_SITE = "add the WLCG site after a comma"

CASES = (
    SiteTableCase("alias_without_site", b"# mine\nT1_DE_KIT\n", "line 2 of the site table {path}: 'T1_DE_KIT' has no site",
                  _NO_SITE),
    SiteTableCase("empty_site", b"T2_CH_CERN, CERN-PROD\nT1_DE_KIT,  , CMS\n",
                  "line 2 of the site table {path}: 'T1_DE_KIT' has no site", _NO_SITE),
    SiteTableCase("empty_alias", b", FZK-LCG2\n", "line 1 of the site table {path}: ', FZK-LCG2' is not `alias, site",
                  _FORMAT),
    SiteTableCase("spaces_in_a_name", b"T1 DE KIT, FZK-LCG2\n",
                  "line 1 of the site table {path}: 'T1 DE KIT, FZK-LCG2' is not `alias, site", _FORMAT),
    SiteTableCase("domain_without_dot", b"*gridka.de, FZK-LCG2\n",
                  "line 1 of the site table {path}: '*gridka.de, FZK-LCG2' is not `alias, site", _FORMAT),
    SiteTableCase("toml_instead_of_lines", b'[sites]\nT1_DE_KIT = "FZK-LCG2"\n',
                  "line 1 of the site table {path}: '[sites]' is not `alias, site", _FORMAT),
    SiteTableCase("terminal_escape_in_site", b"T1_DE_KIT, FZK\x1b]52;c;cm0gLXJmIH4=\x07\n",
                  "line 1 of the site table {path}: 'T1_DE_KIT, FZK\\x1b]52;c;cm0gLXJmIH4=\\x07' is not", _FORMAT),
    SiteTableCase("alias_for_two_sites", b"T1_DE_KIT, FZK-LCG2\nt1_de_kit, CERN-PROD\n",
                  "line 2 of the site table {path}: 't1_de_kit' is mapped to 'CERN-PROD', but line 1 maps it to "
                  "'FZK-LCG2'", "keep one of the two lines"),
    SiteTableCase("site_that_is_an_alias", b"T1_DE_KIT, FZK-LCG2\nFZK-LCG2, GridKa\n",
                  "line 1 of the site table {path}: 'FZK-LCG2' is a site here, but line 2 makes it an alias of "
                  "'GridKa'", "map the aliases to 'GridKa' directly, or remove line 2"),
    SiteTableCase("latin_1", b"T1_DE_KIT, FZK-LCG2\nT2_FR_GRIF, GRIF-\xe9\n",
                  "line 2 of the site table {path} is not UTF-8 text (byte 0xe9 at offset 37)", "save the file as UTF-8"),
    SiteTableCase("utf_16", "T1_DE_KIT, FZK-LCG2\n".encode("utf-16"),
                  "line 1 of the site table {path} is not UTF-8 text (byte 0xff at offset 0)", "save the file as UTF-8"),
)
