"""Opening the archive filesystem, and turning HDFS failures into errors a shifter can act on.

The archive is any pyarrow filesystem URI: ``hdfs://analytix[/prefix]`` on lxplus, or a local copy
(``file:///abs/path`` or a plain path) in tests, demos and offline work. Both go through
``pyarrow.fs.FileSystem.from_uri`` so that the loader code is the same for both.

pyarrow's HDFS client (``HadoopFileSystem``) loads libjvm and libhdfs at run time, then libhdfs
starts a JVM that needs CLASSPATH, the cluster config and a Kerberos ticket. Each missing piece
fails with a short, generic ``OSError`` text (DOMAIN.md section 5.4); the useful detail goes to
stderr, if anywhere. ``translate_hdfs_error`` maps each text, plus what the environment shows,
to one ``ArchiveError`` that names the cause and what to run on lxplus.

Two pyarrow behaviours shape this module:

* the libjvm/libhdfs load is tried **once per process**: after a failure every later attempt
  says only "Prior attempt to load libhdfs failed", so the first failure is remembered here
  and repeated then;
* HDFS ``GetFileInfo`` maps any IOError (expired ticket, NameNode unreachable) to "not found"
  (section 5.5), so ``check_listing`` never lists with ``allow_not_found=True`` and words an
  HDFS "not found" as "not found or unreachable".
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from opint_core.errors import OpintError

__all__ = [
    "ArchiveError",
    "LXPLUS_SETUP",
    "check_listing",
    "hdfs_self_check",
    "open_archive_fs",
    "scheme_of",
    "translate_hdfs_error",
]

# The EL9 recipe of DOMAIN.md section 5.1 (CMSSpark util_setup_spark_el9_cvmfs), plus the
# CLASSPATH export that pyarrow.fs needs and never does itself (section 5.2).
LCG_VIEW_SETUP = "source /cvmfs/sft.cern.ch/lcg/views/LCG_105a_swan/x86_64-el9-gcc13-opt/setup.sh"
HADOOP_SETCONF = (
    "source /cvmfs/sft.cern.ch/lcg/etc/hadoop-confext/hadoop-swan-setconf.sh analytix 3.3 spark3"
)
KINIT = "kinit"
CLASSPATH_EXPORT = "export CLASSPATH=$(hadoop classpath --glob)"
LXPLUS_SETUP = "\n".join([LCG_VIEW_SETUP, HADOOP_SETCONF, KINIT, CLASSPATH_EXPORT])

_RESTART = "Then start opint again: pyarrow loads the JVM and libhdfs only once per process."
_RESTART_SHELL = "Then start opint again from that shell (the JVM reads these when it starts)."
_HDFS_SCHEMES = ("hdfs", "viewfs")
_MAX_DETAIL_LINES = 4


class ArchiveError(OpintError):
    """A problem with the archive or its access, with a message a shifter can act on.

    Attributes:
        message: what went wrong, naming the archive URI/path and the cause.
        cause:   short machine-readable string: 'no-jvm', 'no-libhdfs', 'no-classpath',
                 'no-hadoop-conf', 'connect-failed', 'prior-attempt-failed', 'not-found',
                 'permission', 'not-a-directory', 'list-failed', 'open-failed', 'bad-uri', 'other'.
        remedy:  what to run (on lxplus for HDFS causes), one command per line where possible.
        uri:     the archive URI as given, if known.
        path:    the path inside the archive filesystem, if the failure concerns one.
        detail:  the first lines of the original error text (pyarrow's), kept for reports.

    ``str(err)`` is the message followed by the remedy.
    """

    def __init__(
        self,
        message: str,
        *,
        cause: str,
        remedy: str = "",
        uri: str | None = None,
        path: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message, remedy)
        self.cause = cause
        self.uri = uri
        self.path = path
        self.detail = detail

    def __str__(self) -> str:
        if not self.remedy:
            return self.message
        return f"{self.message}\nWhat to do:\n{_indent(self.remedy)}"


# The first libjvm/libhdfs load failure of this process: every later attempt only says
# "Prior attempt to load libhdfs failed", so its translation repeats this one.
_first_load_failure: ArchiveError | None = None


# --------------------------------------------------------------------------------------------
# Opening


def open_archive_fs(uri: str) -> tuple[pafs.FileSystem, str]:
    """Open the archive at ``uri``; return ``(filesystem, root path without scheme)``.

    ``uri`` is ``hdfs://analytix``, ``hdfs://analytix/some/prefix``, ``hdfs:///prefix`` (the
    cluster's fs.defaultFS), ``file:///abs/path`` or a plain local path (relative, absolute,
    ``~`` expanded). Everything goes through ``FileSystem.from_uri``: plain paths become
    ``file://`` URIs first. For hdfs, from_uri passes the logical nameservice with port 0, which
    keeps NameNode HA working (``HadoopFileSystem("analytix")`` would use port 8020 and a single
    physical host). URI query keys such as ``?kerb_ticket=/tmp/krb5cc_1234`` are passed through.

    Opening hdfs connects eagerly (starts the JVM, contacts the NameNode). Any failure raises
    ``ArchiveError`` (see ``translate_hdfs_error``).
    """
    global _first_load_failure
    text = (uri or "").strip()
    if not text:
        raise ArchiveError(
            "No archive given.",
            cause="bad-uri",
            remedy="Pass hdfs://analytix (on lxplus), file:///abs/path or a local directory.",
            uri=uri,
        )
    scheme = scheme_of(text)
    if scheme is None:
        local = os.path.abspath(os.path.expanduser(text))
        target = Path(local).as_uri()  # percent-encodes spaces, '%', '#'...
    elif scheme in ("file", *_HDFS_SCHEMES):
        target = text
    else:
        raise ArchiveError(
            f"Unsupported archive URI {text!r}: opint reads hdfs:// (the analytix archive), "
            "file:// or a plain local path.",
            cause="bad-uri",
            remedy="Use hdfs://analytix on lxplus, or file:///abs/path / a directory for a local copy.",
            uri=uri,
        )
    try:
        fs, path = pafs.FileSystem.from_uri(target)
    except (OSError, pa.ArrowInvalid) as exc:
        err = translate_hdfs_error(exc, text)
        if err.cause in ("no-jvm", "no-libhdfs") and _first_load_failure is None:
            _first_load_failure = err
        raise err from exc
    return fs, (path or "/")


def scheme_of(text: str) -> str | None:
    """The URI scheme of ``text``, or None for a plain path ('file:' needs no '//')."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", text)
    if not m:
        return None
    scheme = m.group(1).lower()
    if text[m.end():].startswith("//") or scheme == "file":
        return scheme
    return None  # e.g. a local directory named 'run:2024'


