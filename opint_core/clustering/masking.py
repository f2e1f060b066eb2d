"""Masking of the variable parts of log and transfer-error messages.

One combined regular expression finds every variable (URLs of any scheme, SURLs, DNs, e-mails,
UUIDs, IPv4/IPv6 with ports, host[:port], paths, dates and times, durations, hex ids and checksums,
numbers and digit-bearing identifiers) and replaces each by one ``<*>``.  Alternatives are tried
in priority order at each position, so an overlap (a host inside a URL, a number inside a path)
gives one mask, never nested fragments.

Codes that change the meaning stay constant: FTP/HTTP status codes (``451``, ``HTTP 404``,
``500-…`` continuation lines), bracketed protocol codes followed by text (``[3011] No such file``),
``curl error (56)``, errno values, and status names (``SRM_EXCEED_ALLOCATION`` has no digits).

Works on one string at a time; ``mask_batch.mask_many`` masks the distinct strings of a day.
"""
from __future__ import annotations

import re

WILDCARD = "<*>"
EMPTY_PATTERN = "<empty>"

# Protected codes, tried first: they are kept verbatim.
_KEEP = r"""
    (?<=HTTP[ /])[1-5]\d\d\b                          # HTTP 404, HTTP/507
  | (?<=HTTP/1\.[01][ ])[1-5]\d\d\b
  | (?<=\berror[ ])[1-5]\d\d\b(?![.:/\w-]\d)          # ftp: "responded with an error 451"
  | (?<![\w.:/-])[1-5]\d\d(?=-(?:\D|$))               # ftp continuation "500-Command", "530-"
  | (?<![\w.:/-])[1-5]\d\d(?=[ ]End\b)                # ftp last line "500 End."
  | (?<![\w.])\[\d{1,5}\](?=[ ][A-Za-z\[])            # "[3011] No such file", "[70] TRANSFER"
  | (?<=error[ ]\()\d{1,4}(?=\))                      # "curl error (56)"
  | (?i:(?<=errno[ ])|(?<=errno:[ ])|(?<=errno=))\d{1,4}\b
"""

_TLD = (
    "com|org|net|edu|gov|mil|int|info|biz|io|eu|ch|uk|de|fr|it|es|nl|be|at|pl|cz|sk|hu|ro|bg|gr|pt|"
    "se|no|dk|fi|ee|lt|lv|si|hr|rs|ru|ua|by|il|tr|jp|cn|kr|tw|hk|sg|in|pk|my|th|vn|au|nz|ca|us|mx|br|"
    "ar|cl|co|za|ma|eg|ir|sa|ae|local|localdomain|lan|internal|cloud|arpa"
)

_UNIT = r"(?:ms|us|ns|s|sec|secs|m|min|mins|h|hr|hrs|d|b|B|kB|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|k|K|M|G|T|%)"

_SIZE = r"[<>]?[-+]?\d+(?:\.\d+)?[ ]?(?:[KMGTP]i?B|[kKMGTP]b|B|bytes)(?![\w])"

# The alternatives are grouped by the first character a variable can start with, and a match may
# only start where no letter or digit precedes: most positions of a message then fail after one
# or two cheap checks, which keeps masking at a few microseconds per message.
_URL = r"[A-Za-z][A-Za-z0-9+.\-]{1,15}://(?:[^\s<>\"'`]*[^\s<>\"'`.,;:)\]}])?"
_EMAIL = r"[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])"
_IPV6 = r"(?:[0-9a-fA-F]{1,4}:){2,7}(?::|(?::[0-9a-fA-F]{1,4}){1,6}|[0-9a-fA-F]{1,4})(?![\w:])"
_HOST = (r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:" + _TLD + r")(?::\d+)?(?![\w\-])"
         r"|(?:[A-Za-z0-9\-]+\.)+[A-Za-z0-9\-]+:\d{1,5}(?![\w.])")
_HEX = r"(?=[a-fA-F]*\d)[0-9a-fA-F]{6,}(?![\w\-])"
_IDS = (r"(?:[A-Za-z]+[_\-])+[-]?\d[\w\-]*(?![\w\-])"      # blk_-42, rdd_2_1, node-246, task_1445_m_1
        r"|\w*\d{4,}\w*(?![\w\-])")                        # Run2016B, sedsk2810
_MONTH = (r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[ ]+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
          r"[ ]+\d{1,2}(?:[ ]+\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?(?:[ ]+\d{4})?\b(?!:)")
_NUMBER = r"[-+]?\d+(?:[.,:]\d+)*(?:" + _UNIT + r")?(?![\w])"

