"""The Spark path without Spark: regex translation, the spec, the job's Python masking, the
rebuilt rows, cluster_masked, and the runner/CLI/app plumbing with a fake spark-submit."""
from __future__ import annotations

import json
import os
import random
import re
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

import opint_core as core
from opint_core.clustering import cluster, cluster_masked
from opint_core.clustering import masking
from opint_core.clustering.mask_batch import mask_many
from opint_core.spark import job, runner
from opint_core.spark.regex import RegexTranslationError, to_java
from opint_core.spark.result import PartResult, compact_table, expand_table, expansion, parse_rows
from opint_core.spark.spec import build_spec, masking_spec

sys.path.insert(0, os.path.dirname(__file__))
from spark_helpers import fuzz_messages  # noqa: E402
from test_masking import CASES  # noqa: E402


# ---------------------------------------------------------------------------------------- regex
@pytest.mark.parametrize("pattern,flags,flavor,java", [
    (r"a[ ]b  # comment", re.X, "python", "(?d)a[ ]b"),                # class space kept, the rest dropped
    (r"(?P<keep>\d+)|(?P=keep)", 0, "python", r"(?d)(?<keep>\d+)|\k<keep>"),
    (r"[[\]&&x]", 0, "python", r"(?d)[\[\]\&\&x]"),                    # nested class / intersection in Java
    (r"[]a]", 0, "python", r"(?d)[\]a]"),                               # leading ] is literal in Python
    (r"a{2,}b{,3}{x}", 0, "python", r"(?d)a{2,}b{0,3}\{x\}"),
    (r"end\Z", 0, "python", r"(?d)end\z"),
    (r"failed$", 0, "re2", r"(?d)failed\z"),                            # RE2 $: end of text only
    (r"x\v", re.I, "python", r"(?di)x\x0B"),
])
def test_to_java(pattern, flags, flavor, java):
    assert to_java(pattern, flags, flavor=flavor) == java


def test_to_java_rejects_what_it_cannot_translate():
    with pytest.raises(RegexTranslationError):
        to_java(r"(?P<bad_name>x)")
    with pytest.raises(RegexTranslationError):
        to_java(r"\N{DIGIT ONE}")


def test_spec_comes_from_opint_definitions():
    spec = build_spec([{"name": "x", "stream": "fts", "files": ["file:///a"]},
                       {"name": "y", "stream": "rucio", "files": []}], "file:///out")
    m = spec["mask"]
    assert m["python"] == masking._MASK_RE.pattern and m["python_flags"] == masking._MASK_RE.flags
    assert m["java"].startswith("(?d)") and "(?<keep>" in m["java"] and "(?P" not in m["java"]
    assert m["max_chars"] == masking.MAX_CHARS and m["wildcard"] == masking.WILDCARD
    assert set(spec["fields"]) == {"fts", "rucio"}
    assert "t__error_message" in spec["fields"]["fts"]["data"]
    assert spec["fields"]["fts"]["data"]["file_metadata"]["src_rse"] == "string"
    assert spec["parts"][0]["samples"] > 0
    json.dumps(spec)  # it travels as JSON


def test_space_class_covers_python_whitespace():
    cls = masking_spec()["space_java"]
    for ch in ("\t", "\x1c", "\x85", "\xa0", "\u2028", "\u3000"):
        assert f"\\x{{{ord(ch):x}}}" in cls


def test_job_python_mask_is_masking_mask():
    """The job rebuilds mask() from the spec with the standard library only."""
    py = job.python_mask(masking_spec())
    msgs = [c[0] for c in CASES] + fuzz_messages([c[0] for c in CASES], n=2000, seed=3) + [None, "", "  \t "]
    assert [py(m) for m in msgs] == [masking.mask(m) for m in msgs]


def test_mask_many_agrees_with_mask_on_a_month_glued_to_a_token():
    msg = "Problem while connected to [2001:db8::1]:21844:Jun 17 20:55:06 2005 ClosedChannelException"
    assert mask_many([msg] * 100) == [masking.mask(msg)] * 100


