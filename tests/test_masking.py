"""Masking of variable parts, on real message formats (DOMAIN §3)."""
import pytest

from opint_core.clustering.mask_batch import mask_many
from opint_core.clustering.masking import EMPTY_PATTERN, mask, normalize

CASES = [
    # URLs of all schemes, one mask each, no nested fragments
    ("Protocol not supported or path/url invalid: root://eosatlas.cern.ch:1094//eos/atlas/rucio/tests/e0/52/file19_85f76c29-ce98-427e-a153-5e42d32ac5ee",
     "Protocol not supported or path/url invalid: <*>"),
    ("DESTINATION CHECKSUM checksum calculation for ADLER32 not supported for gsiftp://se01.grid.example.org:2811/dpm/example.org/home/atlas/file.root",
     "DESTINATION CHECKSUM checksum calculation for ADLER32 not supported for <*>"),
    ("copy davs://webdav.example.ch:443/store/a.root to https://b.example.de/x failed",
     "copy <*> to <*> failed"),
    # SURL with ?SFN=
    ("DESTINATION SRM_PUTDONE Error on the surl srm://srm.grid.sara.nl:8443/srm/managerv2?SFN=/pnfs/grid.sara.nl/data/atlas/file.1 while putdone : [SE][PutDone][SRM_INVALID_PATH] This SURL does not exist in the original request",
     "DESTINATION SRM_PUTDONE Error on the surl <*> while putdone : [SE][PutDone][SRM_INVALID_PATH] This SURL does not exist in the original request"),
    # httpg endpoint and FTS host; SRM status names and empty [] stay
    ("srm-ifce err: Communication error on send, err: [SE][Ls][] httpg://srm.example.ch:8446/srm/managerv2: CGSI-gSOAP running on fts706.cern.ch reports could not open connection to srm.example.ch:8446",
     "srm-ifce err: Communication error on send, err: [SE][Ls][] <*>: CGSI-gSOAP running on <*> reports could not open connection to <*>"),
    # IPv6 in [..]:port, with the GridFTP code 451 kept
    ("TRANSFER  globus_ftp_client: the server responded with an error 451 General problem: Problem while connected to [2001:1458:301:cd::100:3f]:24143: ClosedChannelException",
     "TRANSFER globus_ftp_client: the server responded with an error 451 General problem: Problem while connected to <*>: ClosedChannelException"),
    # host:port
    ("TRANSFER  globus_xio: Unable to connect to dcdoor12.usatlas.bnl.gov:2811 globus_xio: System error in connect: Connection refused",
     "TRANSFER globus_xio: Unable to connect to <*> globus_xio: System error in connect: Connection refused"),
    # IPv4 with port
    ("Failed to connect 192.168.10.4:1094: Connection timed out", "Failed to connect <*>: Connection timed out"),
    # path, XRootD code [3010] kept
    ("Error on XrdCl::CopyProcess::Run(): [ERROR] Server responded with an error: [3010] Unable to create /eos/cms/store/temp/user/x.root; permission denied",
     "Error on XrdCl::CopyProcess::Run(): [ERROR] Server responded with an error: [3010] Unable to create <*>; permission denied"),
    # numbers (space token) masked, SRM_EXCEED_ALLOCATION kept
    ("DESTINATION SRM_PUT_TURL error on the turl  request : [SE][StatusOfPutRequest][SRM_EXCEED_ALLOCATION] Space associated with the space token 2310037 is not enough to hold SURL.",
     "DESTINATION SRM_PUT_TURL error on the turl request : [SE][StatusOfPutRequest][SRM_EXCEED_ALLOCATION] Space associated with the space token <*> is not enough to hold SURL."),
    # adler32 checksums
    ("SOURCE CHECKSUM MISMATCH User defined checksum and source checksum do not match 1a2b3c4d != 0b9e12ff",
     "SOURCE CHECKSUM MISMATCH User defined checksum and source checksum do not match <*> != <*>"),
    # UUID
    ("job 85f76c29-ce98-427e-a153-5e42d32ac5ee failed", "job <*> failed"),
    # DN with spaces, multi-line FTP reply codes kept
    ("TRANSFER  globus_ftp_client: the server responded with an error 530 530-globus_credential: Error with credential: The host credential: /etc/grid-security/hostcert.pem  530-     with subject: /DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=ddmadm/CN=531497  530-     has expired 1597 minutes ago.  530-  530 End.",
     "TRANSFER globus_ftp_client: the server responded with an error 530 530-globus_credential: Error with credential: The host credential: <*> 530- with subject: <*> 530- has expired <*> minutes ago. 530- 530 End."),
    # e-mail
    ("TRANSFER  globus_ftp_client: the server responded with an error 530 Login incorrect. : Mapped user dynamo@dynamo.mit.edu is invalid.",
     "TRANSFER globus_ftp_client: the server responded with an error 530 Login incorrect. : Mapped user <*> is invalid."),
    # dates and times
    ("connection from 82.252.162.81 (lns-vlq-45-tou-82-252-162-81.adsl.proxad.net) at Fri Jun 17 20:55:06 2005",
     "connection from <*> (<*>) at <*>"),
    ("started 2019-10-07T12:00:01Z, ended 2019-10-07 12:05:00", "started <*>, ended <*>"),
    # durations
    ("Transfer canceled because the gsiftp performance marker timeout of 360 seconds has been exceeded",
     "Transfer canceled because the gsiftp performance marker timeout of <*> seconds has been exceeded"),
    ("operation took 1.5ms", "operation took <*>"),
    # HTTP status codes and curl codes kept, retry count masked
    ("DESTINATION OVERWRITE   Result HTTP 404 : File not found  after 1 attempts",
     "DESTINATION OVERWRITE Result HTTP 404 : File not found after <*> attempts"),
    ("TRANSFER [5] TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 507 : Insufficient Storage",
     "TRANSFER [5] TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 507 : Insufficient Storage"),
    ("SOURCE [112] Result curl error (56): Failure when receiving data from the peer after 1 attempts",
     "SOURCE [112] Result curl error (56): Failure when receiving data from the peer after <*> attempts"),
    # request ids
    ("SRM upload aborted: File was deleted by request HRU:1234567:srm2:rm.",
     "SRM upload aborted: File was deleted by request HRU:<*>:srm2:rm."),
]


