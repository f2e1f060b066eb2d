"""Error templates.  Placeholders {name} are filled per record (see ``render._Ctx``).  FTS (MONIT) messages have
no L0 wrapper and lose ' and " (msg-ifce sanitising); Rucio reasons keep the raw text, with the L0 wrapper
"<SCOPE> [<ERRNO>] " on ~60 % of them.  Weights follow the fts_10K counts of DOMAIN.md §3.2 where known.

Also the Rucio-only reasons and event types, and errno -> ``tr_error_category``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opint_core.sample_archive.topology import _DAVS, _GSIFTP, _ROOT, _SRM

# errno -> tr_error_category (strerror upper-cased, spaces -> "_"; FTS3 heuristics.cpp::mapErrnoToString)
_ERRNO_CATEGORY = {
    1: "OPERATION_NOT_PERMITTED", 2: "NO_SUCH_FILE_OR_DIRECTORY", 5: "INPUT/OUTPUT_ERROR",
    13: "PERMISSION_DENIED", 16: "DEVICE_OR_RESOURCE_BUSY", 17: "FILE_EXISTS", 22: "INVALID_ARGUMENT",
    28: "NO_SPACE_LEFT_ON_DEVICE", 42: "NO_MESSAGE_OF_DESIRED_TYPE", 62: "TIMER_EXPIRED",
    70: "COMMUNICATION_ERROR_ON_SEND", 93: "PROTOCOL_NOT_SUPPORTED", 95: "OPERATION_NOT_SUPPORTED",
    104: "CONNECTION_RESET_BY_PEER", 110: "CONNECTION_TIMED_OUT", 111: "CONNECTION_REFUSED",
    112: "HOST_IS_DOWN", 113: "NO_ROUTE_TO_HOST", 122: "DISK_QUOTA_EXCEEDED", 125: "OPERATION_CANCELED",
}

_P, _X, _F, _S = "TRANSFER_PREPARATION", "TRANSFER", "TRANSFER_FINALIZATION", "TRANSFER_SERVICE"


@dataclass(frozen=True)
class _Tpl:
    key: str
    weight: float
    family: str          # srm | gsiftp | root | http | any
    side: str            # which endpoint has the problem: src | dst
    errno: int
    scope: str           # tr_error_scope
    phase: str           # t_failure_phase
    recoverable: bool
    text: str
    state: str = "Error"     # Error | Abort
    impl: tuple = ()         # restrict to these storage implementations
    tape: bool = False       # the side endpoint is a tape RSE
    locale: str = ""         # the side endpoint's OS locale
    vo: tuple = ()           # restrict to these VOs
    special: str = ""        # new | standing: only planted, never background; stable: a fixed count a day


def _t(key, weight, family, side, errno, scope, phase, rec, text, **kw):
    return _Tpl(key, weight, family, side, errno, scope, phase, rec, text, **kw)


_SRMC = "srm-ifce err: Communication error on send, err: [SE][{op}][] httpg://{{{s}_srm}}/srm/managerv2: " \
        "CGSI-gSOAP running on {{fts}} reports {why}"
_OPEN = "could not open connection to {{{s}_srm}}"
_HDR = "Error reading token data header: Connection closed"
_XRD = "Error on XrdCl::CopyProcess::Run(): [ERROR] "
_GUC = "globus_ftp_client: the server responded with an error "

_TEMPLATES: tuple[_Tpl, ...] = (
    # ---- SRM
    _t("srm_putdone_invalid_path", 1315, "srm", "dst", 2, "DESTINATION", _F, False,
       "DESTINATION SRM_PUTDONE Error on the surl {dst_surl} while putdone : [SE][PutDone][SRM_INVALID_PATH] "
       "This SURL does not exist in the original request", impl=("dcache", "storm")),
    _t("srm_exceed_allocation", 604, "srm", "dst", 28, "DESTINATION", _P, False,
       "DESTINATION SRM_PUT_TURL error on the turl  request : [SE][StatusOfPutRequest][SRM_EXCEED_ALLOCATION] "
       "Space associated with the space token {token} is not enough to hold SURL.", impl=("dcache",)),
    _t("srm_ls_enoent", 509, "srm", "src", 2, "SOURCE", _P, False,
       "Error reported from srm_ifce : 2 [SE][Ls][SRM_INVALID_PATH] No such file or directory {src_path}"),
    _t("srm_comm_overwrite_rm", 300, "srm", "dst", 70, "DESTINATION", _P, True,
       "DESTINATION OVERWRITE " + _SRMC.format(op="srmRm", s="dst", why=_OPEN.format(s="dst"))),
    _t("srm_comm_src_checksum_ls", 260, "srm", "src", 70, "SOURCE", _P, True,
       "SOURCE CHECKSUM " + _SRMC.format(op="Ls", s="src", why=_HDR)),
    _t("srm_comm_make_parent_mkdir", 180, "srm", "dst", 70, "DESTINATION", _P, True,
       "DESTINATION MAKE_PARENT " + _SRMC.format(op="Mkdir", s="dst", why=_OPEN.format(s="dst"))),
    _t("srm_comm_preparetoput", 150, "srm", "dst", 70, "DESTINATION", _P, True,
       _SRMC.format(op="PrepareToPut", s="dst", why=_HDR)),
    _t("srm_comm_get_turl", 90, "srm", "src", 70, "SOURCE", _P, True,
       "SOURCE SRM_GET_TURL " + _SRMC.format(op="PrepareToGet", s="src", why=_OPEN.format(s="src"))),
    _t("srm_comm_putdone", 70, "srm", "dst", 70, "DESTINATION", _F, True,
       "DESTINATION SRM_PUTDONE " + _SRMC.format(op="PutDone", s="dst", why=_HDR)),
    _t("srm_mkdir_authz", 80, "srm", "dst", 13, "DESTINATION", _P, False,
       "DESTINATION MAKE_PARENT srm-ifce err: Permission denied, err: [SE][Mkdir][SRM_AUTHORIZATION_FAILURE] "
       "httpg://{dst_srm}/srm/managerv2: {dst_sdir}: Permission denied"),
    _t("srm_get_turl_unavailable", 90, "srm", "src", 22, "SOURCE", _P, False,
       "SOURCE SRM_GET_TURL error on the turl  request : [SE][PrepareToGet][SRM_FILE_UNAVAILABLE] File is "
       "unavailable.", tape=True),
    _t("srm_get_turl_not_online", 40, "srm", "src", 22, "SOURCE", _P, False,
       "SOURCE SRM_GET_TURL error on the turl  request : [SE][PrepareToGet][SRM_FILE_UNAVAILABLE] File is not "
       "online.", tape=True),
    _t("srm_pin_timeout", 60, "srm", "src", 70, "SOURCE", _P, True,
       "SOURCE SRM_GET_TURL error on the turl  request : [SE][StatusOfGetRequest][SRM_INTERNAL_ERROR] Pin "
       "operation timed out", tape=True),
    _t("srm_putdone_reset", 30, "srm", "dst", 70, "DESTINATION", _F, True,
       "DESTINATION SRM_PUTDONE call to srm_ifce error: [SE][PutDone][] httpg://{dst_srm}/srm/managerv2: "
       "CGSI-gSOAP running on {fts} reports Error reading token data header: Connection reset by peer"),
    _t("srm_pnfsmanager_timeout", 60, "srm", "src", 70, "SOURCE", _P, True,
       "Error reported from srm_ifce : 70 [SE][Ls][SRM_INTERNAL_ERROR] Request to [>PnfsManager@local] timed "
       "out.", impl=("dcache",)),
    _t("srm_put_turl_pnfsmanager", 40, "srm", "dst", 70, "DESTINATION", _P, True,
       "DESTINATION SRM_PUT_TURL error on the turl  request : [SE][PrepareToPut][SRM_INTERNAL_ERROR] Request to "
       "[>PnfsManager@local] timed out.", impl=("dcache",)),
    _t("srm_get_turl_authz", 35, "srm", "src", 13, "SOURCE", _P, False,
       "SOURCE SRM_GET_TURL error on the turl  request : [SE][StatusOfGetRequest][SRM_AUTHORIZATION_FAILURE] "
       "Permission denied"),
    _t("srm_ls_authz", 25, "srm", "src", 13, "SOURCE", _P, False,
       "Error reported from srm_ifce : 13 [SE][Ls][SRM_AUTHORIZATION_FAILURE] Permission denied"),
    _t("srm_no_free_space", 35, "srm", "dst", 28, "DESTINATION", _P, False,
       "DESTINATION SRM_PUT_TURL error on the turl  request : [SE][StatusOfPutRequest][SRM_NO_FREE_SPACE] No "
       "free space in space token {token}", impl=("storm", "dpm")),
    # ---- GridFTP
    _t("gftp_451_closed_channel", 598, "gsiftp", "dst", 70, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "451 General problem: Problem while connected to [{ipv6}]:{dport}: "
       "ClosedChannelException", impl=("dcache",)),
    _t("gftp_431_internal", 313, "gsiftp", "dst", 70, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "431 Internal error", impl=("dcache",)),
    _t("gftp_452_pools_full", 293, "gsiftp", "dst", 28, "TRANSFER", _X, False,
       "TRANSFER  " + _GUC + "452 All pools are full", impl=("dcache",)),
    _t("gftp_eof", 281, "gsiftp", "src", 42, "TRANSFER", _X, True,
       "TRANSFER  an end-of-file was reached globus_xio: An end of file occurred"),
    _t("gftp_500_stat_enoent", 276, "gsiftp", "src", 2, "SOURCE", _P, False,
       _GUC + "500 500-Command failed : System error in stat: No such file or directory  500-A system call "
       "failed: No such file or directory  500 End."),
    # (any storage behind a GridFTP door may say it: at EOS only, i.e. CERN, it would single out the big site)
    _t("gftp_eos_quota", 241, "gsiftp", "dst", 122, "TRANSFER", _X, False,
       "TRANSFER  " + _GUC + "500 Command failed. : open/create : [ERROR] Server responded with an error: [3021] "
       "Unable to get quota space - quota not defined or exhausted {dst_path}; Disk quota exceeded"),
    _t("gftp_451_nofreespace", 157, "gsiftp", "dst", 28, "TRANSFER", _X, False,
       "TRANSFER  " + _GUC + "451 diskCacheV111.services.space.NoFreeSpaceException: space with id={token} does "
       "not have enough space", impl=("dcache",)),
    _t("gftp_421_busy", 100, "gsiftp", "src", 70, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "421 Service busy: Connection limit exceeded. Please try again later. Closing "
       "control connection."),
    _t("gftp_421_busy_overwrite", 53, "gsiftp", "dst", 70, "DESTINATION", _P, True,
       "DESTINATION OVERWRITE " + _GUC + "421 Service busy: Connection limit exceeded. Please try again later. "
       "Closing control connection."),
    _t("gftp_connect_timeout", 143, "gsiftp", "dst", 110, "TRANSFER", _X, True,
       "TRANSFER  globus_xio: Unable to connect to {dst_host}:2811 globus_xio: System error in connect: "
       "Connection timed out globus_xio: A system call failed: Connection timed out"),
    _t("gftp_connect_refused", 78, "gsiftp", "dst", 111, "TRANSFER", _X, True,
       "TRANSFER  globus_xio: Unable to connect to {dst_host}:2811 globus_xio: System error in connect: "
       "Connection refused globus_xio: A system call failed: Connection refused"),
    _t("gftp_connect_no_route", 30, "gsiftp", "dst", 113, "TRANSFER", _X, True,
       "TRANSFER  globus_xio: Unable to connect to {dst_host}:2811 globus_xio: System error in connect: No "
       "route to host globus_xio: A system call failed: No route to host"),
    _t("gftp_pasv_bind", 98, "gsiftp", "src", 70, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "500 500-Command failed.   500- : globus_ftp_control_local_pasv failed.  "
       "500-globus_xio: globus_l_xio_tcp_bind failed.  500-globus_xio: System error in bind: Address already in "
       "use  500-globus_xio: A system call failed: Address already in use  500 End."),
    _t("gftp_perf_marker", 200, "gsiftp", "src", 110, "TRANSFER", _X, True,
       "TRANSFER  Transfer canceled because the gsiftp performance marker timeout of {secs} seconds has been "
       "exceeded, or all performance markers during that period indicated zero bytes transferred"),
    _t("gftp_gss_name_mismatch", 500, "gsiftp", "dst", 13, "TRANSFER", _X, False,
       "TRANSFER  globus_ftp_control: gss_init_sec_context failed GSS Major Status: Unexpected Gatekeeper or "
       "Service Name globus_gsi_gssapi: Authorization denied: The name of the remote entity ({dn_alias}), and "
       "the expected name for the remote entity (/CN={dst_host}) do not match"),
    _t("gftp_530_cert_expired", 60, "gsiftp", "dst", 13, "TRANSFER", _X, False,
       "TRANSFER  " + _GUC + "530 530-globus_xio: Server side credential failure  530-globus_gsi_gssapi: Error "
       "with GSI credential  530-globus_gsi_gssapi: Error with gss credential handle  530-globus_credential: "
       "Error with credential: The host credential: {dst_dn}  530-     has expired {minutes} minutes ago.  530-  "
       "530 End."),
    _t("gftp_dns_unknown", 80, "gsiftp", "dst", 112, "TRANSFER", _X, True,
       "globus_xio: Unable to connect to {dst_host}:2811 globus_xio: globus_libc_getaddrinfo failed. "
       "globus_common: Name or service not known"),
    _t("gftp_dns_temporary", 40, "gsiftp", "dst", 112, "TRANSFER", _X, True,
       "globus_xio: Unable to connect to {dst_host}:2811 globus_xio: globus_libc_getaddrinfo failed. "
       "globus_common: Temporary failure in name resolution"),
    _t("gftp_451_failed_connect", 60, "gsiftp", "src", 110, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "451 General problem: Failed to connect [{ipv6}]:{dport}: Connection timed out",
       impl=("dcache",)),
    _t("gftp_451_failed_connect_ca", 35, "gsiftp", "src", 110, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "451 General problem: Failed to connect [{ipv6}]:{dport}: La connexi  ha expirat",
       impl=("dcache",), locale="ca"),
    _t("gftp_451_failed_connect_es", 25, "gsiftp", "src", 110, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "451 General problem: Failed to connect [{ipv6}]:{dport}: Expir  el tiempo de "
       "conexi n", locale="es"),
    _t("gftp_connect_timeout_de", 15, "gsiftp", "dst", 110, "TRANSFER", _X, True,
       "TRANSFER  globus_xio: Unable to connect to {dst_host}:2811 globus_xio: System error in connect: Die "
       "Wartezeit f r die Verbindung ist abgelaufen globus_xio: A system call failed: Die Wartezeit f r die "
       "Verbindung ist abgelaufen", locale="de"),
    _t("gftp_connect_timeout_it", 12, "gsiftp", "dst", 110, "TRANSFER", _X, True,
       "TRANSFER  globus_xio: Unable to connect to {dst_host}:2811 globus_xio: System error in connect: "
       "Connessione scaduta globus_xio: A system call failed: Connessione scaduta", locale="it"),
    _t("gftp_426_reset", 60, "gsiftp", "src", 104, "TRANSFER", _X, True,
       "TRANSFER  " + _GUC + "426 Transfer aborted (Unexpected Exception : java.io.IOException: Connection reset "
       "by peer)", impl=("dcache",)),
    _t("gftp_550_dpm_enoent", 40, "gsiftp", "src", 2, "SOURCE", _P, False,
       "TRANSFER  " + _GUC + "550 {src_path}: No such file or directory", impl=("dpm",)),
    # ---- XRootD
    _t("xrd_3010_write_denied", 684, "root", "dst", 13, "TRANSFER", _X, False,
       _XRD + "Server responded with an error: [3010] Write permission denied"),
    _t("xrd_3010_unable_create", 288, "root", "dst", 13, "TRANSFER", _X, False,
       _XRD + "Server responded with an error: [3010] Unable to create {dst_path}; permission denied"),
    _t("xrd_3009_credentials", 185, "root", "dst", 5, "TRANSFER", _X, True,
       _XRD + "Server responded with an error: [3009] Copy failed; unable to pass credentials."),
    _t("xrd_3005_auth_failed", 137, "root", "src", 13, "TRANSFER", _X, False,
       _XRD + "Server responded with an error: [3005] [FATAL] Auth failed"),
    _t("xrd_no_tpc_source", 105, "root", "src", 95, "TRANSFER", _X, False,      # planted: the standing problem
       _XRD + "Operation not supported: Source does not support third-party-copy", special="standing"),
    _t("xrd_no_tpc_destination", 23, "root", "dst", 95, "TRANSFER", _X, False,
       _XRD + "Operation not supported: Destination does not support third-party-copy."),
    _t("xrd_4003_auth_all_protocols", 102, "root", "dst", 13, "TRANSFER", _X, False,
       _XRD + "Server responded with an error: [4003] Authentication to {src_host}:1094 failed; all protocols "
       "have been tried."),
    _t("xrd_3012_tpc_open", 95, "root", "dst", 5, "TRANSFER", _X, True,
       _XRD + "Server responded with an error: [3012] sync - TPC open failed for src_url={src_url}"),
    _t("xrd_3011_no_such_file", 66, "root", "src", 2, "TRANSFER", _X, False,
       _XRD + "Server responded with an error: [3011] No such file"),
    _t("xrd_operation_expired", 52, "root", "src", 110, "TRANSFER", _X, True, _XRD + "Operation expired"),
    _t("xrd_nested_no_read_access", 40, "root", "src", 2, "TRANSFER", _X, False,
       _XRD + "Server responded with an error: [3005] [ERROR] Server responded with an error: [3011] No servers "
       "have read access to the file"),
    _t("xrd_3019_checksum", 30, "root", "dst", 5, "TRANSFER", _X, False,
       _XRD + "Server responded with an error: [3019] Checksum verification failed for {dst_path}"),
    _t("xrd_socket_error", 45, "root", "src", 70, "TRANSFER", _X, True,
       "Error on XrdCl::CopyProcess::Run(): [FATAL] Socket error"),
    _t("xrd_stat_enoent", 60, "root", "src", 2, "SOURCE", _P, False, "Failed to stat file (No such file or directory)"),
    _t("xrd_stat_eacces", 25, "root", "src", 13, "SOURCE", _P, False, "Failed to stat file (Permission denied)"),
    _t("xrd_stat_refused", 12, "root", "src", 111, "SOURCE", _P, True, "Failed to stat file (Connection refused)"),
    # ---- HTTP / WebDAV
    _t("http_old_404", 120, "http", "src", 2, "TRANSFER", _X, False,
       "TRANSFER  ERROR: Copy failed with mode 3rd pull, with error: copy HTTP 404 : File not found"),
    _t("http_old_403", 70, "http", "dst", 13, "TRANSFER", _X, False,
       "TRANSFER  ERROR: Copy failed with mode 3rd pull, with error: copy HTTP 403 : Permission refused"),
    _t("http_old_500", 50, "http", "dst", 5, "TRANSFER", _X, True,
       "TRANSFER  ERROR: Copy failed with mode 3rd pull, with error: copy HTTP 500 : Unexpected server error: 500"),
    _t("http_507_insufficient_storage", 200, "http", "dst", 28, "TRANSFER", _X, False,
       "TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 507 : Insufficient Storage"),
    _t("http_new_404", 120, "http", "src", 2, "TRANSFER", _X, False,
       "TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 404 : File not found"),
    _t("http_dcache_refused", 90, "http", "src", 111, "TRANSFER", _X, True,
       "TRANSFER ERROR: Copy failed (3rd pull, 3rd push). Last attempt: Transfer failed: failure: Connection "
       "refused", impl=("dcache",)),
    _t("http_403_plain", 80, "http", "dst", 1, "DESTINATION", _P, False, "HTTP 403 : Permission refused"),
    _t("curl_56", 120, "http", "src", 112, "SOURCE", _X, True,
       "Result curl error (56): Failure when receiving data from the peer after {n} attempts"),
    _t("curl_7", 50, "http", "dst", 112, "DESTINATION", _P, True,
       "Result curl error (7): Couldn't connect to server after {n} attempts"),
    _t("curl_28", 40, "http", "src", 110, "SOURCE", _X, True,
       "Result curl error (28): Timeout was reached after {n} attempts"),
    _t("curl_35", 20, "http", "dst", 112, "DESTINATION", _P, True,
       "Result curl error (35): SSL connect error after 1 attempts"),
    _t("curl_52", 15, "http", "src", 112, "SOURCE", _X, True,
       "Result curl error (52): Server returned nothing (no headers, no data) after 1 attempts"),
    _t("http_overwrite_connect", 46, "http", "dst", 112, "DESTINATION", _P, True,
       "DESTINATION OVERWRITE   Result Could not connect to server after 1 attempts"),
    _t("http_404_after_attempts", 60, "http", "src", 2, "SOURCE", _P, False,
       "Result HTTP 404 : File not found  after 1 attempts"),
    _t("http_checksum_unsupported", 110, "http", "dst", 95, "DESTINATION", _F, False,
       "DESTINATION CHECKSUM checksum calculation for ADLER32 not supported for {dst_url}"),
    _t("http_dcache_linkgroup", 60, "http", "dst", 13, "TRANSFER", _X, False,
       "TRANSFER  ERROR: Copy failed with mode 3rd pull, with error: Transfer failed: failure: Failed to select "
       "pool: diskCacheV111.services.space.SpaceAuthorizationException: Unable to reserve space: user not "
       "authorized to reserve space in any linkgroup.", impl=("dcache",)),
    _t("http_trace_401", 40, "http", "dst", 13, "TRANSFER", _X, False,
       "[gfalt_copy_file][perform_copy][gfal_http_copy] TRANSFER ERROR: Copy failed (3rd pull). Last attempt: "
       "copy HTTP 401 : Authentication Error"),
    _t("http_make_parent_403", 30, "http", "dst", 13, "DESTINATION", _P, False,
       "DESTINATION MAKE_PARENT Result HTTP 403 : Permission refused  after 1 attempts"),
    _t("http_overwrite_403", 30, "http", "dst", 13, "DESTINATION", _P, False,
       "DESTINATION OVERWRITE   Result HTTP 403 : Permission refused  after 1 attempts"),
    _t("http_source_401", 25, "http", "src", 13, "SOURCE", _P, False,
       "SOURCE  Result HTTP 401 : Authentication Error  after 1 attempts"),
    _t("http_neon_closed", 30, "http", "src", 70, "SOURCE", _P, True,
       "SOURCE CHECKSUM Result (Neon): Could not read status line: connection was closed by server after {n} "
       "attempts"),
    # ---- generic FTS / gfal2, checksum
    _t("op_timed_out", 332, "any", "dst", 110, "TRANSFER", _X, True, "TRANSFER  Operation timed out"),
    _t("src_checksum_timed_out", 60, "any", "src", 110, "SOURCE", _P, True, "SOURCE CHECKSUM Operation timed out"),
    _t("dst_checksum_timed_out", 40, "any", "dst", 110, "DESTINATION", _F, True,
       "DESTINATION CHECKSUM Operation timed out"),
    _t("protocol_not_supported", 404, "any", "src", 93, "SOURCE", _P, False,
       "Protocol not supported or path/url invalid: {src_url}"),
    _t("forced_killed_stalled", 80, "any", "dst", 62, "GENERAL_FAILURE", _S, True,
       "Transfer has been forced-killed because it was stalled"),
    _t("user_checksum_mismatch", 129, "any", "src", 5, "SOURCE", _P, False,
       "SOURCE CHECKSUM MISMATCH User defined checksum and source checksum do not match {ck1} != {ck2}"),
    _t("transfer_checksum_mismatch", 80, "any", "dst", 5, "TRANSFER", _F, False,
       "TRANSFER CHECKSUM MISMATCH Source and destination checksums do not match {ck1} != {ck2}"),
    _t("size_mismatch", 20, "any", "dst", 5, "DESTINATION", _F, False,
       "DESTINATION SIZE MISMATCH Source and destination file size mismatch ({size} <> {size2})"),
    # ---- aborts (t_final_transfer_state Abort, flag -1)
    _t("queue_timeout", 150, "any", "dst", 125, "GENERAL_FAILURE", _S, False,
       "Job has been canceled because it stayed in the queue for too long", state="Abort"),
    _t("queue_timeout_max_time", 60, "any", "dst", 125, "GENERAL_FAILURE", _S, False,
       "Job has been canceled because it stayed in the queue for too long (max-time-in-queue timeout)",
       state="Abort"),
    _t("gfal2_cancel", 47, "any", "dst", 125, "TRANSFER", _X, False, "TRANSFER  Operation canceled from gfal2_cancel",
       state="Abort"),
    _t("gfal2_cancel_user", 30, "any", "dst", 125, "DESTINATION", _X, False,
       "[gfal2_cancel] operation canceled by user", state="Abort"),
    _t("staging_forced_canceled", 20, "any", "src", 62, "GENERAL_FAILURE", _S, False,
       "Transfer has been forced-canceled because it has been in staging started state beyond its bringonline "
       "timeout", state="Abort", tape=True),
    # ---- planted: the stable category (same count every day)
    _t("dest_exists", 240, "any", "dst", 17, "DESTINATION", _P, False,
       "Destination file exists and overwrite is not enabled", special="stable"),
    # ---- planted: the new error of the last day (never seen before)
    _t("token_audience_rejected", 0, "http", "dst", 13, "TRANSFER", _X, False,
       "TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 401 : Authentication Error: bearer token "
       "rejected by {dst_host}: invalid audience (expected https://{dst_host}:{dst_davs_port})", special="new"),
)
_TPL_INDEX = {t.key: i for i, t in enumerate(_TEMPLATES)}
_STABLE_TPL = _TPL_INDEX["dest_exists"]

#: The FTS message templates (placeholders in braces), by key: the ground truth of the sample archive.
FTS_TEMPLATES: dict[str, str] = {t.key: t.text for t in _TEMPLATES}

# Rucio-only reasons: (key, weight, kind, text).  kind: deletion | staging | submission | not_found
_DETAILS = "The requested service is not available at the moment.\nDetails: An unknown exception occurred.\nDetails: "
_RUCIO_ONLY = (
    ("del_421_busy", 50, "deletion", _DETAILS + "globus_ftp_client: the server responded with an error 421 Service "
     "busy: Connection limit exceeded. Please try again later. Closing control connection.", (_GSIFTP,)),
    ("del_dav_403", 25, "deletion", _DETAILS + "DavPosix::unlink  HTTP 403 : Permission refused", (_DAVS,)),
    ("del_dav_connect", 20, "deletion", _DETAILS + "DavPosix::unlink  Result Could not connect to server after 1 "
     "attempts", (_DAVS,)),
    ("del_srm_comm", 15, "deletion", _DETAILS + "srm-ifce err: Communication error on send, err: [SE][srmRm][] "
     "httpg://{dst_srm}/srm/managerv2: CGSI-gSOAP running on {reaper} reports could not open connection to "
     "{dst_srm}", (_SRM,)),
    ("del_xrd_3010", 15, "deletion", _DETAILS + "[ERROR] Server responded with an error: [3010] Unable to remove "
     "{dst_path}; Permission denied", (_ROOT,)),
    ("del_access_denied", 10, "deletion", "Access to RSE denied.\nDetails: An unknown exception occurred.\nDetails: "
     "DavPosix::unlink  HTTP 401 : Authentication Error", (_DAVS,)),
    ("del_timeout", 8, "deletion", _DETAILS + "Operation timed out", (_SRM, _GSIFTP, _ROOT, _DAVS)),
    ("stage_timeout", 40, "staging", "STAGING [110] bring-online timeout has been exceeded", ()),
    ("stage_forced_canceled", 20, "staging", "Transfer has been forced-canceled because it has been in staging "
     "started state beyond its bringonline timeout", ()),
    ("stage_enoent", 15, "staging", "STAGING [2] Error reported from srm_ifce : 2 [SE][StatusOfBringOnlineRequest]"
     "[SRM_INVALID_PATH] No such file or directory", ()),
    ("stage_comm", 10, "staging", "STAGING [70] srm-ifce err: Communication error on send, err: [SE][BringOnline][] "
     "httpg://{src_srm}/srm/managerv2: CGSI-gSOAP running on {fts} reports could not open connection to "
     "{src_srm}", ()),
    ("submit_read_timeout", 60, "submission", "HTTPSConnectionPool(host='{fts_endpnt}', port=8446): Read timed "
     "out. (read timeout=120)", ()),
    ("submit_conn_reset", 25, "submission", "Unable to connect to FTS server {fts_endpnt}: ('Connection aborted.', "
     "ConnectionResetError(104, 'Connection reset by peer'))", ()),
    ("not_found", 1, "not_found", "File Not Found", ()),
)
_NF = len(_TEMPLATES)
_R_INDEX = {r[0]: _NF + i for i, r in enumerate(_RUCIO_ONLY)}

_RUCIO_EVENTS = (  # (event_type, weight, group)
    ("transfer-queued", 0.14, "queued"), ("transfer-submitted", 0.20, "submitted"), ("transfer-done", 0.24, "done"),
    ("transfer-failed", 0.12, "failed"), ("transfer-submission_failed", 0.006, "subfail"),
    ("stagein-done", 0.02, "done"), ("stagein-failed", 0.006, "failed"), ("deletion-done", 0.17, "deldone"),
    ("deletion-failed", 0.07, "delfail"), ("deletion-not-found", 0.02, "delfail"),
)
_EV_NAMES = [e[0] for e in _RUCIO_EVENTS]
_EV = {e[0]: i for i, e in enumerate(_RUCIO_EVENTS)}
_FAILED_EVENTS = np.array([i for i, e in enumerate(_EV_NAMES) if e.endswith("failed")])