_VAR = r"""
    # starts with a letter and holds a digit or one of . : @ / _ - \ (URLs, SURLs, e-mails,
    # hosts, UUIDs, IPv6, Windows paths, hex ids, identifiers with digits, versions)
    (?=[A-Za-z])(?=[\w+.\-]*[\d.:@/\-\\])(?:
        """ + _URL + r"""
      | """ + _EMAIL + r"""
      | """ + _UUID + r"""
      | """ + _IPV6 + r"""
      | """ + _HOST + r"""
      | [A-Za-z]:\\[^\s;,'"()<>|]+
      | """ + _HEX + r"""
      | [vV]\d+(?:[.,:]\d+)+\w*(?![\w])
      | """ + _IDS + r"""
    )
    # starts with a letter, no digit: dates, all-hex words (ffffffff), booleans as values
  | (?=[A-Za-z])(?:
        """ + _MONTH + r"""
      | (?:[0-9a-f]{8,}|[0-9A-F]{8,})(?![\w\-])
      | (?<=[=:(\[])(?:true|false|null|None|True|False)\b
      | """ + _EMAIL + r"""
    )
    # starts with a digit
  | (?=\d)(?:
        """ + _UUID + r"""
      | """ + _IPV6 + r"""
      | \d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d+)?(?![\w.])              # IPv4[:port]
      | \d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?!\w)
      | \d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?!\w)                                # clock time
      | """ + _HOST + r"""
      | 0[xX][0-9a-fA-F]+(?!\w)
      | """ + _SIZE + r"""(?:[ ]\(""" + _SIZE + r"""\))?                      # 1024 bytes (1.0 KB)
      | """ + _HEX + r"""                            # after sizes: 13833013 bytes is a size
      | """ + _NUMBER + r"""
      | \d+[a-zA-Z]+\d+\w*(?![\w\-])                                          # 80x25, 1s0ms
      | """ + _EMAIL + r"""
      | \d*\d{4,}\w*(?![\w\-])
      | \d+[_\-][\w\-]*(?![\w\-])
    )
    # starts with / . ~ : DNs, /1.2.3.4:port, paths
  | (?=[/.~])(?:
        (?:/[A-Za-z][\w.]{0,30}=[^/\s,()]*(?:[ ][^/\s,()=]+)*?(?=/[A-Za-z][\w.]{0,30}=))+/[A-Za-z][\w.]{0,30}=[^/\s,()]*
      | /\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\w.])
      | (?<![.:/\-])(?:\.{0,2}|~)/(?:[^\s/:;,'"()<>\[\]{}|]+/?)+
    )
    # [IPv6]:port
  | \[[0-9a-fA-F:.%]*:[0-9a-fA-F:.%]*\](?::\d+)?
    # signed numbers and comparisons: -1, +3, <1 sec
  | (?<![\w.])(?=[-+<>]=?\d)(?:[<>]=?)?(?:""" + _SIZE + r"""|""" + _NUMBER + r""")
"""

_MASK_RE = re.compile(r"(?<![A-Za-z0-9])(?:(?=[\d\[])(?P<keep>" + _KEEP + r")|" + _VAR + r")",
                      re.VERBOSE)
_WS_RE = re.compile(r"\s+")
_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ADJ_RE = re.compile(r"(?:<\*>){2,}")

# Longer than this, a message is cut before masking: FTS truncates at 1024 characters and nobody
# triages the 100th kilobyte of a message; it keeps the per-string work bounded.
MAX_CHARS = 4096


def _sub(m: re.Match) -> str:
    keep = m.group("keep")
    return keep if keep is not None else WILDCARD


def normalize(message: str | None) -> str:
    """Collapse whitespace (gfal2's double spaces, newlines) and drop control characters."""
    if not message:
        return ""
    if len(message) > MAX_CHARS:
        message = message[:MAX_CHARS]
    if not message.isprintable() and _CTRL_RE.search(message):
        message = _CTRL_RE.sub(" ", message)
    return " ".join(message.split())


def mask(message: str | None) -> str:
    """The template of one message: normalised, each variable replaced by one ``<*>``."""
    text = normalize(message)
    return mask_normalized(text) if text else EMPTY_PATTERN


def mask_normalized(text: str) -> str:
    """``mask()`` of a message that is already normalised and not empty."""
    return collapse_wildcards(_MASK_RE.sub(_sub, text))


def collapse_wildcards(text: str) -> str:
    """Adjacent ``<*>`` (variables glued together) become one."""
    return _ADJ_RE.sub(WILDCARD, text) if "<*><*>" in text else text