def _is_hdfs_uri(uri: str | None) -> bool:
    return bool(uri) and (scheme_of(uri) or "") in _HDFS_SCHEMES


# --------------------------------------------------------------------------------------------
# Translating failures


def translate_hdfs_error(
    exc: BaseException,
    uri: str,
    *,
    path: str | None = None,
    what: str = "archive path",
    environ: Mapping[str, str] | None = None,
) -> ArchiveError:
    """Map a pyarrow failure while opening or reading the archive to one ``ArchiveError``.

    Recognises the failure texts of DOMAIN.md section 5.4 (pyarrow 26) and splits the generic
    "HDFS connection failed" by what the environment (``environ``, default ``os.environ``) shows:
    CLASSPATH unset or unexpanded -> 'no-classpath'; no Hadoop config -> 'no-hadoop-conf'; else
    'connect-failed' (Kerberos ticket, e-group, NameNode). ``path`` and ``what`` ("FTS archive
    day 2024/05/01") name the path concerned, if any. Anything unrecognised keeps the original
    text (cause 'other'). Never raises.
    """
    env = os.environ if environ is None else environ
    text = str(exc)
    first = text.splitlines()[0].strip() if text.strip() else type(exc).__name__
    detail = _first_lines(text)
    hdfs = _is_hdfs_uri(uri)

    def err(message: str, cause: str, remedy: str) -> ArchiveError:
        return ArchiveError(message, cause=cause, remedy=remedy, uri=uri, path=path, detail=detail)

    if isinstance(exc, pa.ArrowInvalid) and "URI" in text:
        return err(
            f"Cannot use archive URI {uri!r}: {first}",
            "bad-uri",
            "Check the spelling: hdfs://analytix[/prefix], file:///absolute/path or a local "
            "directory (spaces and '%' are only allowed in plain paths).",
        )

    if first.startswith("Unable to load libjvm"):
        return err(_no_jvm_message(uri, env), "no-jvm", _no_jvm_remedy())

    if first.startswith("Unable to load libhdfs") or (
        first.startswith("dlsym(") and "libhdfs" in text
    ):
        if first.startswith("dlsym("):
            msg = (
                f"Cannot open {uri}: the libhdfs.so that was found is not a usable libhdfs "
                f"({first})."
            )
        else:
            msg = (
                f"Cannot open {uri}: libhdfs.so (Hadoop's C client) was not found. "
                + _libhdfs_searched(env)
            )
        return err(msg, "no-libhdfs", _no_libhdfs_remedy())

    if first.startswith("Prior attempt to load libhdfs failed"):
        prior = _first_load_failure
        why = (
            f" The first failure was: {prior.message}"
            if prior is not None
            else " See the first error (no JVM or no libhdfs)."
        )
        remedy = prior.remedy if prior is not None else (
            "Fix the environment as the first error said, or set it up from scratch:\n"
            f"{LXPLUS_SETUP}\n{_RESTART}"
        )
        return err(
            f"Cannot open {uri}: loading the JVM/libhdfs already failed once in this opint "
            f"process and pyarrow does not retry.{why}",
            "prior-attempt-failed",
            remedy,
        )

    if first.startswith("HDFS connection failed"):
        return _translate_connection_failed(uri, env, detail, path)

    # Listing, opening and metadata failures: pyarrow raises the OSError subclass of the errno,
    # which says more than the text.
    subject = f"{what[:1].upper()}{what[1:]} {path}" if path else f"Archive {uri}"
    if isinstance(exc, FileNotFoundError) or first.startswith("Path does not exist"):
        return _not_found_error(uri, path, what, hdfs, detail)
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        return err(
            f"{subject}: permission denied{' on HDFS' if hdfs else ''} ({first}).",
            "permission",
            _hdfs_permission_remedy(path) if hdfs else _local_permission_remedy(path),
        )
    if isinstance(exc, NotADirectoryError):
        return err(
            f"{subject} is not a directory ({first}).",
            "not-a-directory",
            "Point opint at the archive root directory (the one holding project/monitoring/archive).",
        )
    if first.startswith("HDFS list directory failed") or first.startswith("Cannot list directory"):
        return err(
            f"{subject}: listing failed ({first}).",
            "list-failed",
            _kerberos_remedy() + f"\nhdfs dfs -ls {path or '<path>'}    # does the cluster answer?"
            if hdfs
            else _local_permission_remedy(path),
        )
    if first.startswith(("Opening HDFS file", "Failed to open")):
        return err(
            f"{subject}: opening failed ({first}).",
            "open-failed",
            _kerberos_remedy() + f"\nhdfs dfs -ls {path or '<path>'}"
            if hdfs
            else f"Check that the file exists and is readable: ls -l {path or '<path>'}",
        )
    return err(
        f"{subject}: {first}",
        "other",
        f"klist    # valid ticket?\nIf the environment is not set up:\n{_indent(LXPLUS_SETUP)}"
        if hdfs
        else "Check the archive path and its permissions.",
    )


