"""Category level: templates a shifter triages as one problem.

A transfer error is built in layers (DOMAIN §3.1): an FTS/Rucio scope and errno, a gfal2 function
trace, a gfal2 side/step prefix (``DESTINATION OVERWRITE``, ``SOURCE CHECKSUM`` …), then the
protocol message with the server's text.  The category of a template is decided on its *cause*:

1. strip the wrapper layers (scope, ``[errno]``, function traces, side/step prefixes) and the
   protocol boilerplate around the server text;
2. if the cause matches a known WLCG error cause (table ``KNOWN_CAUSES``: strerror texts, SRM
   statuses, XRootD/HTTP/FTP status codes and dCache/StoRM/EOS texts of the same problem), the
   category is that canonical issue;
3. otherwise the category is the cause text itself, and causes that are near-identical
   (rapidfuzz ratio ≥ ``similarity``, compared only within blocks that share their first words)
   are merged.

Everything here runs on templates (hundreds to a few thousand), never on rows.
"""
from __future__ import annotations

import re
from collections import defaultdict

from rapidfuzz import fuzz, process

from opint_core.clustering.masking import EMPTY_PATTERN, WILDCARD
from opint_core.first_match import first_match_indices, first_match_one

DEFAULT_SIMILARITY = 0.9

_I = re.IGNORECASE

# --- wrapper layers ------------------------------------------------------------------------
_SCOPES = r"(?:SOURCE|DESTINATION|TRANSFER|GENERAL_FAILURE|STAGING|ARCHIVING|TAPE SOURCE)"
_NOTES = (r"(?:CHECKSUM MISMATCH|SIZE MISMATCH|CHECKSUM|EXISTS|OVERWRITE|MAKE_PARENT|SRM_GET_TURL|"
          r"SRM_PUT_TURL|SRM_PUTDONE|SRM_CHECKSUM|STAT|MKDIR|TRANSFER_PREPARATION|PREPARATION)")
_PREFIX_RE = re.compile(
    r"""^(?:
        \[""" + _SCOPES + r"""\][ ]?                          # [TAPE SOURCE]
      | TRANSFER_FAILED:[ ]?                                   # rucio err_msg prefix
      | """ + _SCOPES + r"""[ ]\[[-+]?\d+\][ ]?                # L0: "TRANSFER [70] "
      | (?:\[[a-z][\w:.\-]*\][ ]?)+                            # L1: "[gfalt_copy_file][perform_copy] "
      | (?:SOURCE|DESTINATION|TRANSFER)(?:[ ]""" + _NOTES + r""")?(?:[ ]|$)   # L2 side / note
    )""",
    re.VERBOSE,
)
# function traces and retry wrappers anywhere in the text
_TRACE_RE = re.compile(r"\[(?:gfal|gfalt|davix|srm|xrootd|globus)[\w:.\-]*\][ ]?")
_WRAPPERS = [
    re.compile(r"^Result[ ](.*?)[ ]after[ ]" + re.escape(WILDCARD) + r"[ ]attempts?\.?$", re.S),
    re.compile(r"^(?:ERROR:[ ])?Copy[ ]failed[ ]\([^)]*\)\.[ ]Last[ ]attempt:[ ](.*)$", re.S),
    re.compile(r"^(?:ERROR:[ ])?Copy[ ]failed[ ]with[ ]mode[ ][\w ]+?,[ ]with[ ]error:[ ](.*)$", re.S),
    re.compile(r"^(?:copy|Transfer[ ]failed:[ ]failure:)[ ](.*)$", re.S),
]
_NOISE_RE = re.compile(
    r"""globus_ftp_client:[ ]the[ ]server[ ]responded[ ]with[ ]an[ ]error[ ]
      | Error[ ]on[ ]XrdCl::CopyProcess::Run\(\):[ ]
      | Server[ ]responded[ ]with[ ]an[ ]error:[ ]
      | \[(?:ERROR|FATAL)\][ ]
      | \b[1-5]\d\d-[ ]?
      | \b[1-5]\d\d[ ]End\.
      | (?:globus_xio|globus_common|globus_ftp_control|globus_ftp_client|globus_gsi_gssapi|
           globus_gss_assist|globus_callout_module|globus_credential):[ ]
      | Command[ ]failed\.?[ ]?:?[ ]
      | \(Neon\):[ ]
    """,
    re.VERBOSE,
)


def strip_wrappers(template: str) -> str:
    """The template without L0/L1/L2 layers and retry wrappers: what the server said."""
    text = _TRACE_RE.sub("", template).strip()
    for _ in range(6):
        new = _PREFIX_RE.sub("", text, count=1).strip()
        for rx in _WRAPPERS:
            m = rx.match(new)
            if m:
                new = m.group(1).strip()
        if new == text:
            break
        text = new
    return text