def test_job_file_is_standalone():
    """Executors and the spark-submit driver have no opint: the job imports pyspark and stdlib only."""
    source = open(job.__file__, encoding="utf-8").read()
    imports = set(re.findall(r"^\s*(?:from|import) ([\w.]+)", source, re.M))
    assert imports <= {"__future__", "argparse", "json", "re", "sys", "threading", "time", "pyspark",
                       "pyspark.sql"}, imports


# ---------------------------------------------------------------------------------- rebuilt rows
def _random_part(rng: random.Random, ntemplates=8) -> tuple[PartResult, dict]:
    """A job result with random marginals, and the truth per template."""
    rows, truth = [], {}
    t0 = 1_795_132_800_000
    for t in range(ntemplates):
        name = f"template {t} <*>"
        n = rng.randint(1, 60)
        times = [None if (t % 3 == 0 and i == 0) else t0 + rng.randint(0, 30 * 3_600_000) for i in range(n)]
        by_hour: dict = {}
        for x in times:
            by_hour.setdefault(None if x is None else x // 3_600_000, []).append(x)
        for h, xs in by_hour.items():
            real = [x for x in xs if x is not None]
            rows.append({"kind": "D", "part": 0, "template": name, "dim": "hour",
                         "value": None if h is None else str(h), "n": len(xs),
                         "tmin": min(real) if real else None, "tmax": max(real) if real else None})
        real = sorted(x for x in times if x is not None)
        dims = {}
        for dim in runner_dims():
            values = Counter(rng.choice([None, "A", "B", "C", f"V{t}"]) for _ in range(n))
            dims[dim] = values
            rows += [{"kind": "D", "part": 0, "template": name, "dim": dim, "value": v, "n": c}
                     for v, c in values.items()]
        msgs = Counter(rng.choice(["m1", "m2", "m3", "m4"]) for _ in range(n))
        top = sorted(msgs.items(), key=lambda p: (-p[1], p[0]))[:2]
        rows += [{"kind": "M", "part": 0, "template": name, "value": v, "n": c} for v, c in top]
        truth[name] = {"n": n, "dims": dims, "top": dict(top), "tmin": real[0] if real else None,
                       "tmax": real[-1] if real else None,
                       "hours": Counter(x // 3_600_000 for x in real)}
    rng.shuffle(rows)
    return parse_rows(rows, 1)[0], truth


def runner_dims():
    from opint_core.spark.result import DIMENSIONS
    return DIMENSIONS


@pytest.mark.parametrize("seed", range(5))
def test_compact_rows_keep_every_per_template_count(seed):
    part, truth = _random_part(random.Random(seed))
    table = compact_table(part, "fts")
    assert table.schema.names[:len(core.ERROR_SCHEMA)] == core.ERROR_SCHEMA.names
    count = table.column("count").to_numpy()
    assert (count > 0).all()
    tmpl = table.column("template").to_pylist()
    times = table.column("time").cast("int64").to_pylist()
    for name, want in truth.items():
        rows = [i for i, t in enumerate(tmpl) if t == name]
        assert sum(count[rows]) == want["n"]
        for dim, values in want["dims"].items():
            got = Counter()
            col = table.column(dim).to_pylist()
            for i in rows:
                got[col[i]] += int(count[i])
            assert got == +values or got == Counter({k: v for k, v in values.items() if v})
        got_hours = Counter()
        for i in rows:
            if times[i] is not None:
                got_hours[times[i] // 3_600_000] += int(count[i])
        assert got_hours == want["hours"]
        real = [times[i] for i in rows if times[i] is not None]
        assert (min(real) if real else None) == want["tmin"] and (max(real) if real else None) == want["tmax"]
        msgs = Counter()
        for i in rows:
            msgs[table.column("message")[i].as_py()] += int(count[i])
        assert {m: c for m, c in msgs.items() if m is not None} == want["top"]
    # at most one row per value of each column of each template (cut points add up)
    bound = sum(len(w["hours"]) + 3 + len(w["top"]) + 1 + sum(len(v) for v in w["dims"].values())
                for w in truth.values())
    assert table.num_rows <= bound


def test_expand_gives_one_row_per_failure():
    part, truth = _random_part(random.Random(9))
    table = compact_table(part, "rucio")
    idx = expansion(table.column("count").to_numpy())
    full = expand_table(table, idx)
    assert full.num_rows == sum(t["n"] for t in truth.values()) and "count" not in full.column_names
    assert full.column("stream").to_pylist() == ["rucio"] * full.num_rows


# ---------------------------------------------------------------------------------- cluster_masked
def test_cluster_masked_equals_cluster():
    rng = random.Random(4)
    msgs = [c[0] for c in CASES] * 3 + [rng.choice(CASES)[0].replace("1", str(rng.randint(2, 9))) for _ in range(300)]
    msgs += [None, ""]
    ref = cluster(msgs)
    counts = Counter(msgs)
    uniq = list(counts)
    got = cluster_masked([masking.mask(m) for m in uniq], [counts[m] for m in uniq],
                         messages=[m if i % 4 else None for i, m in enumerate(uniq)])
    assert got.templates == ref.templates
    assert got.template_counts.tolist() == ref.template_counts.tolist()
    assert [(c.key, c.count, c.templates) for c in got.categories] == \
        [(c.key, c.count, c.templates) for c in ref.categories]
    # rows without a message show their template pattern
    nulls = [i for i in range(len(uniq)) if i % 4 == 0]
    for i in nulls:
        d = got.distinct_of[i]
        assert got.distinct_messages[d] == got.templates[got.template_of[i]]
    with pytest.raises(ValueError):
        cluster_masked(["a"], [0])


# ---------------------------------------------------------------------------------- plumbing
FAKE_SUBMIT = textwrap.dedent('''\
    import json, os, sys, time
    args = sys.argv[1:]
    spec = json.load(open(args[args.index("--spec") + 1]))
    mode = os.environ.get("FAKE_SPARK_MODE", "ok")
    if os.environ.get("FAKE_SPARK_PID"):
        open(os.environ["FAKE_SPARK_PID"], "w").write(str(os.getpid()))
    def emit(**e):
        print("OPINT " + json.dumps(e), flush=True)
    print("log4j: starting", file=sys.stderr)
    emit(event="start", spark="fake", master=args[args.index("--master") + 1], app_id="fake-1")
    emit(event="progress", phase="scan", done=1, total=2)
    if mode == "error":
        emit(event="error", type="AnalysisException", message="Path does not exist: hdfs:///nowhere")
        sys.exit(1)
    if mode == "crash":
        print("Exception in thread main java.lang.OutOfMemoryError: Java heap space", file=sys.stderr)
        sys.exit(3)
    if mode == "hang":
        time.sleep(300)
    emit(event="progress", phase="group", done=2, total=2)
    out = spec["out"][len("file://"):] + "/result"
    os.makedirs(out, exist_ok=True)
    dims = ("error_code", "error_category", "event_type", "scope", "phase", "src_host", "dst_host",
            "src_rse", "dst_rse", "src_site", "dst_site", "vo", "activity")
    rows, t, t0 = [], "Connection timed out after <*> s", 1795132800000
    for i, part in enumerate(spec["parts"]):
        for f in part["files"]:
            rows.append({"kind": "F", "part": i, "dim": "records", "value": f, "n": 3})
            rows.append({"kind": "F", "part": i, "dim": "failures", "value": f, "n": 2})
        n = 2 * len(part["files"])
        if n:
            rows.append({"kind": "D", "part": i, "template": t, "dim": "hour", "value": str(t0 // 3600000), "n": n,
                         "tmin": t0, "tmax": t0 + 5000})
            rows.append({"kind": "M", "part": i, "template": t, "value": "Connection timed out after 30 s", "n": n})
            for d in dims:
                rows.append({"kind": "D", "part": i, "template": t, "dim": d,
                             "value": "CERN-PROD" if d.endswith("site") else None, "n": n})
    with open(out + "/part-00000.json", "w") as fh:
        fh.write("\\n".join(json.dumps(r) for r in rows) + "\\n")
    emit(event="done", out="file://" + out, masked_in_python=0, seconds=0.1)
''')


@pytest.fixture
def fake_spark(tmp_path, monkeypatch):
    script = tmp_path / "spark-submit"
    script.write_text(f"#!{sys.executable}\n" + FAKE_SUBMIT)
    script.chmod(0o755)
    monkeypatch.setenv("OPINT_SPARK_SUBMIT", str(script))
    monkeypatch.setattr(runner, "check_java", lambda: None)
    return script


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-unit") / "archive"
    core.write_sample_archive(root, days=2, seed=3, scale=0.02, end=__import__("datetime").date(2026, 11, 20))
    return str(root)


def test_runner_follows_progress_and_reads_the_result(fake_spark, small_archive):
    seen = []
    et = core.load_errors_spark(small_archive, core.Selection.latest(), stream="fts", master="local[2]",
                                progress=lambda s, d, t: seen.append((s, d, t)))
    nfiles = len(et.report.files)
    assert nfiles > 0 and et.failures == 2 * nfiles and et.report.records == 3 * nfiles
    # compact: the first time, the last time, the rest of the hour
    assert len(et) == 3 and et.weights.tolist() == [1, 1, 2 * nfiles - 2]
    assert ("spark-scan", 1, 2) in seen and ("spark-group", 2, 2) in seen and seen[0][0] == "list"
    assert set(et.table.column("src_site").to_pylist()) == {"CERN-PROD"}
    assert all(f.path.startswith(small_archive) for f in et.report.files)


def test_analyse_spark_with_a_fake_job(fake_spark, small_archive):
    analysis = core.run(core.Request(small_archive, core.Selection.latest(), "rucio", spark_master="local[2]"))
    assert analysis.clustering.templates == ["Connection timed out after <*> s"]
    assert analysis.trends is not None and analysis.insight.counts.tolist() == [analysis.errors.failures]
    report = core.build_report(analysis)
    assert report.categories[0].samples == [["Connection timed out after 30 s", analysis.errors.failures]]
    assert report.failures == analysis.errors.failures == analysis.errors.report.failures


def test_job_error_becomes_a_clear_error(fake_spark, small_archive, monkeypatch):
    monkeypatch.setenv("FAKE_SPARK_MODE", "error")
    with pytest.raises(core.SparkError) as e:
        core.load_errors_spark(small_archive, master="local[2]")
    assert "AnalysisException: Path does not exist" in e.value.message
    assert "spark-submit.log" in e.value.remedy and os.path.exists(e.value.log)


def test_crash_shows_the_end_of_the_log(fake_spark, small_archive, monkeypatch):
    monkeypatch.setenv("FAKE_SPARK_MODE", "crash")
    with pytest.raises(core.SparkError) as e:
        core.load_errors_spark(small_archive, master="local[2]")
    assert "exited with status 3" in e.value.message and "OutOfMemoryError" in e.value.message


def test_cancel_stops_spark_submit(fake_spark, small_archive, monkeypatch, tmp_path):
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("FAKE_SPARK_MODE", "hang")
    monkeypatch.setenv("FAKE_SPARK_PID", str(pid_file))
    cancel = threading.Event()

    def progress(stage, done, total):
        if stage == "spark-scan":
            cancel.set()

    started = time.monotonic()
    with pytest.raises(core.LoadCancelled):
        core.load_errors_spark(small_archive, master="local[2]", progress=progress, cancel=cancel)
    assert time.monotonic() - started < 30
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_ctrl_c_stops_spark_submit(fake_spark, small_archive, monkeypatch, tmp_path):
    """spark-submit runs in its own session: the terminal's Ctrl-C reaches only opint, which stops it."""
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("FAKE_SPARK_MODE", "hang")
    monkeypatch.setenv("FAKE_SPARK_PID", str(pid_file))

    def progress(stage, done, total):
        if stage == "spark-scan":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        core.load_errors_spark(small_archive, master="local[2]", progress=progress)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def _no_spark(monkeypatch):
    monkeypatch.delenv("OPINT_SPARK_SUBMIT", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(runner.importlib.util, "find_spec", lambda name: None)


def test_without_spark_says_how_to_get_it(monkeypatch, small_archive):
    _no_spark(monkeypatch)
    assert not core.spark_available()
    with pytest.raises(core.SparkError) as e:
        core.run(core.Request(small_archive, spark_master="local[2]"))
    assert "pyspark" in e.value.message
    assert "pip install 'pyspark==3.5.*'" in e.value.remedy and "hadoop-swan-setconf.sh" in e.value.remedy


def test_cli_spark_without_spark(monkeypatch, small_archive, capsys):
    from opint_tui.cli import main

    _no_spark(monkeypatch)
    assert main(["load", "--archive", small_archive, "--spark"]) == 2
    err = capsys.readouterr().err
    assert "needs Spark" in err and "pyspark==3.5" in err


def test_local_archive_needs_a_local_master(fake_spark, small_archive):
    with pytest.raises(core.SparkError) as e:
        core.load_errors_spark(small_archive, master="yarn")
    assert "local[2]" in e.value.remedy


def test_cli_load_spark_with_config_master(fake_spark, small_archive, tmp_path, monkeypatch, capsys):
    from opint_tui.cli import main

    config = tmp_path / "config.toml"
    config.write_text('spark_master = "local[2]"\n')
    monkeypatch.setenv("OPINT_CONFIG", str(config))
    assert core.load_config().spark_master == "local[2]"
    assert main(["load", "--archive", small_archive, "--spark"]) == 0
    out = capsys.readouterr().out
    assert "failures" in out


def test_spark_command_line(tmp_path):
    cmd = runner.command(str(tmp_path / "spec.json"), "yarn", submit="spark-submit", name="opint x",
                         conf={"spark.executor.memory": "8g"})
    assert cmd[:5] == ["spark-submit", "--master", "yarn", "--name", "opint x"]
    assert "spark.executor.memory=8g" in cmd and "spark.executor.memory=5g" not in cmd
    assert cmd[-3:] == [str(runner.JOB_PATH), "--spec", str(tmp_path / "spec.json")]
    local = runner.command("s.json", "local[2]", submit="spark-submit")
    assert "spark.ui.enabled=false" in local and "spark.sql.shuffle.partitions=4" in local


async def test_load_dialog_runs_the_spark_job(fake_spark, small_archive, tmp_path):
    from opint_tui.app import OpintApp
    from opint_tui.screens.dialogs import LoadScreen

    app = OpintApp(core.Request(small_archive, core.Selection.latest()), store=core.TriageStore(tmp_path / "s"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.analysis is not None and not app.loading:
                break
        local = app.analysis
        await pilot.press("o")
        await pilot.pause(0.1)
        assert isinstance(app.screen, LoadScreen)
        app.screen.query_one("#spark").value = True
        app.screen.query_one("#spark-master").value = "local[2]"
        await pilot.press("ctrl+s")
        for _ in range(400):
            await pilot.pause(0.05)
            if app.analysis is not local and not app.loading:
                break
        assert app.source.spark_master == "local[2]"
        assert app.analysis.clustering.templates == ["Connection timed out after <*> s"]


def test_driver_side_never_imports_pyspark():
    """opint itself runs without pyspark (and pandas-3 warnings): only spark-submit's job imports it."""
    import subprocess

    code = "import sys, opint_core, opint_core.spark, opint_core.spark.job; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
