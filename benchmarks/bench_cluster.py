#!/usr/bin/env python3
"""Clustering speed and memory: opint vs Drain3 (defaults) vs a pandas.factorize floor.

Builds 1,000,000 messages from the real FTS messages in ../shared/data/fts-10k with their variable
values randomised (new hosts, paths, numbers, ids), in two mixes:
    realistic   about 5 % distinct strings (a real day: 4.72 M failures, 271,795 distinct)
    worst       about 25 % distinct strings
The variable spans of each real message come from its ground-truth template (fts_10K_labels.csv),
so the randomisation does not depend on opint's own masking.  Within a span, digits become random
digits and letters random letters (same length and punctuation); URL schemes and the top-level
domain of host names are kept, so a host still looks like a host.

Each contender runs in its own subprocess on the same pickled list of str; the child reports the
wall time and the CPU time of the call (CPU time is the fairer figure on a shared machine) and its
peak RSS (ru_maxrss), also relative to the RSS after loading the input ("+MB").  Each contender
runs --repeat times (default 3); the fastest run is shown, with the highest peak of the runs.
Drain3 is measured on a prefix (default 200,000 messages: it is slow and its per-message cost does
not fall with size); its msg/s is per message of that prefix.

Usage (from the project root):  .venv/bin/python benchmarks/bench_cluster.py [--n 1000000]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import random
import re
import resource
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "fts-10k", "fts_10K_labels.csv")

_KEEP_LABEL_RE = re.compile(r"\b[a-z][a-z0-9+.\-]*:/+|\.[A-Za-z]{2,6}(?=$|[:/])")


def _load_real(path: str) -> list[tuple[str, list[tuple[int, int]]]]:
    """(normalised message, variable spans) for each real message."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            msg = " ".join(row["message"].split())
            parts = row["template"].split("<*>")
            rx = "^" + "(.+?)".join(re.escape(p) for p in parts) + "$"
            m = re.match(rx, msg, re.S) if len(parts) > 1 else None
            spans = [m.span(i) for i in range(1, len(parts))] if m else []
            out.append((msg, spans))
    return out


_HEX_RE = re.compile(r"[0-9a-f]+|[0-9A-F]+")


def _mutate_value(value: str, rng: random.Random) -> str:
    keep = {i for m in _KEEP_LABEL_RE.finditer(value) for i in range(*m.span())}
    if _HEX_RE.fullmatch(value) and not value.isdigit():   # checksums and hex ids stay hex
        alphabet = "0123456789abcdef" if value.lower() == value else "0123456789ABCDEF"
        return "".join(rng.choice(alphabet) for _ in value)
    chars = []
    for i, ch in enumerate(value):
        if i in keep:
            chars.append(ch)
        elif ch.isdigit():
            chars.append(rng.choice(string.digits))
        elif "a" <= ch <= "z":
            chars.append(rng.choice(string.ascii_lowercase))
        elif "A" <= ch <= "Z":
            chars.append(rng.choice(string.ascii_uppercase))
        else:
            chars.append(ch)
    return "".join(chars)


def _variant(msg: str, spans, rng: random.Random) -> str:
    if not spans:
        return msg
    out, last = [], 0
    for a, b in spans:
        out.append(msg[last:a])
        out.append(_mutate_value(msg[a:b], rng))
        last = b
    out.append(msg[last:])
    return "".join(out)


def build(n: int, distinct_share: float, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    real = _load_real(DATA)
    target = max(1, int(n * distinct_share))
    variants: dict[str, None] = {}
    for msg, _ in real:                      # the real strings themselves
        variants.setdefault(msg)
    tries = 0
    while len(variants) < target and tries < target * 20:
        msg, spans = real[rng.randrange(len(real))]   # real frequency of each message kind
        variants.setdefault(_variant(msg, spans, rng))
        tries += 1
    pool = list(variants)
    # every variant at least once, the rest drawn with the real skew: a few variants are hot
    messages = pool + [pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)]
                       if rng.random() < 0.5 else pool[rng.randrange(len(pool))]
                       for _ in range(n - len(pool))]
    rng.shuffle(messages)
    return messages[:n]


