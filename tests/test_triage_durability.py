"""Nothing is lost: the triage store under crashes, concurrent writers and bad store directories.

Real processes and real files only: writers are separate Python processes killed with SIGKILL,
cut short by RLIMIT_FSIZE, or run concurrently; permissions are real (as root, where the
permission bits do not apply, the writer runs in a new user namespace, where root has no power
over the files it does not map, so that a 0555 directory really is read-only for it).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from opint_core.triage import StoreError, TriageStore

REPO = Path(__file__).resolve().parent.parent

WRITER = r"""
import hashlib, os, sys, time
from opint_core.triage import STATUSES, TriageStore

def notes_for(prefix, i, big):
    if not big:
        return f"notes {prefix} {i}"
    size = int.from_bytes(hashlib.sha1(f"{prefix}/{i}".encode()).digest()[:4], "big") % big
    unit = f"{prefix}-{i} é "
    return (unit * (size // len(unit) + 1))[:size]

directory, user, prefix, count, big, go = sys.argv[1:7]
count, big = int(count), int(big)
store = TriageStore(directory, user=user)
print("ready", flush=True)
if go != "-":
    while not os.path.exists(go):
        time.sleep(0.001)
i = 0
while count < 0 or i < count:
    store.annotate(f"{prefix}-{i}", pattern=f"pattern of {prefix} <*> {i % 7}", label=f"label {prefix} {i}",
                   status=STATUSES[i % len(STATUSES)], notes=notes_for(prefix, i, big))
    print(i, flush=True)
    i += 1
"""


def notes_for(prefix: str, i: int, big: int) -> str:  # the same as in WRITER
    if not big:
        return f"notes {prefix} {i}"
    size = int.from_bytes(hashlib.sha1(f"{prefix}/{i}".encode()).digest()[:4], "big") % big
    unit = f"{prefix}-{i} é "
    return (unit * (size // len(unit) + 1))[:size]


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_writer(directory, user, prefix, count, big=0, go="-") -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(directory), user, prefix, str(count), str(big), str(go)],
                            stdout=subprocess.PIPE, text=True, env=child_env(), cwd=REPO)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------------------------------
# (a) a writer killed mid-append

def test_a_torn_last_line_is_skipped_with_a_warning_and_the_next_append_starts_a_new_line(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    for i in range(3):
        store.annotate(f"c{i}", pattern=f"p{i} <*>", label=f"label {i}")
    journal = tmp_path / "alice.jsonl"
    whole = json.dumps({"v": 1, "key": "c9", "set": {"label": "never finished"}, "author": "alice",
                        "time": "2026-11-20T08:00:00.000000+00:00", "seq": 9, "w": "x"}).encode()
    with open(journal, "ab") as f:
        f.write(whole[:len(whole) // 2])  # what a writer killed mid-write leaves
    before = journal.read_bytes()

    reader = TriageStore(tmp_path, user="bob")
    assert {k: a.label for k, a in reader.annotations().items()} == {f"c{i}": f"label {i}" for i in range(3)}
    assert len(reader.warnings) == 1
    assert reader.warnings[0].startswith(f"{journal}:4: the last line is incomplete")
    assert journal.read_bytes() == before  # reading never repairs in place

    store.annotate("c3", pattern="p3 <*>", label="after the crash")
    assert journal.read_bytes().startswith(before + b"\n")  # a new line, not glued onto the fragment
    reader.reload()
    assert reader.annotations()["c3"].label == "after the crash" and len(reader.annotations()) == 4
    assert len(reader.warnings) == 1 and reader.warnings[0].startswith(f"{journal}:4: not a valid JSON")


def test_a_change_glued_onto_a_fragment_is_still_read(tmp_path):
    """Belt and braces for a crash racing another process's append: fragment + complete change."""
    journal = tmp_path / "alice.jsonl"
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="one")
    line = journal.read_bytes()
    with open(journal, "ab") as f:
        f.write(line[:40] + line.replace(b'"c1"', b'"c2"'))
    reader = TriageStore(tmp_path, user="bob")
    assert set(reader.annotations()) == {"c1", "c2"}
    assert len(reader.warnings) == 1 and "fragment of an interrupted write" in reader.warnings[0]


CUT_SHORT = r"""
import os, resource, signal, sys
from opint_core.triage import StoreError, TriageStore
store = TriageStore(sys.argv[1], user="alice")
store.annotate("before-1", pattern="p <*>", label="one")
store.annotate("before-2", pattern="p <*>", label="two")
size = os.path.getsize(store.journal)
# the file may grow by 100 more bytes only: the next append is cut short inside its line
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, resource.RLIM_INFINITY))
try:
    store.annotate("cut", pattern="p <*>", label="cut short", notes="x" * 1000)
except StoreError as e:
    print(e, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_cut_short_inside_its_append_then_killed(tmp_path):
    """Deterministic and real: the kernel stops the write at RLIMIT_FSIZE, the process dies."""
    proc = subprocess.run([sys.executable, "-c", CUT_SHORT, str(tmp_path)], capture_output=True, text=True,
                          env=child_env(), cwd=REPO)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    journal = tmp_path / "alice.jsonl"
    assert "only 100 of" in proc.stdout and str(journal) in proc.stdout and "NOT saved" in proc.stdout
    data = journal.read_bytes()
    assert not data.endswith(b"\n") and data.count(b"\n") == 2  # two whole lines and a 100-byte fragment

    reader = TriageStore(tmp_path, user="bob")
    assert {k: a.label for k, a in reader.annotations().items()} == {"before-1": "one", "before-2": "two"}
    assert len(reader.warnings) == 1 and reader.warnings[0].startswith(f"{journal}:3: the last line is incomplete")

    TriageStore(tmp_path, user="alice").annotate("after", pattern="p <*>", label="after")
    reader.reload()
    assert set(reader.annotations()) == {"before-1", "before-2", "after"}
    assert journal.read_bytes().startswith(data + b"\n")


def kill_mid_append(proc: subprocess.Popen, journal: Path) -> None:
    """SIGKILL the writer while the journal visibly grows inside a line (its last byte is not a
    newline): a kill inside a write, observed rather than timed."""
    start = journal.stat().st_size
    while proc.poll() is None:
        size = journal.stat().st_size
        if size > start:
            with open(journal, "rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    break
    proc.send_signal(signal.SIGKILL)


def test_writers_killed_mid_append_lose_at_most_their_last_line(tmp_path):
    """Rounds into the same journal: a writer appending lines of up to 8 MB is SIGKILLed after a
    random number of changes, while an append is visibly under way. Every change it reported saved
    is read back intact, each kill leaves at most one torn line (skipped with a warning), and the
    next round's appends do not glue onto it."""
    rng = random.Random(20261120)
    journal = tmp_path / "alice.jsonl"
    reported: dict[str, int] = {}
    torn_kills = rounds = 0
    while rounds < 4 or (torn_kills < 2 and rounds < 10):
        prefix = f"r{rounds}"
        rounds += 1
        proc = start_writer(tmp_path, "alice", prefix, -1, big=8_000_000)
        done = [int(proc.stdout.readline()) for _ in range(rng.randint(1, 3))]
        kill_mid_append(proc, journal)
        done += [int(x) for x in proc.stdout.read().split()]  # reported before it died
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert done == list(range(len(done)))
        reported[prefix] = len(done)
        torn_kills += not journal.read_bytes().endswith(b"\n")

        store = TriageStore(tmp_path, user="reader")
        ann = store.annotations()
        for p, n in reported.items():
            for i in range(n):
                a = ann[f"{p}-{i}"]
                assert a.label == f"label {p} {i}" and a.notes == (notes_for(p, i, 8_000_000) or None)
            # beyond what it reported, at most the change in flight when it died
            assert f"{p}-{n + 1}" not in ann
        assert len(store.warnings) <= torn_kills
        assert all(w.startswith(f"{journal}:") and "skipped" in w for w in store.warnings)
    assert torn_kills >= 1, "no kill landed inside a write: the test did not test what it should"


# --------------------------------------------------------------------------------------------------
# (b) concurrent writers

@pytest.mark.parametrize("same_user", [False, True], ids=["two-users", "same-user-two-processes"])
def test_two_processes_writing_1000_annotations_each_at_once(tmp_path, same_user):
    store_dir = tmp_path / "team"
    store_dir.mkdir()
    go = tmp_path / "go"
    users = ("alice", "alice") if same_user else ("alice", "bob")
    procs = [start_writer(store_dir, user, f"p{n}", 1000, go=go) for n, user in enumerate(users)]
    go.touch()  # both are ready: they start together
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0 and out.split()[-1] == "999"

    store = TriageStore(store_dir, user="reader")
    ann = store.annotations()
    assert store.warnings == []
    assert len(ann) == 2000
    for n in range(2):
        for i in range(1000):
            a = ann[f"p{n}-{i}"]
            assert a.label == f"label p{n} {i}" and a.notes == f"notes p{n} {i}" and a.author == users[n]
    journals = sorted(store_dir.iterdir())
    assert [p.name for p in journals] == sorted({f"{u}.jsonl" for u in users})
    whole = 0
    for p in journals:  # every line whole: no two appends interleaved inside a line
        raw = p.read_bytes().split(b"\n")
        # (a blank line is possible: a writer that sees another's append in flight starts its own
        # line with a newline, lest it glue onto a torn one)
        assert raw[-1] == b"" and all(json.loads(x)["v"] == 1 for x in raw[:-1] if x)
        whole += sum(1 for x in raw[:-1] if x)
    assert whole == 2000


# --------------------------------------------------------------------------------------------------
# (c) read-only, missing and damaged stores

def _userns_drops_root_power() -> bool:
    """True when `unshare -U` works here and root inside it cannot write to a 0555 directory."""
    if not shutil.which("unshare"):
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        import tempfile
        d = Path(tempfile.mkdtemp(dir=probe))
        try:
            d.chmod(0o555)
            r = subprocess.run(["unshare", "-U", "sh", "-c", f"touch {d}/x"], capture_output=True)
            return r.returncode != 0 and not (d / "x").exists()
        finally:
            d.chmod(0o755)
            shutil.rmtree(d, ignore_errors=True)
    except OSError:
        return False


TRY_WRITE = r"""
import sys
from opint_core.triage import StoreError, TriageStore
store = TriageStore(sys.argv[1], user=sys.argv[2])
print(len(store.annotations()), "annotations;", len(store.warnings), "warnings", flush=True)
try:
    store.annotate("c-new", pattern="p <*>", label="new")
except StoreError as e:
    print("StoreError:", e)
else:
    print("written")
"""


def run_as_unprivileged(*args: str) -> str:
    """Run TRY_WRITE where permission bits apply: as is for a normal user, in a user namespace
    for root; skip when neither is possible."""
    cmd = [sys.executable, "-c", TRY_WRITE, *args]
    if os.geteuid() == 0:
        if not _userns_drops_root_power():
            pytest.skip("running as root and no user namespace to drop root's power over permissions")
        cmd = ["unshare", "-U", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_read_only_store_directory_reads_fine_and_refuses_to_write_clearly(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    TriageStore(team, user="alice").annotate("c1", pattern="p <*>", label="alice's")
    before = snapshot(team)
    team.chmod(0o555)
    try:
        reader = TriageStore(team, user="bob")  # reading needs no write access
        assert reader.annotations()["c1"].label == "alice's" and reader.warnings == []
        out = run_as_unprivileged(str(team), "bob")
    finally:
        team.chmod(0o755)
    assert out.startswith("1 annotations; 0 warnings")
    assert "StoreError: cannot save the change to " + str(team / "bob.jsonl") in out
    assert "Permission denied" in out and "--store DIR" in out and "NOT saved" in out
    assert snapshot(team) == before


def test_a_read_only_journal_refuses_to_write_clearly(tmp_path):
    TriageStore(tmp_path, user="alice").annotate("c1", pattern="p <*>", label="one")
    journal = tmp_path / "alice.jsonl"
    journal.chmod(0o400)
    before = snapshot(tmp_path)
    out = run_as_unprivileged(str(tmp_path), "alice")
    assert f"StoreError: cannot save the change to {journal}: Permission denied" in out
    assert snapshot(tmp_path) == before


def test_an_unreadable_journal_is_a_warning_not_a_crash(tmp_path):
    TriageStore(tmp_path, user="alice").annotate("c1", pattern="p <*>", label="alice's")
    TriageStore(tmp_path, user="bob").annotate("c2", pattern="q <*>", label="bob's")
    (tmp_path / "alice.jsonl").chmod(0o000)
    before_mode = stat.S_IMODE((tmp_path / "alice.jsonl").stat().st_mode)
    try:
        if os.geteuid() == 0 and not _userns_drops_root_power():
            pytest.skip("running as root and no user namespace to drop root's power over permissions")
        code = ("import sys; from opint_core.triage import TriageStore; s = TriageStore(sys.argv[1], user='bob'); "
                "print(sorted(s.annotations())); print(*s.warnings, sep='\\n')")
        cmd = [sys.executable, "-c", code, str(tmp_path)]
        if os.geteuid() == 0:
            cmd = ["unshare", "-U", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=REPO, check=True).stdout
    finally:
        (tmp_path / "alice.jsonl").chmod(0o600)
    assert out.splitlines()[0] == "['c2']"
    assert f"{tmp_path / 'alice.jsonl'}: cannot read this journal (Permission denied)" in out
    assert before_mode == 0


def test_a_missing_store_is_empty_and_created_by_the_first_write(tmp_path):
    team = tmp_path / "team"
    store = TriageStore(team, user="alice")
    assert store.annotations() == {}
    assert len(store.warnings) == 1 and "does not exist yet" in store.warnings[0] and str(team) in store.warnings[0]
    assert not team.exists()
    store.annotate("c1", pattern="p <*>", label="first")
    assert (team / "alice.jsonl").exists()
    assert TriageStore(team, user="bob").annotations()["c1"].label == "first"


def test_a_team_store_whose_parent_is_missing_is_not_invented(tmp_path):
    team = tmp_path / "eos" / "not-mounted" / "team"
    store = TriageStore(team, user="alice")
    assert store.annotations() == {}
    with pytest.raises(StoreError) as err:
        store.annotate("c1", pattern="p", label="x")
    assert str(team) in str(err.value) and "parent directory" in str(err.value) and "mounted" in str(err.value)
    assert err.value.path == team and not (tmp_path / "eos").exists()


def test_a_store_path_that_is_a_file(tmp_path):
    path = tmp_path / "store"
    path.write_text("I am a file\n")
    store = TriageStore(path, user="alice")
    assert store.annotations() == {} and "is a file, not a directory" in store.warnings[0]
    with pytest.raises(StoreError, match="is a file, not a directory"):
        store.annotate("c1", pattern="p", label="x")
    assert path.read_text() == "I am a file\n"


def test_garbage_lines_are_warned_about_and_left_untouched(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p <*>", label="good 1")
    journal = tmp_path / "alice.jsonl"
    with open(journal, "ab") as f:
        f.write(b"<<<<<<< HEAD\n\x00\x01\x02\n{\"v\": 1, \"key\": \n\"just a string\"\n")
    garbage = journal.read_bytes()
    store.annotate("c2", pattern="q <*>", label="good 2")
    assert journal.read_bytes().startswith(garbage)

    reader = TriageStore(tmp_path, user="bob")
    assert {k: a.label for k, a in reader.annotations().items()} == {"c1": "good 1", "c2": "good 2"}
    assert [w.split(": ", 1)[0] for w in reader.warnings] == [f"{journal}:{n}" for n in (2, 3, 4, 5)]
    assert all("skipped" in w for w in reader.warnings)
    before = journal.read_bytes()
    reader.reload()
    assert journal.read_bytes() == before


# --------------------------------------------------------------------------------------------------
# (d) personal journals are private

def test_personal_journals_are_created_0600_in_a_0700_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("OPINT_DATA_DIR", str(tmp_path / "data"))
    old = os.umask(0)  # even with the most permissive umask
    try:
        store = TriageStore(user="alice")
        store.annotate("c1", pattern="p", label="x")
    finally:
        os.umask(old)
    assert store.personal
    assert stat.S_IMODE(store.journal.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700


def test_team_journals_are_as_readable_as_their_directory_and_never_writable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        shared, private = tmp_path / "shared", tmp_path / "private"
        shared.mkdir(mode=0o775)
        private.mkdir(mode=0o700)
        shared.chmod(0o2775)
        TriageStore(shared, user="alice").annotate("c1", pattern="p", label="x")
        TriageStore(private, user="alice").annotate("c1", pattern="p", label="x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((shared / "alice.jsonl").stat().st_mode) == 0o644
    assert stat.S_IMODE((private / "alice.jsonl").stat().st_mode) == 0o600