def _translate_connection_failed(
    uri: str, env: Mapping[str, str], detail: str, path: str | None
) -> ArchiveError:
    def err(message: str, cause: str, remedy: str) -> ArchiveError:
        return ArchiveError(message, cause=cause, remedy=remedy, uri=uri, path=path, detail=detail)

    head = f"Cannot connect to {uri}: libhdfs loaded but the connection failed"
    classpath = env.get("CLASSPATH", "").strip()
    if not classpath:
        return err(
            f"{head} because CLASSPATH is not set, so the JVM has no Hadoop jars "
            "(pyarrow.fs does not set it; libhdfs only prints 'Environment variable CLASSPATH "
            "not set!' to stderr).",
            "no-classpath",
            f"{LCG_VIEW_SETUP}\n{HADOOP_SETCONF}\n{CLASSPATH_EXPORT}\n{_RESTART_SHELL}",
        )
    wildcards = [e for e in classpath.split(os.pathsep) if e.endswith("*")]
    if wildcards:
        return err(
            f"{head}: CLASSPATH holds wildcard entries ({wildcards[0]!r}...) that libhdfs does not "
            "expand, so the JVM has no Hadoop jars.",
            "no-classpath",
            f"{CLASSPATH_EXPORT}    # --glob expands the wildcards\n{_RESTART_SHELL}",
        )
    conf_dirs = _hadoop_conf_dirs(env)
    if not conf_dirs:
        conf = env.get("HADOOP_CONF_DIR", "")
        why = (
            f"HADOOP_CONF_DIR={conf} has no core-site.xml"
            if conf
            else "HADOOP_CONF_DIR is not set and no directory on CLASSPATH holds core-site.xml"
        )
        return err(
            f"{head}: no Hadoop cluster configuration ({why}), so the nameservice "
            f"{urlsplit(uri).hostname or '(fs.defaultFS)'} cannot be resolved.",
            "no-hadoop-conf",
            f"{HADOOP_SETCONF}\n{CLASSPATH_EXPORT}\n{_RESTART_SHELL}",
        )
    hints = []
    ticket_ok, ticket_text = _kerberos_ticket_status(env)
    if ticket_ok is False:
        hints.append(ticket_text)
    ccache = env.get("KRB5CCNAME", "")
    if ccache and not ccache.startswith(("FILE:", "/")):
        hints.append(
            f"KRB5CCNAME={ccache} is not a FILE cache, which Java may not read: add "
            "?kerb_ticket=<cache file> to the URI, or export KRB5CCNAME=FILE:/tmp/krb5cc_$(id -u) "
            "and kinit again"
        )
    port = _explicit_port(uri)
    if port is not None:
        hints.append(
            f"the URI names port {port}: for the HA nameservice give no port (hdfs://analytix)"
        )
    hint = (" Found: " + "; ".join(hints) + ".") if hints else ""
    return err(
        f"{head} (Java details, if any, were printed to stderr). Most likely the Kerberos ticket "
        "is missing or expired, or you are not in the analytix e-group; else the cluster config "
        f"({', '.join(conf_dirs)}) or the NameNode.{hint}",
        "connect-failed",
        _kerberos_remedy()
        + "\nhdfs dfs -ls /project/monitoring/archive/fts/raw/complete    # does the cluster answer?"
        + "\nAccess needs the analytix e-group (CERN KB0004426)."
        + f"\nIf the environment is not set up:\n{_indent(LXPLUS_SETUP)}",
    )