# ---- contenders, each run in a child process ---------------------------------------------------
def _run_floor(messages):
    import numpy as np
    import pandas as pd
    codes, uniques = pd.factorize(np.asarray(messages, dtype=object))
    return f"{len(uniques)} distinct"


def _run_opint(messages):
    sys.path.insert(0, ROOT)
    from opint_core import cluster
    r = cluster(messages)
    return f"{len(r.templates)} templates, {len(r.categories)} categories"


def _run_drain3(messages):
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig
    config = TemplateMinerConfig()
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    add = miner.add_log_message
    for m in messages:
        add(m)
    return f"{len(miner.drain.clusters)} clusters"


CONTENDERS = {"floor": _run_floor, "opint": _run_opint, "drain3": _run_drain3}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(name: str, path: str, limit: int | None) -> None:
    with open(path, "rb") as f:
        messages = pickle.load(f)
    if limit:
        messages = messages[:limit]
    if name == "opint":  # imports are not part of the measured call
        sys.path.insert(0, ROOT)
        import opint_core  # noqa: F401
        import pandas  # noqa: F401
        import rapidfuzz  # noqa: F401
    elif name == "drain3":
        import drain3  # noqa: F401
    else:
        import pandas  # noqa: F401
    base = _rss_mb()
    c0, t0 = time.process_time(), time.perf_counter()
    info = CONTENDERS[name](messages)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"n": len(messages), "seconds": dt, "cpu": cpu, "peak_mb": _rss_mb(),
                      "base_mb": base, "info": info}))


def _spawn(name: str, path: str, limit: int | None) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, path]
    if limit:
        cmd += ["--limit", str(limit)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--drain3-limit", type=int, default=200_000,
                    help="messages given to Drain3 (a prefix of the same list); 0 = all")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per contender, each in a fresh process; the fastest is shown "
                         "(this machine is shared: the others were disturbed)")
    ap.add_argument("--child", nargs=2, metavar=("CONTENDER", "PICKLE"), help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.limit)
        return 0

    print(f"{'mix':<10} {'contender':<30} {'messages':>9} {'distinct':>8} {'wall s':>7} "
          f"{'msg/s':>10} {'cpu s':>6} {'msg/cpu-s':>10} {'peak MB':>8} {'+MB':>5}  result")
    with tempfile.TemporaryDirectory() as tmp:
        for mix, share in (("realistic", 0.05), ("worst", 0.25)):
            messages = build(args.n, share)
            distinct = len(set(messages))
            path = os.path.join(tmp, f"{mix}.pkl")
            with open(path, "wb") as f:
                pickle.dump(messages, f, protocol=pickle.HIGHEST_PROTOCOL)
            del messages
            rates, cpu_rates = {}, {}
            for name in ("floor", "opint", "drain3"):
                limit = args.drain3_limit if name == "drain3" and args.drain3_limit else None
                runs = [_spawn(name, path, limit) for _ in range(args.repeat)]
                r = min(runs, key=lambda x: x["seconds"])      # the least disturbed run
                r["peak_mb"] = max(x["peak_mb"] for x in runs)
                rate = r["n"] / r["seconds"] if r["seconds"] > 0 else float("inf")
                rates[name] = rate
                cpu_rate = r["n"] / r["cpu"] if r["cpu"] > 0 else float("inf")
                cpu_rates[name] = cpu_rate
                label = {"floor": "floor (pandas.factorize)", "opint": "opint cluster()",
                         "drain3": "Drain3 defaults"}[name]
                if limit and limit < args.n:
                    label += f" [first {limit // 1000}k]"
                print(f"{mix:<10} {label:<30} {r['n']:>9} {distinct:>8} {r['seconds']:>7.2f} "
                      f"{rate:>10,.0f} {r['cpu']:>6.2f} {cpu_rate:>10,.0f} {r['peak_mb']:>8.0f} "
                      f"{r['peak_mb'] - r['base_mb']:>5.0f}  {r['info']}")
            print(f"{mix:<10} opint vs Drain3: {rates['opint'] / rates['drain3']:.1f}x faster "
                  f"(CPU time: {cpu_rates['opint'] / cpu_rates['drain3']:.1f}x); opint takes "
                  f"{rates['floor'] / rates['opint']:.2f}x the floor's time "
                  f"(CPU time: {cpu_rates['floor'] / cpu_rates['opint']:.2f}x)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
