"""Running the Spark job: finding spark-submit, the command line, progress from its output,
cancellation, and errors a shifter can act on."""
from __future__ import annotations

import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

from opint_core.errors import LoadCancelled, OpintError
from opint_core.load.filesystem import HADOOP_SETCONF, KINIT, LCG_VIEW_SETUP

JOB_PATH = Path(__file__).with_name("job.py")
DEFAULT_MASTER = "yarn"
LOCAL_MASTER = "local[2]"

INSTALL_REMEDY = (
    "on a laptop or test machine: .venv/bin/pip install 'pyspark==3.5.*' (it needs Java 17) and use "
    f"--spark-master 'local[2]'; on lxplus, for analytix: {LCG_VIEW_SETUP}; {HADOOP_SETCONF}; {KINIT}")


class SparkError(OpintError):
    """The Spark path cannot run or its job failed: ``message`` says what, ``remedy`` what to do."""

    def __init__(self, message: str, remedy: str = "", log: str | None = None):
        super().__init__(message, remedy)
        self.log = log


def is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def find_spark_submit(explicit: str | None = None) -> str:
    """spark-submit: $OPINT_SPARK_SUBMIT, else on PATH (the LCG view's on lxplus), else pyspark's own."""
    for candidate in (explicit, os.environ.get("OPINT_SPARK_SUBMIT")):
        if candidate:
            path = shutil.which(candidate) or (candidate if os.access(candidate, os.X_OK) else None)
            if not path:
                raise SparkError(f"spark-submit {candidate!r} (OPINT_SPARK_SUBMIT) is not an executable",
                                 "point OPINT_SPARK_SUBMIT at spark-submit, or unset it")
            return path
    found = shutil.which("spark-submit")
    if found:
        return found
    spec = importlib.util.find_spec("pyspark")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "bin" / "spark-submit"
        if bundled.exists():
            return str(bundled)
    raise SparkError("--spark needs Spark: there is no spark-submit on PATH and pyspark is not installed",
                     INSTALL_REMEDY)


def check_java() -> None:
    home = os.environ.get("JAVA_HOME")
    if (home and Path(home, "bin", "java").exists()) or shutil.which("java"):
        return
    raise SparkError("Spark needs Java, and there is no `java` on PATH and no JAVA_HOME",
                     "install Java 17 (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME; "
                     "on lxplus the LCG view provides it")


def spark_available() -> bool:
    """True when spark-submit and Java are both there (the tests' skip condition)."""
    try:
        find_spark_submit()
        check_java()
    except SparkError:
        return False
    return True


def default_conf(master: str) -> dict[str, str]:
    conf = {"spark.sql.session.timeZone": "UTC", "spark.sql.files.ignoreCorruptFiles": "true",
            "spark.ui.showConsoleProgress": "false"}
    if is_local(master):
        # few cores, small inputs: adaptive re-planning costs more than it saves, and small part
        # files packed into fewer tasks than cores leave cores idle (gzip: one file, one task)
        conf.update({"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4",
                     "spark.sql.adaptive.enabled": "false", "spark.sql.files.openCostInBytes": str(16 << 20)})
    else:  # DOMAIN 7.1: what analytix jobs are submitted with
        conf.update({"spark.executor.memory": "5g", "spark.driver.memory": "4g"})
    return conf


def command(spec_path: str, master: str, *, submit: str, name: str = "opint", conf: dict | None = None,
            extra_args: list[str] | tuple = ()) -> list[str]:
    cmd = [submit, "--master", master, "--name", name]
    for key, value in {**default_conf(master), **(conf or {})}.items():
        cmd += ["--conf", f"{key}={value}"]
    return cmd + list(extra_args) + [str(JOB_PATH), "--spec", str(spec_path)]


def job_env(master: str) -> dict[str, str]:
    env = dict(os.environ)
    # the job driver runs with this interpreter (it only needs the standard library and the
    # pyspark that spark-submit puts on PYTHONPATH); local executors too, for the masking UDF
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if is_local(master):
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def run_job(spec: dict, work_dir: str | os.PathLike, *, master: str, submit: str | None = None,
            conf: dict | None = None, extra_args: list[str] | tuple = (),
            progress: Callable[[str, int, int], None] | None = None, cancel: threading.Event | None = None) -> dict:
    """Write the spec, run spark-submit, follow its ``OPINT`` lines; return the job's "done" event.

    Raises SparkError (the job's own error, else the end of the log), LoadCancelled when ``cancel``
    is set (the spark-submit process group is stopped)."""
    notify = progress or (lambda stage, done, total: None)
    submit = find_spark_submit(submit)
    check_java()
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    log_path = work / "spark-submit.log"
    cmd = command(str(spec_path), master, submit=submit, name=spec.get("name", "opint"), conf=conf,
                  extra_args=extra_args)
    notify("spark", 0, 0)
    events: queue.Queue = queue.Queue()
    with open(log_path, "w", encoding="utf-8", errors="replace") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                    env=job_env(master), start_new_session=True, text=True,
                                    encoding="utf-8", errors="replace")
        except OSError as e:
            raise SparkError(f"cannot run {submit}: {e.strerror or e}", INSTALL_REMEDY) from None

        def read():
            for line in proc.stdout:
                if line.startswith("OPINT "):
                    try:
                        events.put(json.loads(line[6:]))
                    except ValueError:
                        pass
            events.put(None)

        threading.Thread(target=read, name="opint-spark-stdout", daemon=True).start()
        done = error = None
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise LoadCancelled()
                try:
                    event = events.get(timeout=0.2)
                except queue.Empty:
                    continue
                if event is None:      # stdout closed: the job is ending
                    break
                kind = event.get("event")
                if kind == "progress":
                    notify("spark-scan" if event.get("phase") == "scan" else "spark-group",
                           int(event.get("done", 0)), int(event.get("total", 0)))
                elif kind == "done":
                    done = event
                elif kind == "error":
                    error = event
            rc = _wait(proc, cancel)
        except BaseException:
            # cancelled, Ctrl-C (spark-submit runs in its own session: the terminal's SIGINT
            # does not reach it) or anything else: never leave the job running
            _stop(proc)
            raise
    if rc == 0 and done is not None:
        return done
    tail = _log_tail(log_path)
    if error is not None:
        message = f"the Spark job failed: {error.get('type', 'error')}: {error.get('message', '')}"
    else:
        message = f"spark-submit exited with status {rc} before the job finished"
    remedy = f"the full log is {log_path}"
    if not is_local(master):
        remedy += "; on lxplus check `klist` (a valid Kerberos ticket) and that the LCG view and " \
                  "hadoop-swan-setconf.sh were sourced in this shell"
    raise SparkError(message + (f"\n{tail}" if tail and error is None else ""), remedy, log=str(log_path))


def _wait(proc: subprocess.Popen, cancel) -> int:
    while True:
        try:
            return proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                raise LoadCancelled() from None


def _stop(proc: subprocess.Popen) -> None:
    """Stop spark-submit and what it started (its own process group, started for this): TERM,
    so that Spark shuts down and YARN ends the application, then KILL after 10 s."""
    for sig, timeout in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def _log_tail(path: Path, lines: int = 8) -> str:
    """The last error-looking lines of the spark-submit log."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    hits = [t for t in text if any(w in t for w in ("Error", "Exception", "error:", "ERROR"))]
    return "\n".join((hits or text)[-lines:])