def _not_found_error(
    uri: str, path: str | None, what: str, hdfs: bool, detail: str
) -> ArchiveError:
    shown = path or uri
    what = what[:1].upper() + what[1:]
    if hdfs:
        return ArchiveError(
            f"{what} {shown} not found or unreachable on {uri}. HDFS reports any "
            "failure to reach a path (expired Kerberos ticket, NameNode unreachable) as 'not "
            "found', so this is not proof that it does not exist (check klist/kinit).",
            cause="not-found",
            remedy=_kerberos_remedy() + f"\nhdfs dfs -ls {shown}    # does it exist?",
            uri=uri,
            path=path,
            detail=detail,
        )
    return ArchiveError(
        f"{what} {shown} not found.",
        cause="not-found",
        remedy=f"Check the archive root and the date: ls {shown}\n"
        "A local archive must be laid out like the real one: "
        "<root>/project/monitoring/archive/<fts/raw/complete|rucio/raw/events>/YYYY/MM/DD/",
        uri=uri,
        path=path,
        detail=detail,
    )


# --------------------------------------------------------------------------------------------
# Listing


def check_listing(fs: pafs.FileSystem, path: str, what: str) -> list[pafs.FileInfo]:
    """List directory ``path`` (not recursively) or raise ``ArchiveError`` naming it.

    ``what`` says what the directory is ("FTS archive month 2024/05"), for the message. Lists
    with ``allow_not_found=False``: a missing directory is an error, never an empty result. On
    HDFS "not found" is worded "not found or unreachable (check klist/kinit)" because HDFS
    GetFileInfo maps any IOError to NotFound (DOMAIN.md section 5.5). An existing empty directory
    returns ``[]``: whether that is acceptable is the caller's decision.
    """
    hdfs = fs.type_name in _HDFS_SCHEMES
    uri = f"{fs.type_name}://{path}" if hdfs else f"file://{path}"
    try:
        return fs.get_file_info(pafs.FileSelector(path, allow_not_found=False, recursive=False))
    except (OSError, pa.ArrowInvalid) as exc:
        raise translate_hdfs_error(exc, uri, path=path, what=what) from exc


# --------------------------------------------------------------------------------------------
# Environment checks (for `opint doctor`): cheap, no JVM load, no connection.


