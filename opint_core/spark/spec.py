"""The job spec: everything opint-specific the Spark job needs, generated from opint's own
definitions so that there is one of each: the fields read (``records.RAW_SCHEMAS``), the failure
filters and field regexes (``records``), and the masking rules (``clustering.masking``), each
regex both as Python text (for Python's ``re``) and in Java syntax (for Spark SQL)."""
from __future__ import annotations

import pyarrow as pa

from opint_core.load import records
from opint_core.load.schema import TIME_MAX_MS, TIME_MIN_MS, TRAFFIC_KEYS, UNKNOWN
from opint_core.clustering import masking
from opint_core.spark.regex import to_java

SPEC_VERSION = 1
DEFAULT_SAMPLES = 20   # raw messages kept per template (the most frequent, with exact counts)


def _fields(schema: pa.Schema | pa.StructType) -> dict:
    out = {}
    for f in schema:
        out[f.name] = _fields(f.type) if pa.types.is_struct(f.type) else "string"
    return out


def _python_spaces() -> str:
    """A Java class of every character Python's str.split() splits on (Unicode White_Space and
    the ASCII separators \\x1c-\\x1f), so that the job collapses exactly the same runs."""
    chars = [c for c in range(0x110000) if chr(c).isspace()]
    return "[" + "".join(f"\\x{{{c:x}}}" for c in chars) + "]+"


def masking_spec() -> dict:
    rx = masking._MASK_RE
    if "keep" not in rx.groupindex:
        raise ValueError("the masking regex has no 'keep' group: update opint_core.spark.spec")
    return {
        "python": rx.pattern, "python_flags": int(rx.flags), "java": to_java(rx.pattern, rx.flags),
        "keep_group": "keep",
        "ctrl_python": masking._CTRL_RE.pattern, "ctrl_java": to_java(masking._CTRL_RE.pattern, masking._CTRL_RE.flags),
        "adjacent_python": masking._ADJ_RE.pattern,
        "adjacent_java": to_java(masking._ADJ_RE.pattern, masking._ADJ_RE.flags),
        "space_java": _python_spaces(),
        "wildcard": masking.WILDCARD, "empty": masking.EMPTY_PATTERN, "max_chars": masking.MAX_CHARS,
    }


def records_spec(stream: str) -> dict:
    """The failure filter and field regexes of opint_core.load.records (RE2, as pyarrow.compute runs
    them) in Java syntax; the job maps the fields of ``stream`` as records.to_error_table does."""
    re2 = lambda p: to_java(p, flavor="re2")  # noqa: E731
    return {
        "failure_field": "t_final_transfer_state_flag",      # FTS: == 0 (Error)
        "failure_regex": re2(r"failed$"),                   # Rucio: event types ending in "failed"
        "host_of_url": re2(records._HOST_OF_URL),
        "l0_wrapper": re2(records._L0_WRAPPER),
        "iso_time": re2(records._ISO_TIME),
        "epoch_digits": re2(r"^\d{9,13}$"),
        "cms_site": re2(records._CMS_SITE),
        "rse_site": re2(records._RSE_SITE),
        "time_min_ms": TIME_MIN_MS, "time_max_ms": TIME_MAX_MS,   # the times the time column may hold
    }


def build_spec(parts: list[dict], out: str, *, name: str = "opint", samples: int = DEFAULT_SAMPLES,
               log_level: str = "WARN") -> dict:
    """``parts``: [{"name", "stream", "files": [URI, ...], optional "samples"}, ...] -- the job
    counts each part on its own (the selected days; the baseline days); ``out``: the output URI."""
    streams = sorted({p["stream"] for p in parts})
    for stream in streams:
        if stream not in records.RAW_SCHEMAS:
            raise ValueError(f"unknown stream {stream!r}")
    return {
        "version": SPEC_VERSION, "name": name, "out": out,
        "parts": [{**p, "samples": int(p.get("samples", samples))} for p in parts],
        "fields": {s: _fields(records.RAW_SCHEMAS[s]) for s in streams},
        "records": {s: records_spec(s) for s in streams},
        "mask": masking_spec(), "log_level": log_level,
        "traffic": {"keys": list(TRAFFIC_KEYS[1:]), "unknown": UNKNOWN},   # the hour comes first
    }
