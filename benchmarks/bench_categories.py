#!/usr/bin/env python3
"""The category step on many templates: known causes one template and one rule at a time (before) against
one pass per rule over all templates (after), and the whole ``categorize`` call.

    .venv/bin/python benchmarks/bench_categories.py [--templates 270000]

The templates are those opint finds in the real FTS messages of ../shared/data/fts-10k, then variants of
them with one word replaced by random letters until there are --templates of them: ten times the 27 k
templates of a randomised 4 M-record day by default.  A word is what masking keeps, so every variant is
a template of its own; whether it names a known cause depends on the word, as on a real day.
Both ways must give the same known cause for every template (checked).
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import re
import string
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "fts-10k", "fts_10K.csv")
_WORD_RE = re.compile(r"\b[A-Za-z]{4,}\b")


def real_templates() -> list[str]:
    from opint_core import cluster

    with open(DATA, newline="", encoding="utf-8") as f:
        return cluster([row["message"] for row in csv.DictReader(f)]).templates


def variants(base: list[str], n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    out = dict.fromkeys(base)
    while len(out) < n:
        t = base[rng.randrange(len(base))]
        words = list(_WORD_RE.finditer(t))
        if not words:
            continue
        w = words[rng.randrange(len(words))]
        new = "".join(rng.choice(string.ascii_lowercase) for _ in range(w.end() - w.start()))
        out.setdefault(t[:w.start()] + new + t[w.end():])
    return list(out)


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--templates", type=int, default=270_000)
    ap.add_argument("--no-before", action="store_true", help="skip the slow one-at-a-time run (and its check)")
    args = ap.parse_args()
    from opint_core.clustering.categories import KNOWN_CAUSES, _first_rule, categorize, known_cause, \
        known_cause_indices, strip_wrappers

    templates = variants(real_templates(), args.templates)
    stripped = [strip_wrappers(t) for t in templates]
    # _first_rule is the matching loop of known_cause, i.e. the category step's code before the change
    before_s, before = (None, None) if args.no_before else timed(lambda: [_first_rule(s) for s in stripped])
    after_s, rules = timed(known_cause_indices, stripped)
    assert before is None or rules == before, "the combined pass disagrees with the reference"
    sample = range(0, len(templates), 97)      # and the public one-template function, on a sample
    assert all((known_cause(templates[i]) or (None,))[0] == (KNOWN_CAUSES[rules[i]][0] if rules[i] >= 0 else None)
               for i in sample)
    total_s, (_, patterns) = timed(categorize, templates)
    known = sum(r >= 0 for r in rules)
    print(f"{len(templates):,} templates ({known:,} of a known cause), {len(KNOWN_CAUSES)} known-cause rules, "
          f"cpu cores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if before_s is not None:
        print(f"known causes, one template and rule at a time (before):                 {before_s:6.2f} s")
    print(f"known causes, one pass per rule over all templates (after):             {after_s:6.2f} s"
          + (f"  ({before_s / after_s:.1f}x faster)" if before_s is not None else ""))
    print(f"categorize() after, all steps:                                          {total_s:6.2f} s  "
          f"({len(patterns):,} categories)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