def hdfs_self_check(environ: Mapping[str, str] | None = None) -> list[tuple[str, bool, str]]:
    """Check the environment pyarrow's HDFS client needs; return ``[(name, ok, detail)]``.

    Checks JAVA_HOME/libjvm, libhdfs, CLASSPATH, HADOOP_CONF_DIR and the Kerberos ticket
    (``klist -s``). Loads nothing and contacts nothing, so it is safe to run before opening the
    archive (loading libhdfs is tried only once per process).
    """
    env = os.environ if environ is None else environ
    checks: list[tuple[str, bool, str]] = []

    java_home = env.get("JAVA_HOME", "")
    if java_home:
        jvm = _find_libjvm(java_home)
        checks.append(
            ("JAVA_HOME", jvm is not None,
             f"{java_home}: libjvm.so at {jvm}" if jvm else
             f"{java_home} has no lib/server/libjvm.so; {_no_jvm_remedy_short()}")
        )
    else:
        builtin = next(filter(None, map(_find_libjvm, _JVM_PREFIXES)), None)
        checks.append(
            ("JAVA_HOME", False,
             f"not set (pyarrow would fall back to {builtin}); {_no_jvm_remedy_short()}" if builtin
             else f"not set and no JVM in the usual places; {_no_jvm_remedy_short()}")
        )

    libhdfs = _find_libhdfs(env)
    checks.append(
        ("libhdfs", libhdfs is not None,
         f"found {libhdfs}" if libhdfs else
         "libhdfs.so not in LD_LIBRARY_PATH, $HADOOP_HOME/lib/native or $ARROW_LIBHDFS_DIR; "
         "export ARROW_LIBHDFS_DIR=<dir holding libhdfs.so>")
    )

    classpath = env.get("CLASSPATH", "").strip()
    entries = [e for e in classpath.split(os.pathsep) if e]
    if not entries:
        checks.append(("CLASSPATH", False, f"not set; {CLASSPATH_EXPORT}"))
    elif any(e.endswith("*") for e in entries):
        checks.append(("CLASSPATH", False, f"has unexpanded wildcards; {CLASSPATH_EXPORT}"))
    else:
        jars = sum(1 for e in entries if e.endswith(".jar"))
        checks.append(("CLASSPATH", jars > 0, f"{len(entries)} entries, {jars} jars"
                       + ("" if jars else f"; no jars: {CLASSPATH_EXPORT}")))

    conf = env.get("HADOOP_CONF_DIR", "")
    if conf:
        missing = [f for f in ("core-site.xml", "hdfs-site.xml")
                   if not os.path.isfile(os.path.join(conf, f))]
        checks.append(("HADOOP_CONF_DIR", not missing,
                       conf + (f" lacks {', '.join(missing)}; {HADOOP_SETCONF}" if missing else "")))
    else:
        checks.append(("HADOOP_CONF_DIR", False, f"not set; {HADOOP_SETCONF}"))

    ok, text = _kerberos_ticket_status(env)
    checks.append(("Kerberos ticket", bool(ok), text))
    return checks


# --------------------------------------------------------------------------------------------
# Helpers

# pyarrow's built-in libjvm search (arrow hdfs_internal.cc), after $JAVA_HOME.
_JVM_PREFIXES = (
    "/usr/lib/jvm/default-java", "/usr/lib/jvm/java", "/usr/lib/jvm", "/usr/lib64/jvm",
    "/usr/local/lib/jvm/default-java", "/usr/local/lib/jvm/java", "/usr/local/lib/jvm",
    "/usr/local/lib64/jvm",
    *(f"{root}/lib/jvm/java-{v}-openjdk-amd64" for v in (8, 7, 6) for root in ("/usr/local", "/usr")),
    *(f"{root}/lib/jvm/java-{v}-oracle" for root in ("/usr", "/usr/local") for v in (7, 8, 6)),
    "/usr/lib/jvm/default", "/usr/java/latest",
)
_JVM_SUFFIXES = ("", "lib/server", "jre/lib/amd64/server", "lib/amd64/server")


def _find_libjvm(prefix: str) -> str | None:
    for suffix in _JVM_SUFFIXES:
        candidate = os.path.join(prefix, suffix, "libjvm.so")
        if os.path.isfile(candidate):
            return candidate
    return None


def _find_libhdfs(env: Mapping[str, str]) -> str | None:
    dirs = [d for d in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if d]
    if env.get("HADOOP_HOME"):
        dirs.append(os.path.join(env["HADOOP_HOME"], "lib", "native"))
    if env.get("ARROW_LIBHDFS_DIR"):
        dirs.append(env["ARROW_LIBHDFS_DIR"])
    for d in dirs:
        candidate = os.path.join(d, "libhdfs.so")
        if os.path.isfile(candidate):
            return candidate
    return None


