"""opint_core.load.filesystem: opening the archive and translating HDFS failures.

Three layers, no mocks of pyarrow:

1. translation: the real failure texts of pyarrow 26 (DOMAIN.md section 5.4) fed as OSError;
2. the real pyarrow HDFS paths, each in a fresh subprocess because pyarrow tries the
   libjvm/libhdfs load only once per process: no JVM, no libhdfs, and "HDFS connection failed"
   from a stub libhdfs.so (tests/stub_libhdfs/stub_libhdfs.c, compiled here with gcc) whose
   hdfsBuilderConnect returns NULL;
3. local archives: plain paths, '~', file:// URIs, and listing failures.

None of this covers JNI, the cluster config, Kerberos or a real NameNode (no HDFS server can run
in tests, DOMAIN.md section 6): that needs the lxplus-only smoke test.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from opint_core.load import filesystem as archive_fs
from opint_core.load.filesystem import (
    CLASSPATH_EXPORT,
    HADOOP_SETCONF,
    LCG_VIEW_SETUP,
    ArchiveError,
    check_listing,
    hdfs_self_check,
    open_archive_fs,
    translate_hdfs_error,
)

REPO = Path(__file__).resolve().parents[1]
STUB_SRC = Path(__file__).resolve().parent / "stub_libhdfs" / "stub_libhdfs.c"
URI = "hdfs://analytix/project/monitoring/archive"

# Texts as pyarrow 26.0.1 raised them on the dev VM (shortened where they list every candidate).
NO_JVM_TEXT = (
    "Unable to load libjvm\n"
    "dlopen(/nonexistent/jdk/libjvm.so) failed: /nonexistent/jdk/libjvm.so: cannot open shared "
    "object file: No such file or directory\n"
    "dlopen(/usr/lib/jvm/default-java//lib/server/libjvm.so) failed: /usr/lib/jvm/default-java//"
    "lib/server/libjvm.so: cannot open shared object file: No such file or directory"
)
NO_LIBHDFS_TEXT = (
    "Unable to load libhdfs\n"
    "dlopen(libhdfs.so) failed: libhdfs.so: cannot open shared object file: No such file or directory\n"
    "dlopen(./libhdfs.so) failed: ./libhdfs.so: cannot open shared object file: No such file or directory"
)
BAD_LIBHDFS_TEXT = (
    "dlsym(hdfsChmod) failed: /opt/hadoop/lib/native/libhdfs.so: undefined symbol: hdfsChmod"
)


def _conf_dir(tmp_path: Path) -> Path:
    conf = tmp_path / "hadoop-conf"
    conf.mkdir(exist_ok=True)
    for name in ("core-site.xml", "hdfs-site.xml"):
        (conf / name).write_text("<configuration/>\n")
    return conf


# ------------------------------------------------------------------------------------------------
# 1. Translation of each failure mode


def test_no_jvm_names_java_home_and_the_lxplus_setup(tmp_path):
    missing = str(tmp_path / "no-such-jdk")
    err = translate_hdfs_error(OSError(NO_JVM_TEXT), URI, environ={"JAVA_HOME": missing})
    assert isinstance(err, ArchiveError)
    assert err.cause == "no-jvm"
    assert "no Java VM found" in err.message and missing in err.message and "does not exist" in err.message
    assert LCG_VIEW_SETUP in err.remedy and HADOOP_SETCONF in err.remedy
    assert "export JAVA_HOME=" in err.remedy
    assert "start opint again" in err.remedy
    assert err.uri == URI and err.detail.startswith("Unable to load libjvm")
    # str() is what a CLI prints: message and remedy
    assert err.message in str(err) and LCG_VIEW_SETUP in str(err)


def test_no_jvm_without_java_home():
    err = translate_hdfs_error(OSError(NO_JVM_TEXT), URI, environ={})
    assert err.cause == "no-jvm"
    assert "JAVA_HOME is not set" in err.message


def test_no_jvm_detail_keeps_only_the_first_lines():
    long_text = "Unable to load libjvm\n" + "\n".join(f"dlopen(/p{i}/libjvm.so) failed" for i in range(88))
    err = translate_hdfs_error(OSError(long_text), URI, environ={})
    assert err.detail.count("\n") < 6 and "85 more lines" in err.detail
    assert len(str(err)) < 2000


def test_no_libhdfs_names_the_search_places_and_remedy():
    err = translate_hdfs_error(
        OSError(NO_LIBHDFS_TEXT), URI, environ={"HADOOP_HOME": "/opt/hadoop", "JAVA_HOME": "/jdk"}
    )
    assert err.cause == "no-libhdfs"
    assert "libhdfs.so" in err.message and "was not found" in err.message
    assert "$HADOOP_HOME=/opt/hadoop" in err.message and "$ARROW_LIBHDFS_DIR unset" in err.message
    assert "export ARROW_LIBHDFS_DIR=$HADOOP_HOME/lib/native" in err.remedy
    assert LCG_VIEW_SETUP in err.remedy and HADOOP_SETCONF in err.remedy


def test_no_libhdfs_old_arrow_first_line_only():
    err = translate_hdfs_error(OSError("Unable to load libhdfs"), URI, environ={})
    assert err.cause == "no-libhdfs"


def test_unusable_libhdfs_missing_symbol():
    err = translate_hdfs_error(OSError(BAD_LIBHDFS_TEXT), URI, environ={})
    assert err.cause == "no-libhdfs"
    assert "not a usable libhdfs" in err.message and "hdfsChmod" in err.message


def test_connection_failed_without_classpath():
    err = translate_hdfs_error(
        OSError("HDFS connection failed"), URI, environ={"JAVA_HOME": "/jdk", "HADOOP_CONF_DIR": "/c"}
    )
    assert err.cause == "no-classpath"
    assert "CLASSPATH is not set" in err.message
    assert CLASSPATH_EXPORT in err.remedy
    assert LCG_VIEW_SETUP in err.remedy and HADOOP_SETCONF in err.remedy


def test_connection_failed_with_unexpanded_classpath_wildcards(tmp_path):
    env = {"CLASSPATH": "/opt/hadoop/etc/hadoop:/opt/hadoop/share/hadoop/common/lib/*",
           "HADOOP_CONF_DIR": str(_conf_dir(tmp_path))}
    err = translate_hdfs_error(OSError("HDFS connection failed"), URI, environ=env)
    assert err.cause == "no-classpath"
    assert "wildcard" in err.message and "--glob" in err.remedy


def test_connection_failed_without_hadoop_config(tmp_path):
    env = {"CLASSPATH": str(tmp_path / "hadoop-common.jar")}
    err = translate_hdfs_error(OSError("HDFS connection failed"), URI, environ=env)
    assert err.cause == "no-hadoop-conf"
    assert "HADOOP_CONF_DIR is not set" in err.message
    assert HADOOP_SETCONF in err.remedy


def test_connection_failed_config_found_on_classpath_counts(tmp_path):
    # `hadoop classpath --glob` starts with the conf dir: that is config enough
    conf = _conf_dir(tmp_path)
    env = {"CLASSPATH": f"{conf}:{tmp_path / 'hadoop-common.jar'}", "PATH": str(tmp_path)}
    err = translate_hdfs_error(OSError("HDFS connection failed"), URI, environ=env)
    assert err.cause == "connect-failed"


def test_connection_failed_with_environment_points_at_kerberos(tmp_path):
    env = {"CLASSPATH": f"{tmp_path / 'hadoop-common.jar'}", "HADOOP_CONF_DIR": str(_conf_dir(tmp_path)),
           "PATH": str(tmp_path)}  # no klist on this PATH: ticket state unknown
    err = translate_hdfs_error(OSError("HDFS connection failed"), URI, environ=env)
    assert err.cause == "connect-failed"
    assert "Kerberos ticket" in err.message and "analytix e-group" in err.message
    assert "klist" in err.remedy and "kinit" in err.remedy
    assert LCG_VIEW_SETUP in err.remedy and CLASSPATH_EXPORT in err.remedy


def test_connection_failed_hints_expired_ticket_and_port(tmp_path):
    # a real executable named klist whose `klist -s` says "no valid ticket" (exit 1)
    klist = tmp_path / "bin" / "klist"
    klist.parent.mkdir()
    klist.write_text("#!/bin/sh\nexit 1\n")
    klist.chmod(0o755)
    env = {"CLASSPATH": f"{tmp_path / 'a.jar'}", "HADOOP_CONF_DIR": str(_conf_dir(tmp_path)),
           "PATH": str(klist.parent), "KRB5CCNAME": "KEYRING:persistent:1000"}
    err = translate_hdfs_error(OSError("HDFS connection failed"), "hdfs://analytix:8020/project", environ=env)
    assert err.cause == "connect-failed"
    assert "no valid Kerberos ticket" in err.message
    assert "KEYRING:persistent:1000" in err.message and "kerb_ticket" in err.message
    assert "port 8020" in err.message


def test_prior_attempt_failed_says_restart():
    err = translate_hdfs_error(OSError("Prior attempt to load libhdfs failed"), URI, environ={})
    assert err.cause == "prior-attempt-failed"
    assert "already failed once in this opint process" in err.message
    assert "start opint again" in err.remedy and LCG_VIEW_SETUP in err.remedy


def test_list_directory_failed():
    err = translate_hdfs_error(
        OSError("HDFS list directory failed, errno: 255 (Unknown error 255)"),
        URI, path="/project/monitoring/archive/fts/raw/complete/2024", what="FTS archive year",
    )
    assert err.cause == "list-failed"
    assert "FTS archive year /project/monitoring/archive/fts/raw/complete/2024" in err.message
    assert "listing failed" in err.message
    assert "kinit" in err.remedy and "hdfs dfs -ls /project/monitoring/archive/fts/raw/complete/2024" in err.remedy


def test_open_file_failed():
    path = "/project/monitoring/archive/fts/raw/complete/2024/05/01/part-00000-x-c000.json.gz"
    err = translate_hdfs_error(OSError(f"Opening HDFS file '{path}' failed"), URI, path=path, what="file")
    assert err.cause == "open-failed"
    assert path in err.message and "kinit" in err.remedy


def test_hdfs_permission_denied_names_the_egroup():
    exc = OSError(13, "HDFS list directory failed. Detail: [errno 13] Permission denied")
    assert isinstance(exc, PermissionError)  # how pyarrow raises errno 13
    err = translate_hdfs_error(exc, URI, path="/project/monitoring/archive/fts", what="FTS archive")
    assert err.cause == "permission"
    assert "permission denied on HDFS" in err.message and "/project/monitoring/archive/fts" in err.message
    assert "analytix e-group" in err.remedy


def test_hdfs_not_found_is_worded_as_maybe_unreachable():
    exc = OSError(2, "Path does not exist '/project/monitoring/archive/fts/raw/complete/2031'")
    err = translate_hdfs_error(exc, URI, path="/project/monitoring/archive/fts/raw/complete/2031",
                               what="FTS archive year")
    assert err.cause == "not-found"
    assert "not found or unreachable" in err.message and "klist/kinit" in err.message
    assert "kinit" in err.remedy


def test_bad_uri_from_arrow():
    import pyarrow as pa

    err = translate_hdfs_error(pa.ArrowInvalid("Cannot parse URI: 'hdfs://a b'"), "hdfs://a b")
    assert err.cause == "bad-uri"


def test_unknown_failure_keeps_original_text():
    err = translate_hdfs_error(OSError("Failed to initialize HDFS driver: something new"), URI, environ={})
    assert err.cause == "other"
    assert "Failed to initialize HDFS driver: something new" in err.message
    assert err.detail == "Failed to initialize HDFS driver: something new"


def test_self_check_reports_each_need(tmp_path):
    jdk = tmp_path / "jdk"
    (jdk / "lib" / "server").mkdir(parents=True)
    (jdk / "lib" / "server" / "libjvm.so").write_bytes(b"")
    native = tmp_path / "native"
    native.mkdir()
    (native / "libhdfs.so").write_bytes(b"")
    env = {"JAVA_HOME": str(jdk), "ARROW_LIBHDFS_DIR": str(native),
           "CLASSPATH": f"{_conf_dir(tmp_path)}:{tmp_path / 'hadoop-common.jar'}",
           "HADOOP_CONF_DIR": str(_conf_dir(tmp_path)), "PATH": str(tmp_path)}
    checks = {name: (ok, detail) for name, ok, detail in hdfs_self_check(env)}
    assert list(checks) == ["JAVA_HOME", "libhdfs", "CLASSPATH", "HADOOP_CONF_DIR", "Kerberos ticket"]
    assert all(checks[n][0] for n in ("JAVA_HOME", "libhdfs", "CLASSPATH", "HADOOP_CONF_DIR"))
    assert checks["Kerberos ticket"] == (False, "klist not found, cannot check the Kerberos ticket")

    bad = {name: (ok, detail) for name, ok, detail in hdfs_self_check({"PATH": str(tmp_path),
                                                                        "CLASSPATH": "/h/lib/*"})}
    assert not any(ok for ok, _ in bad.values())
    assert CLASSPATH_EXPORT in bad["CLASSPATH"][1] and HADOOP_SETCONF in bad["HADOOP_CONF_DIR"][1]


# ------------------------------------------------------------------------------------------------
# 2. The real pyarrow HDFS paths, one fresh process per scenario

# Opens each URI given on the command line in one process; prints what each open raised.
PROBE = r"""
import json, sys
from opint_core.load.filesystem import ArchiveError, open_archive_fs
out = []
for uri in sys.argv[1:]:
    try:
        open_archive_fs(uri)
        out.append({"cause": None})
    except ArchiveError as e:
        out.append({"cause": e.cause, "message": e.message, "remedy": e.remedy,
                    "raw": str(e.__cause__)})
