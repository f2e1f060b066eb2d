"""Triage store folding speed: how many journal changes a read folds per second.

    .venv/bin/python benchmarks/bench_triage.py [--changes 100000] [--keys 2000] [--journals 1] [--repeat 5]

Builds a store of ``--changes`` change lines (label / status / ticket / notes / merge changes with
realistic patterns, spread over ``--keys`` categories and ``--journals`` users' journals, written
in the store's own line format: a key's pattern with its first change in each journal, as the
store's writer does), then times, best of ``--repeat``:
  - fold: ``TriageStore.reload(full=True)`` (read every journal, parse, fold latest-wins per field);
  - fold + annotations: the same plus building the ``Annotation`` objects and ``merges()``.
Prints wall time and process CPU time (the latter is steadier on a shared machine), then the time
of an incremental ``reload()`` after 1,000 more changes were appended (what the app pays).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opint_core.triage import STATUSES, TriageStore  # noqa: E402

PATTERNS = [
    "DESTINATION SRM_PUT_TURL error on the turl request : [SE][StatusOfPutRequest][SRM_EXCEED_ALLOCATION] "
    "Space associated with the space token <*> is not enough to hold SURL.",
    "TRANSFER globus_ftp_client: the server responded with an error 451 Unable to connect to <*>",
    "SOURCE CHECKSUM MISMATCH User defined checksum and source checksum do not match <*> != <*>",
    "Error on XrdCl::CopyProcess::Run(): [ERROR] Server responded with an error: [3010] Write permission denied",
    "DESTINATION OVERWRITE Result Could not connect to server after <*> attempts",
    "TRANSFER ERROR: Copy failed with mode 3rd pull, with error: Transfer failed: failure: Connection timed out",
]


def build(directory: Path, changes: int, keys: int, journals: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    key_names = [f"c{rng.getrandbits(48):012x}" for _ in range(keys)]
    patterns = {k: f"{rng.choice(PATTERNS)} #{i}" for i, k in enumerate(key_names)}
    files = [open(directory / f"user{j:02d}.jsonl", "a", encoding="utf-8") for j in range(journals)]
    t0 = 1_790_000_000.0 + seed * 200_000
    recorded = [set() for _ in range(journals)]  # like the store's writer: a key's pattern once per journal
    for n in range(changes):
        j = n % journals
        key = rng.choice(key_names)
        kind = rng.random()
        if kind < 0.35:
            changed = {"status": rng.choice(STATUSES)}
        elif kind < 0.6:
            changed = {"label": f"label {rng.randrange(500)}", "status": rng.choice(STATUSES)}
        elif kind < 0.8:
            changed = {"ticket": f"https://ggus.eu/?mode=ticket_info&ticket_id={rng.randrange(10**6)}"}
        elif kind < 0.98:
            changed = {"notes": "site contacted; " * rng.randrange(1, 6)}
        else:
            changed = {"merge_into": rng.choice(key_names)}
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + n)) + f".{n % 1000000:06d}+00:00"
        event = {"v": 1, "key": key, "set": changed}
        if key not in recorded[j]:
            event["pattern"] = patterns[key]
            recorded[j].add(key)
        event.update(author=f"user{j:02d}", time=stamp, seq=n // journals + 1, w=f"{j:08x}")
        files[j].write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    for f in files:
        f.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--changes", type=int, default=100_000)
    ap.add_argument("--keys", type=int, default=2_000)
    ap.add_argument("--journals", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="opint-bench-triage-") as tmp:
        d = Path(tmp)
        build(d, args.changes, args.keys, args.journals)
        size = sum(p.stat().st_size for p in d.iterdir())
        store = TriageStore(d, user="bench")
        best = {"fold": [float("inf")] * 2, "fold + annotations": [float("inf")] * 2}
        for _ in range(args.repeat):
            for name in best:
                wall, cpu = time.perf_counter(), time.process_time()
                store.reload(full=True)
                if name != "fold":
                    annotations = store.annotations()
                    merges = store.merges()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
        assert not store.warnings, store.warnings
        print(f"store: {args.changes:,} changes, {len(annotations):,} annotated categories, {len(merges):,} merges, "
              f"{args.journals} journal(s), {size / 1e6:.1f} MB  (python {sys.version.split()[0]}, "
              f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f})")
        for name, (wall, cpu) in best.items():
            print(f"{name + ':':20s}{wall:.3f} s  {args.changes / wall:,.0f} changes folded/s "
                  f"(CPU {cpu:.3f} s: {args.changes / cpu:,.0f}/s)")
        # what the app pays after each annotation: a reload that reads only the appended lines
        build(d, 1_000, args.keys, args.journals, seed=8)  # appends 1,000 changes to the journals
        wall = time.perf_counter()
        store.reload()
        store.annotations()
        wall = time.perf_counter() - wall
        assert not store.warnings, store.warnings
        print(f"incremental reload of 1,000 appended changes + annotations: {wall * 1000:.1f} ms")


if __name__ == "__main__":
    main()