def _hadoop_conf_dirs(env: Mapping[str, str]) -> list[str]:
    """Directories a Hadoop client would read core-site.xml from: HADOOP_CONF_DIR, CLASSPATH dirs."""
    dirs = []
    candidates = [env.get("HADOOP_CONF_DIR", "")] + env.get("CLASSPATH", "").split(os.pathsep)
    for d in candidates:
        if d and not d.endswith((".jar", "*")) and os.path.isfile(os.path.join(d, "core-site.xml")):
            if d not in dirs:
                dirs.append(d)
    return dirs


def _kerberos_ticket_status(env: Mapping[str, str]) -> tuple[bool | None, str]:
    """(True, text) valid ticket; (False, text) none or expired; (None, text) cannot tell."""
    klist = shutil.which("klist", path=env.get("PATH"))
    if klist is None:
        return None, "klist not found, cannot check the Kerberos ticket"
    try:
        rc = subprocess.run(
            [klist, "-s"], env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=5, check=False,
        ).returncode
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"klist -s failed to run ({exc})"
    if rc == 0:
        return True, "valid ticket (klist -s)"
    return False, "no valid Kerberos ticket (klist -s): run kinit"


def _explicit_port(uri: str) -> int | None:
    try:
        return urlsplit(uri).port
    except ValueError:
        return None


def _no_jvm_message(uri: str, env: Mapping[str, str]) -> str:
    java_home = env.get("JAVA_HOME", "")
    if java_home:
        state = (
            f"JAVA_HOME={java_home} does not exist"
            if not os.path.isdir(java_home)
            else f"JAVA_HOME={java_home} has no lib/server/libjvm.so"
        )
    else:
        state = "JAVA_HOME is not set and no JVM is in the usual places"
    return (
        f"Cannot open {uri}: no Java VM found ({state}). pyarrow's HDFS client runs Hadoop's "
        "Java client inside opint and needs libjvm.so."
    )


def _no_jvm_remedy() -> str:
    return (
        f"On lxplus, set up the environment:\n{_indent(LXPLUS_SETUP)}\n"
        "Elsewhere, point JAVA_HOME at a JDK (a directory with lib/server/libjvm.so):\n"
        "    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk\n"
        + _RESTART
    )


def _no_jvm_remedy_short() -> str:
    return f"{LCG_VIEW_SETUP} (or export JAVA_HOME=<a JDK>)"


def _libhdfs_searched(env: Mapping[str, str]) -> str:
    def show(name: str) -> str:
        return f"${name}={env[name]}" if env.get(name) else f"${name} unset"

    return (
        "pyarrow looked in LD_LIBRARY_PATH, ./, $HADOOP_HOME/lib/native and $ARROW_LIBHDFS_DIR ("
        + ", ".join(show(n) for n in ("HADOOP_HOME", "ARROW_LIBHDFS_DIR", "LD_LIBRARY_PATH"))
        + ")."
    )


def _no_libhdfs_remedy() -> str:
    return (
        f"On lxplus, set up the environment:\n{_indent(LXPLUS_SETUP)}\n"
        "Elsewhere, point pyarrow at the directory holding libhdfs.so (LD_LIBRARY_PATH works too):\n"
        "    export ARROW_LIBHDFS_DIR=$HADOOP_HOME/lib/native\n"
        + _RESTART
    )


def _kerberos_remedy() -> str:
    return (
        "klist    # is there a valid, unexpired ticket?\n"
        "kinit    # get one (cron jobs: kinit -k -t <keytab>)"
    )


def _hdfs_permission_remedy(path: str | None) -> str:
    return (
        "Access to the MONIT archive needs the analytix e-group (CERN KB0004426).\n"
        + _kerberos_remedy()
        + f"\nhdfs dfs -ls {path or '/project/monitoring/archive'}"
    )


def _local_permission_remedy(path: str | None) -> str:
    return f"Check the permissions: ls -ld {path or '<path>'} (the directory needs r and x for you)."


def _first_lines(text: str, n: int = _MAX_DETAIL_LINES) -> str:
    lines = text.splitlines()
    kept = "\n".join(lines[:n])
    if len(lines) > n:
        kept += f"\n... ({len(lines) - n} more lines)"
    return kept


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