@pytest.mark.parametrize("raw,expected", CASES)
def test_mask_real_formats(raw, expected):
    assert mask(raw) == expected


def test_mask_many_equals_mask():
    raws = [raw for raw, _ in CASES] + ["", "   ", "vibrate=[100] sound=null", "error 451 x",
                                         "HTTP/1.1 503 busy", "size 1024 bytes (1.0 KB) left",
                                         "500 End.", "errno 2", "\ta\u00a0b\n 12\r\n", "x" * 5000 + " 1"]
    assert mask_many(raws) == [mask(r) for r in raws]


def test_codes_stay_constant():
    assert "451" in mask("the server responded with an error 451 All pools are full")
    assert "[3011]" in mask("Server responded with an error: [3011] No such file")
    assert "500-Command" in mask("error 500 500-Command failed. 500 End.")
    assert mask("x [SE][Ls][SRM_INVALID_PATH] y") == "x [SE][Ls][SRM_INVALID_PATH] y"


def test_overlaps_give_one_mask():
    # a host inside a URL, a number inside a path, a port after an IPv6
    assert mask("at srm://a.b.ch:8443/srm/managerv2?SFN=/x/1/y.root now") == "at <*> now"
    assert mask("to [::1]:1094 ok") == "to <*> ok"
    assert "<*><*>" not in mask("x 0x1f2e3d4c5b6a79881234 y")


def test_only_variables_and_whitespace():
    assert mask("12345") == "<*>"
    assert mask("  a\t\tb\n c ") == "a b c"
    assert normalize("a\x00b\x1fc") == "a b c"
    assert mask("") == EMPTY_PATTERN
    assert mask(None) == EMPTY_PATTERN


def test_names_with_digits_are_not_variables():
    assert mask("Failed password for root from 1.2.3.4 port 22 ssh2") == \
        "Failed password for root from <*> port <*> ssh2"
    assert mask("checksum ADLER32 via SOCKS5 and gfal2_cancel") == \
        "checksum ADLER32 via SOCKS5 and gfal2_cancel"


def test_a_size_is_one_variable_however_many_digits():
    # a long byte count is a size, not a hex id: one <*> with its unit and the human-readable form
    for raw in ("close, 1165 bytes (1.13 KB) sent", "close, 13833013 bytes (13.1 MB) sent",
                "close, 287127 bytes (280 KB) sent"):
        assert mask(raw) == "close, <*> sent", raw