def cause_text(template: str) -> str:
    """The cause with protocol boilerplate removed, lower-cased, whitespace collapsed."""
    return _cause_of_stripped(strip_wrappers(template))


def _cause_of_stripped(stripped: str) -> str:
    text = _NOISE_RE.sub(" ", stripped)
    return " ".join(text.split())


# --- known causes ------------------------------------------------------------------------------
# (issue, canonical pattern, regex over the stripped template).  First match wins, so specific
# texts come before the generic strerror they contain.
# Some sites' servers answer with a localised strerror (glibc's ca, de, es, fr, it translations);
# MONIT drops non-ASCII letters, so "."-style gaps stand where they were ("conexi n").
def _gaps(text: str) -> str:
    """A regex for a translated text whose non-ASCII letters may be gone or replaced by a space."""
    return "".join(".?" if not ch.isascii() else re.escape(ch) for ch in text).replace(r"\ ", " +")


_LOCALISED = {
    "ENOENT": ["No existeix el fitxer o el directori", "Datei oder Verzeichnis nicht gefunden",
               "No existe el archivo o el directorio", "No existe el fichero o el directorio",
               "Aucun fichier ou dossier de ce type", "Aucun fichier ou dossier de ce nom",
               "File o directory non esistente"],
    "EACCES": ["Permís denegat", "Keine Berechtigung", "Permiso denegado", "Permission non accordée",
               "Permesso negato"],
    "ECONNREFUSED": ["S'ha refusat la connexió", "Connexió refusada", "Verbindungsaufbau abgelehnt",
                     "Conexión rehusada", "Connexion refusée", "Connessione rifiutata"],
    "ETIMEDOUT": ["La connexió ha expirat", "Die Wartezeit für die Verbindung ist abgelaufen",
                  "Expiró el tiempo de conexión", "Connexion terminée par expiration du délai d'attente",
                  "Connessione scaduta"],
    "EHOSTUNREACH": ["No hi ha cap ruta fins a l'ordinador", "Keine Route zum Zielrechner",
                     "No hay ninguna ruta hasta el `host'", "Aucune route vers l'hôte",
                     "Nessun instradamento per l'host"],
    "ECONNRESET": ["La connexió ha estat restablerta per l'altre extrem",
                   "Die Verbindung wurde vom Kommunikationspartner zurückgesetzt",
                   "Conexión reinicializada por la máquina remota", "Connexion ré-initialisée par le correspondant",
                   "Connessione interrotta dal corrispondente"],
}


def _localised(errno: str) -> str:
    return "|".join(_gaps(t) for t in _LOCALISED[errno])


