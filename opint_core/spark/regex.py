"""Python (``re``) and RE2 (pyarrow.compute) patterns rewritten as java.util.regex patterns, for
Spark SQL's ``regexp_replace`` / ``regexp_extract`` / ``rlike``.

The rewrite is purely syntactic; the constructs opint's patterns use mean the same in both engines
once these differences are taken care of:

* verbose mode (``re.X``): Java's COMMENTS flag also ignores whitespace *inside* character
  classes (Python keeps it: ``[ ]`` is a space), so the pattern is de-verbosed here instead:
  whitespace and ``#`` comments outside classes are dropped, everything else is kept;
* ``(?P<name>…)`` -> ``(?<name>…)``, ``(?P=name)`` -> ``\\k<name>`` (Java names: letters and digits);
* inside a class, Java reads an unescaped ``[`` as a nested class and ``&&`` as an intersection:
  both are escaped; a ``]`` first in a class is literal in Python and escaped for Java;
* a ``{`` that does not start a quantifier is literal in Python and an error in Java: escaped;
* ``\\Z`` (Python: end of text) -> ``\\z``; RE2's ``$`` (end of text, not before a final newline)
  -> ``\\z``; ``\\v`` is a vertical tab in Python and a class in Java -> ``\\x0B``;
* line terminators: Java's ``.``/``$`` know ``\\r``, ``\\u0085``, ``\\u2028``…; ``(?d)`` (UNIX_LINES)
  makes ``\\n`` the only one, as in Python and RE2;
* ``re.IGNORECASE`` -> ``(?i)``, ``re.DOTALL`` -> ``(?s)``, ``re.MULTILINE`` -> ``(?m)``.

What is *not* the same: Python's ``\\w``, ``\\d``, ``\\s``, ``\\b`` and case folding are Unicode-aware,
Java's (without ``(?U)``) are ASCII; and Java's ``(?U)`` classes differ from Python's in details
(combining marks, ``No`` digits). So a Java rewrite is exact on ASCII text only: the Spark job masks
ASCII messages with it and everything else with Python's ``re`` (the same pattern text).
"""
from __future__ import annotations

import re

_QUANT = re.compile(r"\{(\d+)(,(\d*))?\}|\{,(\d+)\}")
_NAME_OK = re.compile(r"[A-Za-z][A-Za-z0-9]*$")


class RegexTranslationError(ValueError):
    """A construct the translation does not know how to rewrite."""


def to_java(pattern: str, flags: int = 0, *, flavor: str = "python") -> str:
    """The java.util.regex form of ``pattern`` (a Python ``re`` pattern with ``flags``, or an RE2
    pattern as pyarrow.compute takes it with ``flavor="re2"``)."""
    if flavor not in ("python", "re2"):
        raise ValueError(f"unknown regex flavor {flavor!r}")
    verbose = bool(flags & re.VERBOSE)
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise RegexTranslationError("pattern ends with a lone backslash")
            out.append(_escape(pattern[i + 1], flavor))
            i += 2
        elif c == "[":
            i = _char_class(pattern, i, out)
        elif verbose and c in " \t\n\r\f\v":
            i += 1
        elif verbose and c == "#":
            j = pattern.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "(" and pattern.startswith("(?P<", i):
            j = pattern.index(">", i)
            name = pattern[i + 4:j]
            if not _NAME_OK.match(name):
                raise RegexTranslationError(f"group name {name!r} is not valid in Java (letters and digits only)")
            out.append(f"(?<{name}>")
            i = j + 1
        elif c == "(" and pattern.startswith("(?P=", i):
            j = pattern.index(")", i)
            out.append(f"\\k<{pattern[i + 4:j]}>")
            i = j + 1
        elif c == "(" and pattern.startswith("(?#", i):
            i = pattern.index(")", i) + 1          # comment group
        elif c == "{":
            m = _QUANT.match(pattern, i)
            if m and out and out[-1] not in ("(", "|"):
                text = m.group(0)
                out.append("{0," + m.group(4) + "}" if m.group(4) else text)
                i = m.end()
            else:
                out.append("\\{")
                i += 1
        elif c == "}":
            out.append("\\}")
            i += 1
        elif c == "$" and flavor == "re2" and not flags & re.MULTILINE:
            out.append("\\z")
            i += 1
        else:
            out.append(c)
            i += 1
    prefix = "(?d"
    if flags & re.IGNORECASE:
        prefix += "i"
    if flags & re.DOTALL:
        prefix += "s"
    if flags & re.MULTILINE:
        prefix += "m"
    return prefix + ")" + "".join(out)


def _escape(ch: str, flavor: str) -> str:
    if ch == "Z" and flavor == "python":
        return "\\z"
    if ch == "v":
        return "\\x0B"
    if ch in "AbBdDsSwWz" or not ch.isalnum():
        return "\\" + ch
    if ch in "tnrfae":
        return "\\" + ch
    if ch in "xu0123456789":
        return "\\" + ch   # hex/unicode escapes and back-references read the same
    raise RegexTranslationError(f"no Java equivalent known for the escape \\{ch}")


def _char_class(pattern: str, i: int, out: list[str]) -> int:
    """Copy the class starting at pattern[i] == '['; return the index after its ']'."""
    n = len(pattern)
    buf = ["["]
    i += 1
    if i < n and pattern[i] == "^":
        buf.append("^")
        i += 1
    first = True
    while i < n:
        c = pattern[i]
        if c == "]" and not first:
            buf.append("]")
            out.append("".join(buf))
            return i + 1
        if c == "\\":
            if i + 1 >= n:
                raise RegexTranslationError("pattern ends inside a character class")
            nxt = pattern[i + 1]
            buf.append("\\x0B" if nxt == "v" else "\\" + nxt)
            i += 2
        elif c in "[]&":
            buf.append("\\" + c)   # nested class / literal ] / intersection in Java
            i += 1
        else:
            buf.append(c)
            i += 1
        first = False
    raise RegexTranslationError("unterminated character class")