print(json.dumps(out))
"""


def _run_probe(tmp_path: Path, env_extra: dict[str, str], *uris: str) -> tuple[list[dict], str]:
    cwd = tmp_path / "cwd"  # empty: pyarrow also tries ./libhdfs.so
    cwd.mkdir(exist_ok=True)
    # A clean environment: no HADOOP_HOME, ARROW_LIBHDFS_DIR, LD_LIBRARY_PATH or CLASSPATH leaks in.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "PYTHONPATH": str(REPO), "LANG": "C.UTF-8"}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-c", PROBE, *(uris or (URI,))], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def _builtin_jvm() -> str | None:
    """A libjvm.so in pyarrow's built-in search list (used when JAVA_HOME has none)."""
    return next(filter(None, map(archive_fs._find_libjvm, archive_fs._JVM_PREFIXES)), None)


@pytest.fixture(scope="module")
def java_home(tmp_path_factory) -> str:
    """A real JDK; where there is none, a directory with a gcc-built empty libjvm.so (pyarrow only
    dlopens libjvm here, the stub libhdfs never starts a JVM)."""
    candidates = [os.environ.get("JAVA_HOME", "")] + sorted(glob.glob("/usr/lib/jvm/*"))
    for home in candidates:
        if home and os.path.isfile(os.path.join(home, "lib", "server", "libjvm.so")):
            return home
    if shutil.which("gcc") is None:
        pytest.skip("no JDK and no gcc to build a stand-in libjvm.so")
    home = tmp_path_factory.mktemp("fake-jdk")
    server = home / "lib" / "server"
    server.mkdir(parents=True)
    src = home / "empty.c"
    src.write_text("int opint_fake_libjvm(void) { return 0; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(server / "libjvm.so"), str(src)], check=True)
    return str(home)


@pytest.fixture(scope="module")
def stub_libhdfs_dir(tmp_path_factory) -> str:
    """Directory holding libhdfs.so compiled from tests/stub_libhdfs/stub_libhdfs.c."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not available to compile the stub libhdfs.so")
    out = tmp_path_factory.mktemp("stub-libhdfs")
    subprocess.run([gcc, "-shared", "-fPIC", "-Wall", "-Werror", "-o", str(out / "libhdfs.so"),
                    str(STUB_SRC)], check=True, capture_output=True, text=True)
    return str(out)


def test_real_no_jvm_then_prior_attempt(tmp_path):
    """(a) JAVA_HOME points nowhere. On a machine without a JVM in pyarrow's built-in locations
    (the dev VM: JDKs only under /usr/lib/jvm/java-17-openjdk-amd64 etc.) pyarrow says
    'Unable to load libjvm'; where it finds one it gets as far as 'Unable to load libhdfs'."""
    missing = str(tmp_path / "no-such-jdk")
    (first, second), _ = _run_probe(tmp_path, {"JAVA_HOME": missing}, URI, URI)
    if _builtin_jvm() is None:
        assert first["raw"].startswith("Unable to load libjvm\ndlopen(")
        assert first["cause"] == "no-jvm"
        assert missing in first["message"] and "does not exist" in first["message"]
        assert LCG_VIEW_SETUP in first["remedy"] and "export JAVA_HOME=" in first["remedy"]
        first_words = "no Java VM found"
    else:
        assert first["raw"].startswith("Unable to load libhdfs")
        assert first["cause"] == "no-libhdfs"
        first_words = "libhdfs.so"
    # (d) the load is tried once per process: the second open only says "Prior attempt";
    # our error repeats the first cause and its remedy
    assert second["raw"] == "Prior attempt to load libhdfs failed"
    assert second["cause"] == "prior-attempt-failed"
    assert first_words in second["message"]
    assert second["remedy"] == first["remedy"]


def test_real_no_libhdfs_then_prior_attempt(tmp_path, java_home):
    """(b) a JVM but ARROW_LIBHDFS_DIR, HADOOP_HOME and LD_LIBRARY_PATH unset."""
    (first, second), _ = _run_probe(tmp_path, {"JAVA_HOME": java_home}, URI, URI)
    assert first["raw"].startswith(
        "Unable to load libhdfs\ndlopen(libhdfs.so) failed: libhdfs.so: cannot open shared object file"
    )
    assert first["cause"] == "no-libhdfs"
    assert "$ARROW_LIBHDFS_DIR unset" in first["message"]
    assert "export ARROW_LIBHDFS_DIR=" in first["remedy"] and LCG_VIEW_SETUP in first["remedy"]
    # (d)
    assert second["raw"] == "Prior attempt to load libhdfs failed"
    assert second["cause"] == "prior-attempt-failed"
    assert "libhdfs.so (Hadoop's C client) was not found" in second["message"]


def test_real_connection_failed_without_classpath(tmp_path, java_home, stub_libhdfs_dir):
    """(c1) libhdfs loads (the stub), connect returns NULL, CLASSPATH unset -> no-classpath."""
    (res,), stderr = _run_probe(tmp_path, {"JAVA_HOME": java_home, "ARROW_LIBHDFS_DIR": stub_libhdfs_dir})
    assert res["raw"] == "HDFS connection failed"
    assert res["cause"] == "no-classpath"
    assert CLASSPATH_EXPORT in res["remedy"]
    # from_uri handed libhdfs the logical nameservice with port 0 (HA-safe), never 8020
    assert "opint-stub-libhdfs: refused connect name_node=hdfs://analytix port=0 " in stderr


def test_real_connection_failed_without_config(tmp_path, java_home, stub_libhdfs_dir):
    """(c2) CLASSPATH set but no Hadoop config anywhere -> no-hadoop-conf."""
    env = {"JAVA_HOME": java_home, "ARROW_LIBHDFS_DIR": stub_libhdfs_dir,
           "CLASSPATH": str(tmp_path / "hadoop-client-api.jar")}
    (res,), _ = _run_probe(tmp_path, env)
    assert res["raw"] == "HDFS connection failed"
    assert res["cause"] == "no-hadoop-conf"
    assert HADOOP_SETCONF in res["remedy"]


def test_real_connection_failed_with_environment(tmp_path, java_home, stub_libhdfs_dir):
    """(c3) CLASSPATH and config present -> connect-failed pointing at Kerberos. The library did
    load, so a second attempt in the same process connects again (no 'Prior attempt'), and URI
    query keys reach libhdfs."""
    conf = _conf_dir(tmp_path)
    env = {"JAVA_HOME": java_home, "ARROW_LIBHDFS_DIR": stub_libhdfs_dir,
           "CLASSPATH": f"{conf}:{tmp_path / 'hadoop-client-api.jar'}", "HADOOP_CONF_DIR": str(conf)}
    ticket = str(tmp_path / "krb5cc_test")
    results, stderr = _run_probe(tmp_path, env, URI, "hdfs://analytix:8020/project",
                                 f"hdfs://analytix/project?kerb_ticket={ticket}")
    assert [r["raw"] for r in results] == ["HDFS connection failed"] * 3
    assert [r["cause"] for r in results] == ["connect-failed"] * 3
    first = results[0]
    assert "Kerberos ticket" in first["message"]
    assert "klist" in first["remedy"] and "kinit" in first["remedy"]
    assert "port 8020" in results[1]["message"]
    assert "name_node=hdfs://analytix port=0 kerb_ticket=(unset)" in stderr
    assert "name_node=hdfs://analytix port=8020 " in stderr
    assert f"name_node=hdfs://analytix port=0 kerb_ticket={ticket}" in stderr


# ------------------------------------------------------------------------------------------------
# 3. Local archives


def test_plain_absolute_path(tmp_path):
    fs, root = open_archive_fs(str(tmp_path))
    assert isinstance(fs, pafs.LocalFileSystem)
    assert root == str(tmp_path)


def test_plain_relative_path(tmp_path, monkeypatch):
    (tmp_path / "archive").mkdir()
    monkeypatch.chdir(tmp_path)
    fs, root = open_archive_fs("archive")
    assert isinstance(fs, pafs.LocalFileSystem)
    assert root == str(tmp_path / "archive")


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    fs, root = open_archive_fs("~/monit copy")
    assert isinstance(fs, pafs.LocalFileSystem)
    assert root == str(tmp_path / "monit copy")


def test_awkward_plain_path_characters(tmp_path):
    weird = tmp_path / "run:2024 50%#1"
    weird.mkdir()
    fs, root = open_archive_fs(str(weird))
    assert isinstance(fs, pafs.LocalFileSystem) and root == str(weird)
    assert check_listing(fs, root, "archive root") == []


def test_file_uri(tmp_path):
    fs, root = open_archive_fs(tmp_path.as_uri())
    assert isinstance(fs, pafs.LocalFileSystem)
    assert root == str(tmp_path)


@pytest.mark.parametrize("uri", ["", "s3://bucket/archive", "file://otherhost/archive", "file:relative"])
def test_unusable_uris(uri):
    with pytest.raises(ArchiveError) as info:
        open_archive_fs(uri)
    assert info.value.cause == "bad-uri"


def test_check_listing_lists_a_day(tmp_path):
    day = tmp_path / "project/monitoring/archive/fts/raw/complete/2024/05/01"
    day.mkdir(parents=True)
    (day / "part-00000-x-c000.json.gz").write_bytes(b"")
    fs, root = open_archive_fs(str(tmp_path))
    infos = check_listing(fs, f"{root}/project/monitoring/archive/fts/raw/complete/2024/05/01", "FTS day")
    assert [i.base_name for i in infos] == ["part-00000-x-c000.json.gz"]


def test_check_listing_missing_directory(tmp_path):
    fs, root = open_archive_fs(str(tmp_path))
    missing = f"{root}/project/monitoring/archive/fts/raw/complete/2024"
    with pytest.raises(ArchiveError) as info:
        check_listing(fs, missing, "FTS archive year 2024")
    err = info.value
    assert err.cause == "not-found"
    assert err.path == missing and missing in err.message
    assert err.message.startswith("FTS archive year 2024")
    assert "unreachable" not in err.message  # that wording is for HDFS only
    assert isinstance(err.__cause__, FileNotFoundError)


def test_check_listing_on_a_file(tmp_path):
    (tmp_path / "plain.txt").write_text("x")
    fs, root = open_archive_fs(str(tmp_path))
    with pytest.raises(ArchiveError) as info:
        check_listing(fs, f"{root}/plain.txt", "archive root")
    assert info.value.cause == "not-a-directory"


LISTING_PROBE = r"""
import json, os, sys
from opint_core.load.filesystem import ArchiveError, check_listing, open_archive_fs
root_dir, locked = sys.argv[1:]
try:
    os.listdir(locked)
    print(json.dumps({"readable": True}))
    sys.exit(0)
except PermissionError:
    pass
fs, root = open_archive_fs(root_dir)
try:
    check_listing(fs, locked, "FTS archive")
    print(json.dumps({"readable": False, "cause": None}))
except ArchiveError as e:
    print(json.dumps({"readable": False, "cause": e.cause, "message": e.message, "remedy": e.remedy}))
"""


def test_check_listing_unreadable_directory(tmp_path):
    """chmod 000 blocks reads unless we are root (CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH). As root,
    the listing runs in a subprocess with those capabilities dropped (setpriv), so the real
    EACCES path is still exercised; skipped only when that is impossible."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o000)
    try:
        cmd = [sys.executable, "-c", LISTING_PROBE, str(tmp_path), str(locked)]
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv: chmod 000 does not block reads")
            drop = "-dac_override,-dac_read_search"
            cmd = [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--", *cmd]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 and os.geteuid() == 0:
            pytest.skip(f"cannot drop root's file capabilities here: {proc.stderr.strip()[:200]}")
        assert proc.returncode == 0, proc.stderr
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        if res["readable"]:
            pytest.skip("chmod 000 does not block reads for this user (root or CAP_DAC_OVERRIDE)")
        assert res["cause"] == "permission"
        assert str(locked) in res["message"] and "permission denied" in res["message"]
        assert f"ls -ld {locked}" in res["remedy"]
    finally:
        locked.chmod(0o755)