_KNOWN: list[tuple[str, str, str]] = [
    # SRM request life cycle
    ("srm_putdone_surl_not_in_request", "<*>This SURL does not exist in the original request<*>",
     r"SURL does not exist in the original request"),
    ("destination_parent_directory_missing", "<*>Parent directory does not exist<*>",
     r"\bparent\b.*\b(?:doesn'?t|does not) exist|No such file or directory.*\bparent\b"),
    ("surl_not_local", "<*>SURL is not local<*>", r"SURL is not local"),
    ("srm_file_lifetime_expired", "<*>SRM_FILE_LIFETIME_EXPIRED<*>", r"SRM_FILE_LIFETIME_EXPIRED"),
    ("srm_file_busy", "<*>SRM_FILE_BUSY<*>", r"SRM_FILE_BUSY|locked by an upload"),
    ("srm_upload_aborted", "<*>SRM upload aborted<*>", r"SRM upload aborted|SRM_ABORTED"),
    ("srm_token_header_read_error", "<*>Error reading token data header<*>",
     r"Error reading token data header"),
    ("staging_pin_timeout", "<*>Pin operation timed out<*>", r"Pin operation timed out"),
    ("source_file_not_online", "<*>File is not online<*>", r"not online|NEARLINE"),
    ("source_file_unavailable", "<*>File is unavailable<*>",
     r"SRM_FILE_UNAVAILABLE|File is unavailable|No servers have read access"),
    ("tape_recall_insufficient_privileges", "<*>Insufficient user privileges to trigger a tape recall<*>",
     r"privileges to trigger a tape recall"),
    ("storm_authorization_policy_failure", "<*>PolicySource prevented PolicyCollector<*>",
     r"PolicySource prevented"),
    # checksums and sizes
    ("file_size_mismatch", "<*>file size mismatch<*>", r"size mismatch|sizes? (?:do not|don't) match"),
    ("checksum_mismatch_source_vs_catalogue", "<*>User defined and source checksums do not match<*>",
     r"\buser(?:[ _]defined?)?\b(?: checksum)? and (?:source|src)\b"),
    ("checksum_mismatch_destination", "<*>Source and destination checksums do not match<*>",
     r"\b(?:source|src|user)\b(?: checksum)? and (?:destination|dst)\b.*(?:checksum|match|differ)"),
    ("checksum_value_required", "<*>Checksum value required<*>", r"Checksum value required"),
    ("checksum_not_supported", "<*>checksum not supported<*>",
     r"(?:checksum|chksum)\b.*\bnot supported|checksum type .*unsupported"),
    ("xrootd_checksum_error", "<*>CheckSum error<*>", r"\[3019\]|CheckSum error|ChkSumErr"),
    ("gridftp_checksum_command_denied", "<*>commands denied<*>", r"commands denied"),
    # existence
    ("destination_file_exists", "<*>Destination file exists<*>",
     r"file exists and overwrite|SRM_DUPLICATION_ERROR|file because it already exists|HTTP 409\b"),
    ("directory_already_exists", "<*>directory already exists<*>",
     r"directory already exists|c=PATH_EXISTS|Error-String: File exists"),
    ("file_already_open_for_writing", "<*>file is already opened by a writer<*>",
     r"already opened by .* writer"),
    # space
    ("space_token_full", "<*>space token has not enough space<*>",
     r"SRM_EXCEED_ALLOCATION|NoFreeSpaceException|not enough space|does not have enough space"),
    ("no_linkgroups_configured", "<*>no linkgroups configured<*>", r"no linkgroups configured"),
    ("space_reservation_not_authorized", "<*>not authorized to reserve space<*>",
     r"not authorized to reserve space|SpaceAuthorizationException"),
    ("quota_exceeded", "<*>Disk quota exceeded<*>", r"quota"),
    ("all_pools_full", "<*>All pools are full<*>", r"All pools are full"),
    ("no_free_space_on_storage_area", "<*>No space left on storage<*>",
     r"No free space|No space left|Insufficient Storage|HTTP 507\b|\[3009\] (?:no|not enough) space|"
     r"SRM_NO_FREE_SPACE|SRM_NO_USER_SPACE"),
    # queues, cancellation
    ("transfer_forcefully_killed", "<*>Transfer forcefully killed<*>",
     r"forcefully killed|forced-killed|stalled"),
    ("job_stayed_in_queue_too_long", "<*>Job canceled: stayed in the queue for too long<*>",
     r"stayed in the queue for too long|max-time-in-queue"),
    ("transfer_canceled", "<*>Operation canceled<*>",
     r"gfal2_cancel|operation cancell?ed|SRM operation cancell?ed|canceled by user|cancelled by user"),
    ("operation_aborted", "<*>Operation aborted<*>",
     r"operation was aborted|transfer has been aborted|operation aborted"),
    ("gridftp_performance_marker_timeout", "<*>gsiftp performance marker timeout<*>",
     r"performance marker"),
    # certificates and authentication
    ("host_certificate_expired", "<*>credential has expired<*>",
     r"(?:credential|certificate).*has expired|certificate (?:has )?expired|has expired .* ago"),
    ("xrootd_tpc_authorization_expired", "<*>tpc authorization expired<*>", r"tpc authorization expired"),
    ("login_user_mapping_failed", "<*>Login incorrect / user mapping failed<*>",
     r"Login incorrect|Mapped user .* is invalid|gridmap|callout returned an error"),
    ("ssl_handshake_failed", "<*>SSL handshake failed<*>",
     r"SSL handshake failed|curl error \(35\)|SSL connect error"),
    ("xrootd_tpc_credential_delegation_failed", "<*>Copy failed; unable to pass credentials<*>",
     r"unable to pass credentials|delegat\w* (?:failed|error)"),
    ("authentication_failed", "<*>Authentication failed<*>",
     r"Auth(?:entication)? failed|Authentication required|Authentication Error|not authenticated|"
     r"Authentication to .* failed|SSL handshake problems|HTTP 40[17]\b|Unauthorized|"
     r"Could not (?:get|find) (?:a |the )?(?:user |proxy )?credential"),
    # permissions
    ("permission_denied", "<*>Permission denied<*>",
     r"permission denied|permission refused|SRM_AUTHORIZATION_FAILURE|Access denied|\[3010\]|"
     r"HTTP 40[35]\b|HTTP 423\b|not authori[sz]ed|Forbidden|Operation not permitted|EACCES|EPERM|"
     + _localised("EACCES")),
    # not found
    ("no_such_file", "<*>No such file or directory<*>",
     r"No such file|SRM_INVALID_PATH|File not found|\[3011\]|PATH_NOT_FOUND|HTTP 404\b|HTTP 410\b|"
     r"does not exist|doesn'?t exist|ENOENT|curl error \(78\)|" + _localised("ENOENT")),
    # xrootd / tpc support
    ("protocol_not_supported_or_invalid_url", "<*>Protocol not supported or path/url invalid<*>",
     r"Protocol not supported or path/url invalid"),
    ("tpc_not_supported", "<*>Third-party-copy not supported<*>",
     r"does not support third-party-copy|Operation not supported|TPC not supported"),
    ("xrootd_tpc_open_failed", "<*>TPC open failed<*>", r"TPC open failed"),
    ("xrootd_redirect_limit_reached", "<*>Redirect limit has been reached<*>", r"Redirect limit"),
    # network, by strerror; the context (connecting vs during the transfer) matters
    ("dcache_closed_channel_exception", "<*>ClosedChannelException<*>", r"ClosedChannelException"),
    ("dns_resolution_failed", "<*>Name or service not known<*>",
     r"Name or service not known|name resolution|getaddrinfo failed|Could not resolve host|"
     r"Unknown host|curl error \(6\)|nodename nor servname"),
    ("address_already_in_use", "<*>Address already in use<*>", r"Address already in use"),
    ("no_route_to_host", "<*>No route to host<*>", r"No route to host|Network is unreachable|"
     r"Host is unreachable|" + _localised("EHOSTUNREACH")),
    ("connection_refused", "<*>Connection refused<*>",
     r"Connection refused|curl error \(7\)|" + _localised("ECONNREFUSED")),
    ("connection_closed_by_remote", "<*>Connection closed by remote end<*>",
     r"Connection closed by remote"),
    ("connection_reset_by_peer", "<*>Connection reset by peer<*>",
     r"Connection reset by peer|curl error \(56\)|Failure when receiving data|" + _localised("ECONNRESET")),
    ("broken_pipe", "<*>Broken pipe<*>", r"Broken pipe|curl error \(55\)"),
    ("connection_timeout_during_transfer", "<*>Connection timed out during transfer<*>",
     r"(?:in (?:recv|send|writev|read|write)|while connected to|receiving|sending)\b.*"
     r"(?:timed out|" + _localised("ETIMEDOUT") + ")"),
    ("connection_timed_out", "<*>Connection timed out<*>",
     r"Connection timed out|curl error \(28\): Connection|Connection timeout|" + _localised("ETIMEDOUT")),
    ("could_not_connect", "<*>Could not connect to server<*>",
     r"Could not connect|could not open connection|Unable to connect|Failed to connect|"
     r"Couldn't connect|connect failed"),
    ("connection_limit_exceeded", "<*>Service busy: connection limit exceeded<*>",
     r"Connection limit exceeded|Service busy|Too many (?:connections|queued requests)|Site busy|"
     r"HTTP 503\b|HTTP 429\b"),
    ("gridftp_idle_timeout", "<*>Idle Timeout<*>", r"Idle Timeout"),
    ("storage_internal_timeout", "<*>Internal timeout<*>",
     r"Internal timeout|Request to \[.*\] timed out|timed out waiting"),
    ("unexpected_end_of_file", "<*>end of file<*>", r"end[- ]of[- ]file|unexpected EOF|\bEOF\b"),
    ("operation_timed_out", "<*>Operation timed out<*>",
     r"Operation timed out|Operation expired|timed out|timeout|HTTP 408\b|HTTP 504\b|"
     r"curl error \(28\)|Timer expired"),
    # errno texts (strerror) that did not match a more specific cause above
    ("gridftp_system_error_success", "<*>System error: Success<*>",
     r"System error in \w+: Success|Error-String: Success"),
    ("invalid_argument", "<*>Invalid argument<*>", r"Invalid argument|EINVAL"),
    ("io_error", "<*>Input/output error<*>", r"Input/output error|\bEIO\b|I/O error"),
    ("device_busy", "<*>Device or resource busy<*>", r"Device or resource busy|EBUSY"),
    ("read_only_file_system", "<*>Read-only file system<*>", r"Read-only file system|EROFS"),
    ("too_many_open_files", "<*>Too many open files<*>", r"Too many open files|EMFILE"),
    ("stale_file_handle", "<*>Stale file handle<*>", r"Stale (?:NFS )?file handle|ESTALE"),
    ("not_a_directory", "<*>Not a directory<*>", r"Not a directory|ENOTDIR"),
    ("is_a_directory", "<*>Is a directory<*>", r"Is a directory|EISDIR"),
    ("resource_deadlock_avoided", "<*>Resource deadlock avoided<*>", r"Resource deadlock"),
    ("out_of_memory", "<*>Cannot allocate memory<*>", r"Cannot allocate memory|Out of memory|ENOMEM"),
    # servers failing in general
    ("internal_server_error", "<*>Internal server error<*>",
     r"Internal (?:server )?error|HTTP 50[02]\b|Unexpected server error|SRM_INTERNAL_ERROR"),
    ("unknown_error", "<*>an unknown error occurred<*>", r"unknown error occurred"),
]
KNOWN_CAUSES: list[tuple[str, str, re.Pattern]] = [(n, p, re.compile(r, _I)) for n, p, r in _KNOWN]
_RULES = [rx for _, _, rx in KNOWN_CAUSES]


def known_cause(template: str) -> tuple[str, str] | None:
    """(issue, canonical pattern) of a template whose cause is a known one, else None.

    One template, one rule at a time: the reference that ``known_cause_indices`` must agree with."""
    rule = _first_rule(strip_wrappers(template))
    return KNOWN_CAUSES[rule][:2] if rule >= 0 else None


def known_cause_indices(stripped: list[str]) -> list[int]:
    """For each wrapper-stripped text, the index in ``KNOWN_CAUSES`` of the first rule that matches
    it, or -1: the same answers as ``known_cause``, vectorised over the texts (one RE2 pass per rule
    over all texts not yet matched; ``opint_core.first_match`` says why and how)."""
    return first_match_indices(stripped, _RULES)


def _first_rule(text: str) -> int:
    return first_match_one(text, _RULES)


def _fuzzy_groups(causes: list[str], similarity: float) -> list[int]:
    """Union near-identical causes; candidates only within blocks of equal first two words."""
    parent = list(range(len(causes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if similarity < 1.0 and len(causes) > 1:
        blocks: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(causes):
            blocks[" ".join(c.lower().split()[:2])].append(i)
        for members in blocks.values():
            if len(members) < 2:
                continue
            texts = [causes[i] for i in members]
            scores = process.cdist(texts, texts, scorer=fuzz.ratio,
                                   score_cutoff=similarity * 100.0, dtype="uint8")
            for a in range(len(members)):
                for b in scores[a].nonzero()[0].tolist():
                    if b > a:
                        ra, rb = find(members[a]), find(members[b])
                        if ra != rb:
                            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(len(causes))]


def categorize(templates: list[str], counts=None, *, similarity: float = DEFAULT_SIMILARITY
               ) -> tuple[list[int], list[str]]:
    """Category index of each template and the canonical pattern of each category.

    Depends only on the set of templates (not on their order or counts), so a category's
    pattern, hence its key, is the same on every input that holds the same templates.
    """
    similarity = min(max(float(similarity), 0.0), 1.0)
    cat_of_pattern: dict[str, int] = {}
    patterns: list[str] = []
    out = [-1] * len(templates)

    def cat(pattern: str) -> int:
        c = cat_of_pattern.get(pattern)
        if c is None:
            c = cat_of_pattern[pattern] = len(patterns)
            patterns.append(pattern)
        return c

    unknown: list[int] = []
    stripped = [strip_wrappers(tmpl) if tmpl and tmpl != EMPTY_PATTERN else "" for tmpl in templates]
    rules = known_cause_indices(stripped)
    for t, tmpl in enumerate(templates):
        if not tmpl or tmpl == EMPTY_PATTERN:
            out[t] = cat(EMPTY_PATTERN)
        elif rules[t] >= 0:
            out[t] = cat(KNOWN_CAUSES[rules[t]][1])
        else:
            unknown.append(t)
    if unknown:
        causes = [_cause_of_stripped(stripped[t]) or templates[t] for t in unknown]
        # process in a canonical order so that the result does not depend on template order
        order = sorted(range(len(unknown)), key=lambda i: (causes[i], templates[unknown[i]]))
        causes_sorted = [causes[i] for i in order]
        roots = _fuzzy_groups(causes_sorted, similarity)
        members: dict[int, list[int]] = defaultdict(list)
        for pos, r in enumerate(roots):
            members[r].append(pos)
        for r, poss in members.items():
            # canonical pattern: the shortest stripped template of the group (ties: text order)
            shortest = min({stripped[unknown[order[p]]] for p in poss}, key=lambda s: (len(s), s))
            canon = shortest or templates[unknown[order[poss[0]]]]
            c = cat(canon)
            for p in poss:
                out[unknown[order[p]]] = c
    return out, patterns
