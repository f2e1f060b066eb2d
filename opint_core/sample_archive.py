"""A deterministic, realistic MONIT archive on local disk: FTS "complete" records and Rucio events.

``write_sample_archive(root, days=7, seed=0, scale=1.0, end=None)`` writes the exact HDFS layout of DOMAIN.md
§1.3 under ``root``::

    project/monitoring/archive/fts/raw/complete/YYYY/MM/DD/part-NNNNN-<uuid>-c000.json.gz
    project/monitoring/archive/rucio/raw/events/YYYY/MM/DD/part-NNNNN-<uuid>-c000.json.gz

The last day is ``DD.tmp/`` (today, not yet compacted by MONIT): every other part file there is plain ``.json``
and one is empty (zero bytes).  Each day has the files of one large Spark job plus one file of a second job
(two uuids, as in the 2019 listings).  A record sits in the directory of its ``metadata.timestamp``, so records
completed just before midnight can sit in the next day's directory.  Rewriting a day replaces its part files.

Each line is a ``{"data": …, "metadata": …}`` envelope with the fields of DOMAIN.md §2, keys sorted as Spark
writes them.  Within a part file, records are grouped by shape (Rucio: event-type group, whose sparse key set
differs; FTS: Rucio-submitted or not) and ordered by time inside a group.

Error messages follow DOMAIN.md §3: gfal2 prefixes with the double-space quirk, SRM/GridFTP/XRootD/HTTP texts,
localized strerror strings with the MONIT gaps, FTS-side sanitising (no quotes or newlines); Rucio reasons with
and without the ``SCOPE [ERRNO]`` wrapper and multi-line ``\nDetails:`` reasons.  Every template carries its
errno, ``tr_error_category``, scope, phase and retry flag, is tied to the protocol it belongs to, and lives at a
few storage endpoints (the sites that "have" that problem): frequencies are long-tailed over templates and
sites.  ``FTS_TEMPLATES`` is the ground truth (template key -> text with ``{placeholders}``).

Planted incidents (in :class:`SampleSummary`):

* ``site_outage``: one ATLAS dCache destination runs out of space for a few hours on one final day:
  ``SRM_EXCEED_ALLOCATION`` at that destination, by far its top destination that day (both streams);
* ``new_error``: a message never seen before, on the last day only (HTTP bearer-token rejection at one
  destination, both streams);
* ``stable_category``: ``FILE_EXISTS`` (errno 17) has the same FTS count every day, while the rest of the
  traffic follows a weekday/weekend pattern.

Everything is a function of ``(seed, days, scale, end)``: the same arguments give byte-identical files.
Generation is vectorised: numpy draws every random choice for a day; JSON lines are assembled column-wise with
``pyarrow.compute.binary_join_element_wise``, where runs of literals and low-cardinality fields (hosts, states,
categories) become a single dictionary lookup; big part files are rendered and gzip-compressed on a thread pool
(arrow kernels and zlib release the GIL).  Cost: ~11 µs of CPU to render a ~3 KB FTS record and ~20 µs to gzip
it; zlib dominates.

Values not confirmed by DOMAIN.md (host names of some sites, space-token ids, pool names, a few rare texts such
as the Rucio submission failures) are plausible inventions; they only need to look and behave like real ones.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["write_sample_archive", "SampleSummary", "Incident", "FTS_TEMPLATES", "ARCHIVE_DIRS"]

ARCHIVE_DIRS = {
    "fts": "project/monitoring/archive/fts/raw/complete",
    "rucio": "project/monitoring/archive/rucio/raw/events",
}
FTS_PER_DAY = 30_000
RUCIO_PER_DAY = 20_000
_GZIP_LEVEL = 2      # as fast as level 1 on these records (longer matches), and 8 % smaller
_MS_DAY = 86_400_000
_MAX_WORKERS = 4

# --------------------------------------------------------------------------------------------------------------
# errno -> tr_error_category (strerror upper-cased, spaces -> "_"; FTS3 heuristics.cpp::mapErrnoToString)
# --------------------------------------------------------------------------------------------------------------
_ERRNO_CATEGORY = {
    1: "OPERATION_NOT_PERMITTED", 2: "NO_SUCH_FILE_OR_DIRECTORY", 5: "INPUT/OUTPUT_ERROR",
    13: "PERMISSION_DENIED", 16: "DEVICE_OR_RESOURCE_BUSY", 17: "FILE_EXISTS", 22: "INVALID_ARGUMENT",
    28: "NO_SPACE_LEFT_ON_DEVICE", 42: "NO_MESSAGE_OF_DESIRED_TYPE", 62: "TIMER_EXPIRED",
    70: "COMMUNICATION_ERROR_ON_SEND", 93: "PROTOCOL_NOT_SUPPORTED", 95: "OPERATION_NOT_SUPPORTED",
    104: "CONNECTION_RESET_BY_PEER", 110: "CONNECTION_TIMED_OUT", 111: "CONNECTION_REFUSED",
    112: "HOST_IS_DOWN", 113: "NO_ROUTE_TO_HOST", 122: "DISK_QUOTA_EXCEEDED", 125: "OPERATION_CANCELED",
}

# --------------------------------------------------------------------------------------------------------------
# Topology: storage endpoints (one per RSE / storage area)
# --------------------------------------------------------------------------------------------------------------
_PROTOS = ("srm", "gsiftp", "root", "davs")
_SRM, _GSIFTP, _ROOT, _DAVS = range(4)
_PROTO_W = np.array([0.22, 0.13, 0.27, 0.38])
_IMPL_PROTOS = {
    "dcache": (0, 1, 2, 3), "dpm": (0, 1, 2, 3), "storm": (0, 1, 3), "eos": (1, 2, 3),
    "echo": (1, 2, 3), "xrootd": (1, 2, 3), "cta": (2, 3), "gridftp": (1, 3),
}
_FAMILY_PROTOS = {"srm": (0,), "gsiftp": (0, 1), "root": (2,), "http": (3,), "any": (0, 1, 2, 3)}

# (rse, site, vo, type, impl, host, srm host:port, davs port, path, traffic weight, locale, cc/org for DNs)
_EP_TABLE = [
    # ---- ATLAS
    ("CERN-PROD_DATADISK", "CERN-PROD", "atlas", "DISK", "eos", "eosatlas.cern.ch", "", 443,
     "/eos/atlas/atlasdatadisk/rucio", 12, "", "cern"),
    ("CERN-PROD_SCRATCHDISK", "CERN-PROD", "atlas", "DISK", "eos", "eosatlas.cern.ch", "", 443,
     "/eos/atlas/atlasscratchdisk/rucio", 4, "", "cern"),
    ("CERN-PROD_DATATAPE", "CERN-PROD", "atlas", "TAPE", "cta", "eosctaatlas.cern.ch", "", 8444,
     "/eos/ctaatlas/archive/grid/atlas/rucio", 2, "", "cern"),
    ("BNL-OSG2_DATADISK", "BNL-OSG2", "atlas", "DISK", "dcache", "dcgftp.usatlas.bnl.gov",
     "dcsrm.usatlas.bnl.gov:8443", 443, "/pnfs/usatlas.bnl.gov/BNLT0D1/rucio", 10, "", "us"),
    ("BNL-OSG2_DATATAPE", "BNL-OSG2", "atlas", "TAPE", "dcache", "dcgftp.usatlas.bnl.gov",
     "dcsrm.usatlas.bnl.gov:8443", 443, "/pnfs/usatlas.bnl.gov/BNLT1D0/rucio", 2, "", "us"),
    ("TRIUMF-LCG2_DATADISK", "TRIUMF-LCG2", "atlas", "DISK", "dcache", "dcgftp.lcg.triumf.ca",
     "srm.triumf.ca:8443", 2880, "/pnfs/triumf.ca/data/atlas/atlasdatadisk/rucio", 6, "", "ca"),
    ("IN2P3-CC_DATADISK", "IN2P3-CC", "atlas", "DISK", "dcache", "ccdcacli067.in2p3.fr",
     "ccsrm.in2p3.fr:8443", 2880, "/pnfs/in2p3.fr/data/atlas/atlasdatadisk/rucio", 7, "", "fr"),
    ("IN2P3-CC_DATATAPE", "IN2P3-CC", "atlas", "TAPE", "dcache", "ccdcacli067.in2p3.fr",
     "ccsrm.in2p3.fr:8443", 2880, "/pnfs/in2p3.fr/data/atlas/atlasdatatape/rucio", 1.5, "", "fr"),
    ("FZK-LCG2_DATADISK", "FZK-LCG2", "atlas", "DISK", "dcache", "atlaswebdav-kit.gridka.de",
     "atlassrm-fzk.gridka.de:8443", 2880, "/pnfs/gridka.de/atlas/disk-only/atlasdatadisk/rucio", 8, "de", "de"),
    ("FZK-LCG2_DATATAPE", "FZK-LCG2", "atlas", "TAPE", "dcache", "atlaswebdav-kit.gridka.de",
     "atlassrm-fzk.gridka.de:8443", 2880, "/pnfs/gridka.de/atlas/atlasdatatape/rucio", 1.5, "de", "de"),
    ("INFN-T1_DATADISK", "INFN-T1", "atlas", "DISK", "storm", "xfer-atlas.cr.cnaf.infn.it",
     "storm-fe.cr.cnaf.infn.it:8444", 8443, "/atlas/atlasdatadisk/rucio", 6, "it", "it"),
    ("NDGF-T1_DATADISK", "NDGF-T1", "atlas", "DISK", "dcache", "dav.ndgf.org", "srm.ndgf.org:8443", 443,
     "/atlas/disk/atlasdatadisk/rucio", 5, "", "nordugrid"),
    ("SARA-MATRIX_DATADISK", "SARA-MATRIX", "atlas", "DISK", "dcache", "webdav.grid.surfsara.nl",
     "srm.grid.sara.nl:8443", 2880, "/pnfs/grid.sara.nl/data/atlas/atlasdatadisk/rucio", 5, "", "nl"),
    ("PIC_DATADISK", "PIC", "atlas", "DISK", "dcache", "door05.pic.es", "srmatlas.pic.es:8443", 8452,
     "/pnfs/pic.es/data/atlas/atlasdatadisk/rucio", 4, "ca", "es"),
    ("RAL-LCG2-ECHO_DATADISK", "RAL-LCG2-ECHO", "atlas", "DISK", "echo", "xrootd.echo.stfc.ac.uk", "", 1094,
     "atlas:datadisk/rucio", 6, "", "uk"),
    ("DESY-HH_DATADISK", "DESY-HH", "atlas", "DISK", "dcache", "dcache-se-atlas.desy.de",
     "dcache-se-atlas.desy.de:8443", 2880, "/pnfs/desy.de/atlas/dq2/atlasdatadisk/rucio", 4, "de", "de"),
    ("DESY-ZN_DATADISK", "DESY-ZN", "atlas", "DISK", "dcache", "lcg-se0.ifh.de", "lcg-se0.ifh.de:8443", 2880,
     "/pnfs/ifh.de/data/atlas/atlasdatadisk/rucio", 2, "de", "de"),
    ("LRZ-LMU_DATADISK", "LRZ-LMU", "atlas", "DISK", "dcache", "lcg-lrz-dc66.grid.lrz.de",
     "lcg-lrz-dc66.grid.lrz.de:8443", 2880, "/pnfs/lrz-muenchen.de/data/atlas/dq2/atlasdatadisk/rucio", 2,
     "de", "de"),
    ("MWT2_DATADISK", "MWT2", "atlas", "DISK", "dcache", "uct2-dc1.uchicago.edu", "uct2-dc1.uchicago.edu:8443",
     2880, "/pnfs/uchicago.edu/atlasdatadisk/rucio", 5, "", "us"),
    ("AGLT2_DATADISK", "AGLT2", "atlas", "DISK", "dcache", "dcdum02.aglt2.org", "head01.aglt2.org:8443", 2880,
     "/pnfs/aglt2.org/atlasdatadisk/rucio", 4, "", "us"),
    ("SWT2_CPB_DATADISK", "SWT2_CPB", "atlas", "DISK", "xrootd", "gk06.atlas-swt2.org", "", 1094,
     "/xrd/atlasdatadisk/rucio", 3, "", "us"),
    ("NERSC_LOCALGROUPDISK", "NERSC", "atlas", "DISK", "gridftp", "dtn01.nersc.gov", "", 443,
     "/global/projecta/projectdirs/atlas/atlaslocalgroupdisk/rucio", 0.5, "", "us"),
    ("UKI-NORTHGRID-MAN-HEP_DATADISK", "UKI-NORTHGRID-MAN-HEP", "atlas", "DISK", "dpm",
     "bohr3226.tier2.hep.manchester.ac.uk", "bohr3226.tier2.hep.manchester.ac.uk:8446", 443,
     "/dpm/tier2.hep.manchester.ac.uk/home/atlas/atlasdatadisk/rucio", 3, "", "uk"),
    ("UKI-LT2-QMUL_DATADISK", "UKI-LT2-QMUL", "atlas", "DISK", "storm", "se03.esc.qmul.ac.uk",
     "se03.esc.qmul.ac.uk:8444", 443, "/atlas/atlasdatadisk/rucio", 2, "", "uk"),
    ("praguelcg2_DATADISK", "praguelcg2", "atlas", "DISK", "dpm", "golias100.farm.particle.cz",
     "golias100.farm.particle.cz:8446", 443, "/dpm/farm.particle.cz/home/atlas/atlasdatadisk/rucio", 2, "", "cz"),
    ("TOKYO-LCG2_DATADISK", "TOKYO-LCG2", "atlas", "DISK", "dpm", "lcg-se01.icepp.jp", "lcg-se01.icepp.jp:8446",
     443, "/dpm/icepp.jp/home/atlas/atlasdatadisk/rucio", 3, "", "jp"),
    ("IFIC-LCG2_DATADISK", "IFIC-LCG2", "atlas", "DISK", "storm", "srmv2.ific.uv.es", "srmv2.ific.uv.es:8443",
     443, "/lustre/ific.uv.es/grid/atlas/atlasdatadisk/rucio", 2, "es", "es"),
    ("UAM-LCG2_DATADISK", "UAM-LCG2", "atlas", "DISK", "dcache", "grid002.ft.uam.es", "grid002.ft.uam.es:8443",
     2880, "/pnfs/ft.uam.es/data/atlas/atlasdatadisk/rucio", 1.5, "es", "es"),
    ("INFN-NAPOLI-ATLAS_DATADISK", "INFN-NAPOLI-ATLAS", "atlas", "DISK", "dpm", "atlasse.na.infn.it",
     "atlasse.na.infn.it:8446", 443, "/dpm/na.infn.it/home/atlas/atlasdatadisk/rucio", 1.5, "it", "it"),
    ("GRIF-LAL_DATADISK", "GRIF-LAL", "atlas", "DISK", "dpm", "grid05.lal.in2p3.fr", "grid05.lal.in2p3.fr:8446",
     443, "/dpm/lal.in2p3.fr/home/atlas/atlasdatadisk/rucio", 1.5, "", "fr"),
    ("FMPHI-UNIBA_DATADISK", "FMPHI-UNIBA", "atlas", "DISK", "dpm", "lcgdpmse.dnp.fmph.uniba.sk",
     "lcgdpmse.dnp.fmph.uniba.sk:8446", 443, "/dpm/dnp.fmph.uniba.sk/home/atlas/atlasdatadisk/rucio", 0.8, "",
     "sk"),
    # ---- CMS (Rucio-managed; RSE = CMS site name)
    ("T2_CH_CERN", "T2_CH_CERN", "cms", "DISK", "eos", "eoscms.cern.ch", "", 443, "/eos/cms", 9, "", "cern"),
    ("T1_US_FNAL_Disk", "T1_US_FNAL", "cms", "DISK", "dcache", "cmsdcadisk.fnal.gov", "cmsdcadisk.fnal.gov:8443",
     2880, "/dcache/uscmsdisk", 8, "", "us"),
    ("T1_US_FNAL_Tape", "T1_US_FNAL", "cms", "TAPE", "dcache", "cmsdcatape.fnal.gov", "cmsdcatape.fnal.gov:8443",
     2880, "/pnfs/fs/usr/cms/WAX/11", 1.5, "", "us"),
    ("T2_US_Nebraska", "T2_US_Nebraska", "cms", "DISK", "xrootd", "red-gridftp.unl.edu", "", 1094,
     "/user/uscms01/pnfs/unl.edu/data4/cms", 5, "", "us"),
    ("T1_DE_KIT_Disk", "T1_DE_KIT", "cms", "DISK", "dcache", "cmswebdav-kit.gridka.de", "cmssrm-kit.gridka.de:8443",
     2880, "/pnfs/gridka.de/cms/disk-only", 4, "de", "de"),
    ("T2_IT_Legnaro", "T2_IT_Legnaro", "cms", "DISK", "dcache", "t2-srm-02.lnl.infn.it",
     "t2-srm-02.lnl.infn.it:8443", 2880, "/pnfs/lnl.infn.it/data/cms", 3, "it", "it"),
    ("T2_ES_CIEMAT", "T2_ES_CIEMAT", "cms", "DISK", "dcache", "gftp.ciemat.es", "srm.ciemat.es:8443", 2880,
     "/pnfs/ciemat.es/data/cms/prod", 2, "es", "es"),
    ("T2_UK_London_IC", "T2_UK_London_IC", "cms", "DISK", "dcache", "gfe02.grid.hep.ph.ic.ac.uk",
     "gfe02.grid.hep.ph.ic.ac.uk:8443", 2880, "/pnfs/hep.ph.ic.ac.uk/data/cms", 3, "", "uk"),
    ("T2_DE_DESY", "T2_DE_DESY", "cms", "DISK", "dcache", "dcache-cms-webdav-wan.desy.de",
     "dcache-se-cms.desy.de:8443", 2880, "/pnfs/desy.de/cms/tier2", 2, "de", "de"),
    ("T1_IT_CNAF_Disk", "T1_IT_CNAF", "cms", "DISK", "storm", "xfer-cms.cr.cnaf.infn.it",
     "storm-fe-cms.cr.cnaf.infn.it:8444", 8443, "/cms", 3, "it", "it"),
    # ---- LHCb (DIRAC-managed: no Rucio file_metadata; "rse" is the DIRAC SE name, never written)
    ("CERN-DST-EOS", "CERN-PROD", "lhcb", "DISK", "eos", "eoslhcb.cern.ch", "", 443, "/eos/lhcb/grid/prod", 5, "",
     "cern"),
    ("GRIDKA-DST", "FZK-LCG2", "lhcb", "DISK", "dcache", "lhcbwebdav-kit.gridka.de", "lhcbsrm-kit.gridka.de:8443",
     2880, "/pnfs/gridka.de/lhcb", 3, "de", "de"),
    ("IN2P3-DST", "IN2P3-CC", "lhcb", "DISK", "dcache", "ccdcacli068.in2p3.fr", "ccsrm.in2p3.fr:8443", 2880,
     "/pnfs/in2p3.fr/data/lhcb", 3, "", "fr"),
    ("CNAF-DST", "INFN-T1", "lhcb", "DISK", "storm", "xfer-lhcb.cr.cnaf.infn.it",
     "storm-fe-lhcb.cr.cnaf.infn.it:8444", 8443, "/lhcb", 3, "it", "it"),
    ("RAL-DST", "RAL-LCG2", "lhcb", "DISK", "echo", "xrootd.echo.stfc.ac.uk", "", 1094, "lhcb:prod", 3, "", "uk"),
    ("SARA-DST", "SARA-MATRIX", "lhcb", "DISK", "dcache", "webdav.grid.surfsara.nl", "srm.grid.sara.nl:8443",
     2880, "/pnfs/grid.sara.nl/data/lhcb", 2, "", "nl"),
    ("CERN-RAW", "CERN-PROD", "lhcb", "TAPE", "cta", "eosctalhcb.cern.ch", "", 8444,
     "/eos/ctalhcb/archive/grid/lhcb", 1, "", "cern"),
    # ---- dteam (FTS functional tests)
    ("dteam-CERN", "CERN-PROD", "dteam", "DISK", "eos", "eospublic.cern.ch", "", 443, "/eos/opstest/dteam", 2, "",
     "cern"),
    ("dteam-DESY", "DESY-HH", "dteam", "DISK", "dcache", "dcache-se-doma.desy.de", "dcache-se-doma.desy.de:8443",
     2880, "/pnfs/desy.de/dteam", 1, "de", "de"),
    ("dteam-PRAGUE", "praguelcg2", "dteam", "DISK", "dpm", "golias100.farm.particle.cz",
     "golias100.farm.particle.cz:8446", 443, "/dpm/farm.particle.cz/home/dteam", 1, "", "cz"),
    ("dteam-UKI-MAN", "UKI-NORTHGRID-MAN-HEP", "dteam", "DISK", "dpm", "bohr3226.tier2.hep.manchester.ac.uk",
     "bohr3226.tier2.hep.manchester.ac.uk:8446", 443, "/dpm/tier2.hep.manchester.ac.uk/home/dteam", 1, "", "uk"),
]

_DN_PREFIX = {
    "cern": "/DC=ch/DC=cern/OU=computers/CN=", "us": "/DC=org/DC=incommon/C=US/ST=NY/O=Grid/CN=",
    "ca": "/C=CA/O=Grid/OU=triumf.ca/CN=", "fr": "/C=FR/O=MENESR/OU=GRID-FR/CN=", "de": "/C=DE/O=GermanGrid/OU=Grid/CN=",
    "it": "/DC=org/DC=terena/DC=tcs/C=IT/O=INFN/CN=", "nordugrid": "/DC=org/DC=terena/DC=tcs/C=DK/O=NeIC/CN=",
    "nl": "/DC=org/DC=terena/DC=tcs/C=NL/O=SURF/CN=", "es": "/DC=es/DC=irisgrid/O=pic/CN=",
    "uk": "/C=UK/O=eScience/OU=Manchester/L=HEP/CN=", "cz": "/DC=cz/DC=cesnet-ca/O=Institute of Physics/CN=",
    "jp": "/C=JP/O=KEK/OU=CRC/CN=", "sk": "/DC=org/DC=terena/DC=tcs/C=SK/O=Comenius University/CN=",
}

_VOS = ("atlas", "cms", "lhcb", "dteam")
_VO_W = np.array([0.62, 0.25, 0.09, 0.04])
# FTS instances per VO: (endpnt, node pattern, nodes, weight)
_FTS_INSTANCES = [
    ("atlas", "fts3-atlas.cern.ch", "fts7{:02d}.cern.ch", 12, 0.6),
    ("atlas", "fts.usatlas.bnl.gov", "fts1{:02d}.usatlas.bnl.gov", 4, 0.25),
    ("atlas", "lcgfts3.gridpp.rl.ac.uk", "lcgfts{:02d}.gridpp.rl.ac.uk", 6, 0.15),
    ("cms", "fts3-cms.cern.ch", "fts4{:02d}.cern.ch", 8, 0.65),
    ("cms", "cmsfts3.fnal.gov", "cmsftssrv{:d}.fnal.gov", 3, 0.35),
    ("lhcb", "fts3-lhcb.cern.ch", "fts5{:02d}.cern.ch", 4, 0.6),
    ("lhcb", "lcgfts3.gridpp.rl.ac.uk", "lcgfts{:02d}.gridpp.rl.ac.uk", 6, 0.4),
    ("dteam", "fts3-pilot.cern.ch", "fts6{:02d}.cern.ch", 2, 0.7),
    ("dteam", "fts3-devel.cern.ch", "fts8{:02d}.cern.ch", 2, 0.3),
]
_ACTIVITIES = {
    "atlas": (("Production Input", 0.22), ("Production Output", 0.2), ("Data Consolidation", 0.18),
              ("Analysis Input", 0.12), ("User Subscriptions", 0.07), ("Data Rebalancing", 0.07),
              ("Functional Test", 0.05), ("T0 Export", 0.04), ("Express", 0.02), ("Data Brokering", 0.03)),
    "cms": (("Production Output", 0.3), ("Production Input", 0.2), ("Data Consolidation", 0.2),
            ("User AutoApprove", 0.15), ("Functional Test", 0.1), ("T0 Export", 0.05)),
    "lhcb": (("default", 1.0),),
    "dteam": (("default", 1.0),),
}

# --------------------------------------------------------------------------------------------------------------
# Error templates.  Placeholders {name} are filled per record (see _Ctx).  FTS (MONIT) messages have no L0
# wrapper and lose ' and " (msg-ifce sanitising); Rucio reasons keep the raw text, with the L0 wrapper
# "<SCOPE> [<ERRNO>] " on ~60 % of them.  Weights follow the fts_10K counts of DOMAIN.md §3.2 where known.
# --------------------------------------------------------------------------------------------------------------
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
    spread: int = 0          # number of endpoints with this problem (0: from the weight)
    special: str = ""        # outage | new | stable: only planted, never background


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
       "This SURL does not exist in the original request", impl=("dcache", "storm"), spread=5),
    _t("srm_exceed_allocation", 604, "srm", "dst", 28, "DESTINATION", _P, False,
       "DESTINATION SRM_PUT_TURL error on the turl  request : [SE][StatusOfPutRequest][SRM_EXCEED_ALLOCATION] "
       "Space associated with the space token {token} is not enough to hold SURL.", impl=("dcache",), spread=4),
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
    _t("gftp_eos_quota", 241, "gsiftp", "dst", 122, "TRANSFER", _X, False,
       "TRANSFER  " + _GUC + "500 Command failed. : open/create : [ERROR] Server responded with an error: [3021] "
       "Unable to get quota space - quota not defined or exhausted {dst_path}; Disk quota exceeded",
       impl=("eos",)),
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
       "the expected name for the remote entity (/CN={dst_host}) do not match", spread=2),
    _t("gftp_530_cert_expired", 60, "gsiftp", "dst", 13, "TRANSFER", _X, False,
       "TRANSFER  " + _GUC + "530 530-globus_xio: Server side credential failure  530-globus_gsi_gssapi: Error "
       "with GSI credential  530-globus_gsi_gssapi: Error with gss credential handle  530-globus_credential: "
       "Error with credential: The host credential: {dst_dn}  530-     has expired {minutes} minutes ago.  530-  "
       "530 End.", spread=1),
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
    _t("xrd_no_tpc_source", 105, "root", "src", 95, "TRANSFER", _X, False,
       _XRD + "Operation not supported: Source does not support third-party-copy"),
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
       "TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 507 : Insufficient Storage", vo=("cms",)),
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
       "Job has been canceled because it stayed in the queue for too long", state="Abort", spread=99),
    _t("queue_timeout_max_time", 60, "any", "dst", 125, "GENERAL_FAILURE", _S, False,
       "Job has been canceled because it stayed in the queue for too long (max-time-in-queue timeout)",
       state="Abort", spread=99),
    _t("gfal2_cancel", 47, "any", "dst", 125, "TRANSFER", _X, False, "TRANSFER  Operation canceled from gfal2_cancel",
       state="Abort", spread=99),
    _t("gfal2_cancel_user", 30, "any", "dst", 125, "DESTINATION", _X, False,
       "[gfal2_cancel] operation canceled by user", state="Abort", spread=99),
    _t("staging_forced_canceled", 20, "any", "src", 62, "GENERAL_FAILURE", _S, False,
       "Transfer has been forced-canceled because it has been in staging started state beyond its bringonline "
       "timeout", state="Abort", tape=True),
    # ---- planted: the stable category (same count every day)
    _t("dest_exists", 240, "any", "dst", 17, "DESTINATION", _P, False,
       "Destination file exists and overwrite is not enabled", special="stable", spread=99),
    # ---- planted: the new error of the last day (never seen before)
    _t("token_audience_rejected", 0, "http", "dst", 13, "TRANSFER", _X, False,
       "TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 401 : Authentication Error: bearer token "
       "rejected by {dst_host}: invalid audience (expected https://{dst_host}:{dst_davs_port})", special="new"),
)
_TPL_INDEX = {t.key: i for i, t in enumerate(_TEMPLATES)}
_OUTAGE_TPL = _TPL_INDEX["srm_exceed_allocation"]
_NEW_TPL = _TPL_INDEX["token_audience_rejected"]
_STABLE_TPL = _TPL_INDEX["dest_exists"]
_NEW_MARKER = "bearer token rejected"
_OUTAGE_MARKER = "SRM_EXCEED_ALLOCATION"

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


# --------------------------------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Incident:
    """A planted pattern that the analysis should find.

    ``marker`` is a substring of every planted message; ``example`` is one full FTS message.  ``counts`` holds
    the planted records per stream (FTS: records with ``t_final_transfer_state_flag`` 0); ``daily_counts``
    (stable_category only) the FTS count per day, by ``tr_timestamp_complete``.
    """
    kind: str                      # site_outage | new_error | stable_category
    description: str
    category: str                  # FTS tr_error_category
    error_code: str                # FTS t_error_code
    template: str                  # key in FTS_TEMPLATES
    marker: str
    example: str
    site: str | None = None
    rse: str | None = None
    host: str | None = None        # FTS dst_hostname
    side: str | None = None        # dst
    day: dt.date | None = None
    hours: tuple[int, int] | None = None   # [start, end) UTC hours
    counts: dict[str, int] = field(default_factory=dict)
    daily_counts: dict[dt.date, int] = field(default_factory=dict)


@dataclass
class SampleSummary:
    """What :func:`write_sample_archive` wrote.  Failures: FTS flag 0; Rucio event types ending in "failed"."""
    root: Path
    days: list[dt.date]
    tmp_day: dt.date
    files: list[Path]
    records: dict[str, int]
    failures: dict[str, int]
    aborts: dict[str, int]
    records_per_day: dict[str, dict[dt.date, int]]
    failures_per_day: dict[str, dict[dt.date, int]]
    incidents: list[Incident]
    fts_template_counts: dict[str, int]     # template key -> FTS records (Error and Abort)
    rucio_reason_counts: dict[str, int]     # template key -> Rucio failure events
    seconds: float
    bytes_written: int

    def incident(self, kind: str) -> Incident:
        for inc in self.incidents:
            if inc.kind == kind:
                return inc
        raise KeyError(kind)

    @property
    def records_per_second(self) -> float:
        return sum(self.records.values()) / self.seconds if self.seconds else 0.0


# --------------------------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------------------------
_TF = ("false", "true")
_HEXC = np.frombuffer(b"0123456789abcdef", np.uint8)
_HEXU = np.frombuffer(b"0123456789ABCDEF", np.uint8)


def _hex(b: np.ndarray, upper: bool = False) -> np.ndarray:
    """(n, k) uint8 -> (n, 2k) ASCII hex digits."""
    digits = _HEXU if upper else _HEXC
    out = np.empty((b.shape[0], b.shape[1] * 2), np.uint8)
    out[:, 0::2] = digits[b >> 4]
    out[:, 1::2] = digits[b & 15]
    return out


def _fixed(chars: np.ndarray) -> pa.Array:
    """(n, w) ASCII bytes -> pa.string array, zero-copy."""
    chars = np.ascontiguousarray(chars)
    n, w = chars.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


def _uuid(b16: np.ndarray, upper: bool = False) -> pa.Array:
    h = _hex(b16, upper)
    out = np.empty((h.shape[0], 36), np.uint8)
    out[:, 0:8], out[:, 9:13], out[:, 14:18], out[:, 19:23], out[:, 24:36] = (
        h[:, 0:8], h[:, 8:12], h[:, 12:16], h[:, 16:20], h[:, 20:32])
    out[:, [8, 13, 18, 23]] = ord("-")
    return _fixed(out)


def _hex32(b16: np.ndarray) -> pa.Array:
    return _fixed(_hex(b16))


def _hex8(u32: np.ndarray) -> pa.Array:
    b = np.ascontiguousarray(u32.astype(">u4")).view(np.uint8).reshape(-1, 4)
    return _fixed(_hex(b))


def _num(a) -> pa.Array:
    """Numbers as decimal strings (JSON literals)."""
    return pc.cast(pa.array(np.asarray(a)), pa.string())


def _pad(a: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(_num(a), width=width, padding="0")


class _Cat:
    """A low-cardinality string column: ``codes`` into ``cats`` (JSON-safe strings)."""
    __slots__ = ("codes", "cats")

    def __init__(self, codes, cats: Sequence[str]):
        self.codes = np.asarray(codes, np.int64)
        self.cats = cats

    def take(self, rows: np.ndarray) -> "_Cat":
        return _Cat(self.codes[rows], self.cats)


def _flatten(pieces, out: list) -> list:
    for p in pieces:
        if isinstance(p, list):
            _flatten(p, out)
        else:
            out.append(p)
    return out


_JOIN_FANIN = 8


def _unique(codes: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(codes, return_inverse=True) for codes in [0, space); a bitmap when the space is small."""
    if space > 4 * len(codes) + 65536:
        u, inv = np.unique(codes, return_inverse=True)
        return u, inv.reshape(-1)
    present = np.zeros(space, bool)
    present[codes] = True
    u = np.flatnonzero(present)
    remap = np.cumsum(present) - 1
    return u, remap[codes]


def _render(pieces: list, n: int) -> pa.Array:
    """Concatenate literals, _Cat columns and string arrays element-wise.

    Each run of literals and categoricals becomes one dictionary lookup (np.unique over the combined codes), so
    that binary_join_element_wise only sees arrays: it joins arrays ~2.5x faster than scalar pieces.
    """
    if n == 0:
        return pa.array([], pa.string())
    arrays: list[pa.Array] = []
    codes = None
    table = [""]

    def flush():
        nonlocal codes, table
        if codes is not None:
            arrays.append(pa.array(table, pa.string()).take(pa.array(codes)))
        elif table[0]:
            arrays.append(pa.repeat(pa.scalar(table[0], pa.string()), n))
        codes, table = None, [""]

    for p in _flatten(pieces, []):
        if isinstance(p, str):
            if p:
                table = [t + p for t in table]
        elif isinstance(p, _Cat):
            m, cats = len(p.cats), p.cats
            u, inv = _unique(p.codes if codes is None else codes * m + p.codes, (len(table) if codes is not None else 1) * m)
            if codes is None:
                t0 = table[0]
                table = [t0 + cats[x] for x in u.tolist()]
            else:
                table = [table[x // m] + cats[x % m] for x in u.tolist()]
            codes = inv.reshape(-1)
        else:
            flush()
            arrays.append(p)
    flush()
    if not arrays:
        return pa.repeat(pa.scalar("", pa.string()), n)
    # binary_join_element_wise slows down with many arguments: join in small groups, then the groups
    while len(arrays) > 1:
        arrays = [a[0] if len(a) == 1 else pc.binary_join_element_wise(*a, "")
                  for a in (arrays[i:i + _JOIN_FANIN] for i in range(0, len(arrays), _JOIN_FANIN))]
    return arrays[0]


def _sub(value, rows: np.ndarray):
    """The rows of a column value (array, _Cat, literal or a list of those)."""
    if isinstance(value, str):
        return value
    if isinstance(value, _Cat):
        return value.take(rows)
    if isinstance(value, list):
        return [_sub(v, rows) for v in value]
    return value.take(pa.array(rows))


def _scatter(groups: np.ndarray, build: Callable[[int, np.ndarray], pa.Array]) -> pa.Array:
    """Build a string array group by group (build(g, rows)) and put each value back at its row."""
    n = len(groups)
    chunks, positions = [], []
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        chunks.append(build(int(g), rows))
        positions.append(rows)
    if not chunks:
        return pa.array([], pa.string())
    allc = pa.concat_arrays(chunks)
    inv = np.empty(n, np.int64)
    inv[np.concatenate(positions)] = np.arange(n)
    return allc.take(pa.array(inv))


def _jesc(s: str) -> str:
    return json.dumps(s)[1:-1]


def _obj(fields: list[tuple[str, str, object]]) -> list:
    """JSON object pieces from (key, kind, value), keys sorted like Spark writes them.

    kind "s": a string (str literal, or JSON-safe pieces: array, _Cat or a list of pieces); "r": raw JSON
    pieces; "c": a Python constant.
    """
    out: list = ["{"]
    for i, (key, kind, val) in enumerate(sorted(fields, key=lambda f: f[0])):
        sep = "," if i else ""
        if kind == "s":
            if isinstance(val, str):
                out.append(f'{sep}"{key}":"{_jesc(val)}"')
            else:
                out += [f'{sep}"{key}":"', val, '"']
        elif kind == "r":
            out += [f'{sep}"{key}":', val]
        else:
            out.append(f'{sep}"{key}":{json.dumps(val)}')
    out.append("}")
    return out


def _stable_uuid(*parts) -> str:
    h = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _compile(text: str) -> list:
    """'a {x} b' -> ['a ', ('x',), ' b']"""
    out: list = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            out.append(text[pos:m.start()])
        out.append((m.group(1),))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _fts_sanitize(text: str) -> str:
    # FTS3 msg-ifce removes newlines, ' and " from t__error_message
    return text.replace("\n", "").replace("'", "").replace('"', "")


# --------------------------------------------------------------------------------------------------------------
# The world: endpoints, lookup tables, error sources and incident plan (a function of the seed)
# --------------------------------------------------------------------------------------------------------------
class _World:
    def __init__(self, seed: int, days: list[dt.date]):
        self.seed = seed
        rng = np.random.default_rng([seed, 0xC0FFEE])
        E = _EP_TABLE
        self.n_ep = n = len(E)
        self.rse = [e[0] for e in E]
        self.site = [e[1] for e in E]
        self.ep_vo = np.array([_VOS.index(e[2]) for e in E])
        self.ep_tape = np.array([e[3] == "TAPE" for e in E])
        self.ep_impl = [e[4] for e in E]
        self.ep_locale = [e[10] for e in E]
        self.ep_w = np.array([float(e[9]) for e in E])
        self.support = np.zeros((n, 4), bool)
        for i, e in enumerate(E):
            protos = _IMPL_PROTOS[e[4]]
            if not e[6]:
                protos = tuple(p for p in protos if p != _SRM)
            self.support[i, list(protos)] = True
        # per (endpoint, protocol): host, host:port, URL prefix of the storage area
        hosts, prefixes = [], []
        for e in E:
            host, srm, dport, path = e[5], e[6], e[7], e[8]
            spath = path if path.startswith("/") else "/" + path
            srm_host = srm.split(":")[0] if srm else host
            hosts += [srm_host, host, host, host]
            prefixes += [f"srm://{srm}/srm/managerv2?SFN={spath}" if srm else f"srm://{host}:8443{spath}",
                         f"gsiftp://{host}:2811{spath}", f"root://{host}:1094/{path}", f"davs://{host}:{dport}{spath}"]
        self.hosts = hosts
        self.prefixes = prefixes
        self.ses = [f"{_PROTOS[k % 4]}://{h}" for k, h in enumerate(hosts)]
        self.srms = [e[6] or f"{e[5]}:8443" for e in E]
        self.srm_prefixes = [prefixes[4 * i] for i in range(n)]
        self.paths = [e[8] if e[8].startswith("/") else "/" + e[8] for e in E]
        self.davs_ports = [str(e[7]) for e in E]
        self.rses = list(self.rse)
        self.sites = list(self.site)
        self.types = [e[3] for e in E]
        self.rse_ids = [hashlib.md5(e[0].encode()).hexdigest() for e in E]
        # srm_space_token_dst by (endpoint, is_srm)
        self.space_tokens = []
        for e in E:
            tok_name = ("ATLAS" + e[0].split("_", 1)[1]) if e[2] == "atlas" and e[3] == "DISK" and "_" in e[0] else ""
            self.space_tokens += ["", tok_name]
        # per-site variable parts: space-token ids, pool IPv6 addresses, DNs (12 values per endpoint)
        tok = [str(int(x)) for x in rng.integers(10_000, 60_000_000, size=n)]
        self.tokens = tok
        ipv6, dn, dn_alias = [], [], []
        for i, e in enumerate(E):
            hh = hashlib.md5(e[1].encode()).digest()
            base = f"2001:{hh[0] << 8 | hh[1]:x}:{hh[2] << 8 | hh[3]:x}:{hh[4]:x}"
            domain = e[5].split(".", 1)[1] if "." in e[5] else e[5]
            prefix = _DN_PREFIX[e[11]]
            for k in range(12):
                ipv6.append(f"{base}::{hh[5 + k % 8]:x}:{k + 1:x}")
                dn_alias.append(f"{prefix}pool{k + 11:02d}.{domain}")
            dn.append(prefix + e[5])
        self.ipv6s, self.dns, self.dn_aliases = ipv6, dn, dn_alias
        # FTS instances
        self.fts_vo = np.array([_VOS.index(f[0]) for f in _FTS_INSTANCES])
        self.fts_endpnts = [f[1] for f in _FTS_INSTANCES]
        nodes = []
        for f in _FTS_INSTANCES:
            nodes.append([f[2].format(k + 1) for k in range(f[3])])
        width = max(len(x) for x in nodes)
        self.fts_nodes_n = np.array([len(x) for x in nodes])
        self.fts_nodes = [x[k % len(x)] for x in nodes for k in range(width)]
        self.fts_node_width = width
        self.fts_by_vo = []
        for v in range(len(_VOS)):
            idx = np.flatnonzero(self.fts_vo == v)
            w = np.array([_FTS_INSTANCES[i][4] for i in idx])
            self.fts_by_vo.append((idx, w / w.sum()))
        # candidate endpoints per (vo, protocol) for the "other side" of a transfer
        self.cand: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        for v in range(len(_VOS)):
            for p in range(4):
                idx = np.flatnonzero((self.ep_vo == v) & self.support[:, p] & ~self.ep_tape)
                if len(idx) == 0:
                    idx = np.flatnonzero(self.ep_vo == v)
                w = self.ep_w[idx]
                self.cand[(v, p)] = (idx, w / w.sum())
        self.vo_eps = []
        for v in range(len(_VOS)):
            idx = np.flatnonzero(self.ep_vo == v)
            self.vo_eps.append((idx, self.ep_w[idx] / self.ep_w[idx].sum()))
        self.site_id = np.array([sorted(set(self.site)).index(s) for s in self.site])
        # best common protocol per endpoint pair (fallback when the drawn one is unsupported)
        pref = (_DAVS, _ROOT, _GSIFTP, _SRM)
        self.best = np.full((n, n), _DAVS, np.int64)
        for a in range(n):
            for b in range(n):
                for p in pref:
                    if self.support[a, p] and self.support[b, p]:
                        self.best[a, b] = p
                        break
        self._build_sources(rng)
        self._plan_incidents(rng, days)
        self.tpl_fts_pieces = [_compile(_fts_sanitize(t.text)) for t in _TEMPLATES]
        self.tpl_raw_pieces = [_compile(t.text) for t in _TEMPLATES] + [_compile(r[3]) for r in _RUCIO_ONLY]
        l0 = []
        for t in _TEMPLATES:
            l0.append("" if t.phase == _S else f"{'STAGING' if t.tape else t.scope} [{t.errno}] ")
        self.l0_texts = l0 + [""] * len(_RUCIO_ONLY) + [""]
        # per-template columns, indexed by template (len(_TEMPLATES) = success)
        self.tpl_codes = [str(t.errno) for t in _TEMPLATES] + ["0"]
        self.tpl_categories = [_ERRNO_CATEGORY[t.errno] for t in _TEMPLATES] + [""]
        self.tpl_scopes = [t.scope for t in _TEMPLATES] + [""]
        self.tpl_phases = [t.phase for t in _TEMPLATES] + [""]
        self.tpl_recoverable = [_TF[t.recoverable] for t in _TEMPLATES] + ["false"]
        # activities: one table for all VOs
        self.act_names, offs = [], []
        for v in _VOS:
            offs.append(len(self.act_names))
            self.act_names += [a[0] for a in _ACTIVITIES[v]]
        self.act_offset = np.array(offs)
        self.act_staging, self.act_t0tape = len(self.act_names), len(self.act_names) + 1
        self.act_names += ["Staging", "T0 Tape"]
        self.has_l0 = np.array([bool(x) for x in l0] + [False] * len(_RUCIO_ONLY))

    # error sources: (template, endpoint with the problem, protocol) with a weight
    def _compatible(self, t: _Tpl) -> np.ndarray:
        ok = np.zeros(self.n_ep, bool)
        fam = _FAMILY_PROTOS[t.family]
        for i in range(self.n_ep):
            if not self.support[i, list(fam)].any():
                continue
            if t.impl and self.ep_impl[i] not in t.impl:
                continue
            if t.tape != bool(self.ep_tape[i]):
                continue
            if t.locale and self.ep_locale[i] != t.locale:
                continue
            if t.vo and _VOS[self.ep_vo[i]] not in t.vo:
                continue
            ok[i] = True
        return np.flatnonzero(ok)

    def _sources_for(self, rng, ti: int, t: _Tpl, exclude=()) -> list[tuple[int, int, int, float]]:
        eps = np.array([e for e in self._compatible(t) if self.site[e] not in exclude], dtype=np.int64)
        if len(eps) == 0:
            return []
        k = t.spread or int(min(14, 2 + np.sqrt(t.weight) / 3))
        k = min(k, len(eps))
        p = self.ep_w[eps] / self.ep_w[eps].sum()
        chosen = rng.choice(eps, size=k, replace=False, p=p)
        share = 1.0 / np.arange(1, k + 1) ** 1.1
        if t.spread >= 99:          # generic problem: proportional to traffic
            share = self.ep_w[chosen]
        share = share / share.sum()
        out = []
        fam = _FAMILY_PROTOS[t.family]
        for e, s in zip(chosen, share):
            protos = [q for q in fam if self.support[e, q]]
            pw = _PROTO_W[protos] / _PROTO_W[protos].sum()
            for q, qw in zip(protos, pw):
                out.append((ti, int(e), q, t.weight * s * qw))
        return out

    def _build_sources(self, rng):
        err, abort = [], []
        for ti, t in enumerate(_TEMPLATES):
            if t.special in ("new", "outage"):
                continue
            srcs = self._sources_for(rng, ti, t)
            if t.special == "stable":
                self.stable_src = self._as_arrays(srcs)
            elif t.state == "Abort":
                abort += srcs
            else:
                err += srcs
        self.err_src = self._as_arrays(err)
        self.abort_src = self._as_arrays(abort)
        atlas = self.ep_vo[self.err_src[1]] == 0
        self.err_src_atlas = tuple(a[atlas] for a in self.err_src[:3]) + (
            self.err_src[3][atlas] / self.err_src[3][atlas].sum(),)
        # Rucio deletion failures: each reason at a few ATLAS disk RSEs
        dels = []
        disk = np.flatnonzero((self.ep_vo == 0) & ~self.ep_tape)
        for ri, r in enumerate(_RUCIO_ONLY):
            if r[2] != "deletion":
                continue
            eps = np.array([e for e in disk if self.support[e, list(r[4])].any()])
            k = min(len(eps), 1 if r[0] == "del_421_busy" else 4)
            chosen = rng.choice(eps, size=k, replace=False, p=self.ep_w[eps] / self.ep_w[eps].sum())
            share = 1.0 / np.arange(1, k + 1) ** 1.1
            for e, s in zip(chosen, share / share.sum()):
                q = [p for p in (_DAVS, _ROOT, _GSIFTP, _SRM) if p in r[4] and self.support[e, p]][0]
                dels.append((_NF + ri, int(e), q, r[1] * s))
        self.del_src = self._as_arrays(dels)
        self.stage_rows = [(_R_INDEX[r[0]], r[1]) for r in _RUCIO_ONLY if r[2] == "staging"]
        self.submit_rows = [(_R_INDEX[r[0]], r[1]) for r in _RUCIO_ONLY if r[2] == "submission"]

    @staticmethod
    def _as_arrays(srcs):
        t = np.array([s[0] for s in srcs], np.int64)
        e = np.array([s[1] for s in srcs], np.int64)
        q = np.array([s[2] for s in srcs], np.int64)
        w = np.array([s[3] for s in srcs], float)
        return t, e, q, w / w.sum()

    def _plan_incidents(self, rng, days: list[dt.date]):
        # (a) a dCache ATLAS destination runs out of space for a few hours on one final (non-.tmp) day
        cands = ["TRIUMF-LCG2", "IN2P3-CC", "NDGF-T1", "SARA-MATRIX", "PIC", "MWT2", "AGLT2", "DESY-HH"]
        bg_sites = {self.site[e] for e in self.err_src[1][self.err_src[0] == _OUTAGE_TPL]}
        cands = [c for c in cands if c not in bg_sites] or cands
        site = cands[int(rng.integers(len(cands)))]
        self.outage_ep = self.rse.index(f"{site}_DATADISK")
        pool = days[:-1] or days
        self.outage_day = pool[int(rng.integers(len(pool)))] if len(pool) > 2 else pool[len(pool) // 2]
        h0 = int(rng.integers(6, 13))
        self.outage_hours = (h0, h0 + int(rng.integers(4, 7)))
        # (b) the new error: bearer-token rejection at one davs destination, last day, from a morning hour on
        nc = [i for i in range(self.n_ep) if _VOS[self.ep_vo[i]] == "atlas" and not self.ep_tape[i]
              and self.support[i, _DAVS] and self.site[i] != site and self.ep_impl[i] in ("dcache", "dpm", "storm")]
        self.new_ep = nc[int(rng.integers(len(nc)))]
        self.new_day = days[-1]
        self.new_hours = (int(rng.integers(6, 11)), 24)
        # (c) the stable category: jitter of +-2 % around a fixed count
        self.stable_jitter = {d: float(rng.uniform(-0.02, 0.02)) for d in days}


# --------------------------------------------------------------------------------------------------------------
# Day generation: every random choice as numpy arrays (a "batch": dict of equal-length arrays)
# --------------------------------------------------------------------------------------------------------------
_HOUR_W = np.array([0.45, 0.42, 0.42, 0.45, 0.52, 0.62, 0.8, 0.98, 1.12, 1.22, 1.28, 1.3,
                    1.3, 1.3, 1.3, 1.28, 1.22, 1.12, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
_HOUR_P = _HOUR_W / _HOUR_W.sum()


def _day_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def _times(rng, day: dt.date, n: int, hours: tuple[int, int] | None = None) -> np.ndarray:
    if hours is None:
        h = rng.choice(24, size=n, p=_HOUR_P)
    else:
        lo, hi = hours
        w = _HOUR_W[lo:hi]
        h = lo + rng.choice(hi - lo, size=n, p=w / w.sum())
    return _day_ms(day) + h * 3_600_000 + rng.integers(0, 3_600_000, size=n)


def _day_volume(base: int, scale: float, day: dt.date, seed: int) -> int:
    rng = np.random.default_rng([seed, day.toordinal(), base])
    weekday = (1.0, 1.02, 1.04, 1.01, 0.97, 0.84, 0.8)[day.weekday()]
    return max(1, int(round(base * scale * weekday * (1 + rng.uniform(-0.04, 0.04)))))


def _other_side(w: _World, rng, side_ep: np.ndarray, proto: np.ndarray) -> np.ndarray:
    """Pick the other endpoint of each transfer: same VO, supports the protocol, another site."""
    out = np.empty(len(side_ep), np.int64)
    vo = w.ep_vo[side_ep]
    key = vo * 4 + proto
    for k in np.unique(key):
        rows = np.flatnonzero(key == k)
        idx, p = w.cand[(int(k) // 4, int(k) % 4)]
        pos = rng.choice(len(idx), size=len(rows), p=p)
        other = idx[pos]
        same = w.site_id[other] == w.site_id[side_ep[rows]]
        if same.any() and len(idx) > 1:
            other[same] = idx[(pos[same] + 1) % len(idx)]
        out[rows] = other
    return out


def _transfers(w: _World, rng, n: int, vo: np.ndarray | None = None):
    """Successful-looking traffic: (vo, src, dst, proto)."""
    if vo is None:
        vo = rng.choice(len(_VOS), size=n, p=_VO_W)
    src = np.empty(n, np.int64)
    dst = np.empty(n, np.int64)
    for v in np.unique(vo):
        rows = np.flatnonzero(vo == v)
        idx, p = w.vo_eps[int(v)]
        a = rng.choice(len(idx), size=len(rows), p=p)
        b = rng.choice(len(idx), size=len(rows), p=p)
        same = w.site_id[idx[a]] == w.site_id[idx[b]]
        b[same] = (b[same] + 1 + rng.integers(0, max(1, len(idx) - 1), size=int(same.sum()))) % len(idx)
        src[rows], dst[rows] = idx[a], idx[b]
    proto = rng.choice(4, size=n, p=_PROTO_W)
    bad = ~(w.support[src, proto] & w.support[dst, proto])
    proto[bad] = w.best[src[bad], dst[bad]]
    return vo, src, dst, proto


def _from_sources(w: _World, rng, n: int, sources) -> dict:
    t, e, q, p = sources
    k = rng.choice(len(t), size=n, p=p)
    tpl, side_ep, proto = t[k], e[k], q[k]
    other = _other_side(w, rng, side_ep, proto)
    side_is_src = np.array([_TEMPLATES[x].side == "src" if x < _NF else False for x in range(_NF + len(_RUCIO_ONLY))])
    is_src = side_is_src[tpl]
    src = np.where(is_src, side_ep, other)
    dst = np.where(is_src, other, side_ep)
    return dict(tpl=tpl, side_ep=side_ep, proto=proto, src=src, dst=dst, vo=w.ep_vo[side_ep])


def _seg(n, **kw) -> dict:
    return {k: (np.full(n, v) if np.isscalar(v) else v) for k, v in kw.items()}


def _concat(batches: list[dict]) -> dict:
    batches = [b for b in batches if b and len(next(iter(b.values())))]
    if not batches:
        return {}
    keys = batches[0].keys()
    return {k: np.concatenate([b[k] for b in batches]) for k in keys}


def _take(b: dict, rows) -> dict:
    """The rows of a batch: a copy for an index array, views for a slice."""
    return {k: v[rows] for k, v in b.items()}


def _common(w: _World, rng, b: dict) -> dict:
    """Attributes every transfer needs: DID, sizes, ids, FTS instance, randoms for placeholders."""
    n = len(b["tpl"])
    vo = b["vo"]
    # DID: name kind 0-4 ATLAS (mc, log, raw, data DAOD, user), 5 cms, 6 lhcb, 7 dteam
    kind = np.where(vo == 1, 5, np.where(vo == 2, 6, 7))
    atl = vo == 0
    kind[atl] = rng.choice(5, size=int(atl.sum()), p=[0.5, 0.1, 0.07, 0.15, 0.18])
    b["kind"] = kind
    b["task"] = rng.integers(10_000_000, 42_000_000, size=n)
    b["fno"] = rng.integers(1, 9_999, size=n) ** rng.choice([1, 1, 1, 2], size=n) % 999_999 + 1
    b["sub"] = rng.integers(0, 1 << 16, size=n)          # scope/dtype/user choices and hash dirs
    b["h12"] = rng.integers(0, 1 << 16, size=n)
    b["fid"] = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)   # CMS LFN uuid / request id
    b["jid"] = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)   # FTS job id / Rucio transfer id
    b["mid"] = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)   # MONIT _id
    b["jid"][:, 6] = (b["jid"][:, 6] & 0x0F) | 0x50
    b["jid"][:, 8] = (b["jid"][:, 8] & 0x3F) | 0x80
    b["mid"][:, 6] = (b["mid"][:, 6] & 0x0F) | 0x40
    b["mid"][:, 8] = (b["mid"][:, 8] & 0x3F) | 0x80
    b["r1"] = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
    b["r2"] = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
    b["adler"] = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
    size = np.exp(rng.normal(np.log(1.2e9), 1.6, size=n))
    b["size"] = np.clip(size, 1_000, 2.0e10).astype(np.int64)
    fts = np.empty(n, np.int64)
    for v in np.unique(vo):
        rows = np.flatnonzero(vo == v)
        idx, p = w.fts_by_vo[int(v)]
        fts[rows] = idx[rng.choice(len(idx), size=len(rows), p=p)]
    b["fts"] = fts
    b["node"] = rng.integers(0, 1 << 16, size=n) % w.fts_nodes_n[fts]
    # activity
    act = np.zeros(n, np.int64)          # index into the VO's activity list; -1 Staging, -2 T0 Tape
    for v in np.unique(vo):
        rows = np.flatnonzero(vo == v)
        acts = _ACTIVITIES[_VOS[int(v)]]
        pw = np.array([a[1] for a in acts])
        act[rows] = rng.choice(len(acts), size=len(rows), p=pw / pw.sum())
    act[w.ep_tape[b["src"]]] = -1
    act[w.ep_tape[b["dst"]] & ~w.ep_tape[b["src"]]] = -2
    b["act"] = act
    b["retry"] = rng.choice(4, size=n, p=[0.86, 0.09, 0.035, 0.015])
    return b


def _gen_fts_day(w: _World, day: dt.date, n: int, scale: float, rng) -> dict:
    state = rng.choice(3, size=n, p=[0.64, 0.33, 0.03])        # 0 Ok, 1 Error, 2 Abort
    segs = []
    ok = int((state == 0).sum())
    vo, src, dst, proto = _transfers(w, rng, ok)
    segs.append(_seg(ok, tpl=-1, side_ep=-1, proto=proto, src=src, dst=dst, vo=vo, state=0,
                     C=_times(rng, day, ok), inc=0))
    for st, sources in ((1, w.err_src), (2, w.abort_src)):
        k = int((state == st).sum())
        s = _from_sources(w, rng, k, sources)
        segs.append(_seg(k, **s, state=st, C=_times(rng, day, k), inc=0))
    # (c) stable category: the same count every day
    k = max(0, int(round(240 * scale * (1 + w.stable_jitter[day]))))
    s = _from_sources(w, rng, k, w.stable_src)
    segs.append(_seg(k, **s, state=1, C=_times(rng, day, k), inc=3))
    # (a) the outage
    if day == w.outage_day:
        k = max(1, int(round(0.08 * n)))
        side = np.full(k, w.outage_ep)
        proto = np.full(k, _SRM)
        src = _other_side(w, rng, side, proto)
        segs.append(_seg(k, tpl=_OUTAGE_TPL, side_ep=side, proto=proto, src=src, dst=side, vo=0, state=1,
                         C=_times(rng, day, k, w.outage_hours), inc=1))
    # (b) the new error
    if day == w.new_day:
        k = max(1, int(round(0.03 * n)))
        side = np.full(k, w.new_ep)
        proto = np.full(k, _DAVS)
        src = _other_side(w, rng, side, proto)
        segs.append(_seg(k, tpl=_NEW_TPL, side_ep=side, proto=proto, src=src, dst=side, vo=0, state=1,
                         C=_times(rng, day, k, w.new_hours), inc=2))
    b = _concat(segs)
    b = _common(w, rng, b)
    n = len(b["tpl"])
    # ---- timings (ms): prep (SRM), source checksum, transfer, destination checksum, finalisation (SRM)
    srm = b["proto"] == _SRM
    d_prep = np.where(srm, rng.gamma(1.5, 1500, n), 0).astype(np.int64)
    d_chk = rng.gamma(2.0, 120, n).astype(np.int64) + 5
    thr = np.exp(rng.normal(np.log(60e6), 0.9, n))                  # bytes/s
    d_xfer = (b["size"] / thr * 1000).astype(np.int64) + 200
    d_chkd = rng.gamma(2.0, 150, n).astype(np.int64) + 5
    d_fin = np.where(srm, rng.gamma(1.5, 600, n), 0).astype(np.int64)
    phase = np.array([{_P: 1, _X: 2, _F: 3, _S: 4}[t.phase] for t in _TEMPLATES] + [0])[b["tpl"]]
    ph = np.where(b["tpl"] < 0, 0, phase)
    frac = rng.uniform(0, 1, n)
    bytes_done = b["size"].copy()
    prep_fail = ph == 1
    xfer_fail = ph == 2
    svc_fail = ph == 4
    perf = b["tpl"] == _TPL_INDEX["gftp_perf_marker"]
    secs = np.array([360, 360, 360, 360, 180, 600, 360, 900])[b["r2"] % 8]
    d_xfer = np.where(perf, secs * 1000 + (b["r1"] % 3000), d_xfer)
    d_xfer = np.where(xfer_fail & ~perf, (d_xfer * frac).astype(np.int64) + 50, d_xfer)
    bytes_done = np.where(xfer_fail, (b["size"] * frac * np.where(perf, 0.0, 1.0)).astype(np.int64), bytes_done)
    bytes_done = np.where(prep_fail | svc_fail, 0, bytes_done)
    for arr in (d_xfer, d_chkd, d_fin):
        arr[prep_fail | svc_fail] = 0
    d_chkd[xfer_fail] = 0
    d_fin[xfer_fail] = 0
    d_chk[svc_fail] = 0
    d_prep[svc_fail] = 0
    C = b["C"]
    total = d_prep + d_chk + d_xfer + d_chkd + d_fin + 30
    S = C - total - np.where(svc_fail, rng.integers(1, 50, n), 0)
    t1 = S + d_prep
    t2 = t1 + d_chk
    t3 = t2 + d_xfer
    t4 = t3 + d_chkd
    t5 = t4 + d_fin
    z = np.zeros(n, np.int64)
    b.update(
        S=S, prep_st=np.where(srm & ~svc_fail, S, z), prep_end=np.where(srm & ~svc_fail, t1, z),
        chk_st=np.where(svc_fail, z, t1), chk_end=np.where(svc_fail, z, t2),
        tr_st=np.where(prep_fail | svc_fail, z, t2), tr_comp=np.where(prep_fail | svc_fail, z, t3),
        chkd_st=np.where(d_chkd > 0, t3, z), chkd_end=np.where(d_chkd > 0, t4, z),
        fin_st=np.where(d_fin > 0, t4, z), fin_end=np.where(d_fin > 0, t5, z),
        d_prep=d_prep, d_fin=d_fin, d_chk=d_chk, d_chkd=d_chkd, d_xfer=d_xfer, bytes=bytes_done,
        ttimeout=np.minimum(3600, 600 + b["size"] // 2_000_000),
    )
    b["ipv6"] = rng.uniform(0, 1, n) < 0.55
    b["jstate"] = np.where(b["state"] == 0, rng.choice([0, 3], size=n, p=[0.85, 0.15]),
                           np.where(b["state"] == 1, rng.choice([1, 2, 3], size=n, p=[0.7, 0.15, 0.15]), 4))
    b["multi"] = rng.uniform(0, 1, n) < 0.3
    b["oauth"] = (b["proto"] == _DAVS) & (rng.uniform(0, 1, n) < 0.12)
    b["ttype"] = rng.choice(3, size=n, p=[0.8, 0.15, 0.05])
    # MONIT: metadata.timestamp a little after completion; this decides the day directory
    delay = np.where(rng.uniform(0, 1, n) < 0.005, rng.integers(60_000, 900_000, n),
                     rng.integers(150, 6_000, n))
    b["meta_ts"] = C + delay
    b["kafka_ts"] = b["meta_ts"] + rng.integers(200, 3_000, n)
    b["part_key"] = rng.integers(0, 1 << 30, size=n)
    b["kpart"] = rng.integers(0, 20, size=n)
    return b


def _gen_rucio_day(w: _World, day: dt.date, n: int, rng) -> dict:
    p = np.array([e[1] for e in _RUCIO_EVENTS])
    ev = rng.choice(len(_RUCIO_EVENTS), size=n, p=p / p.sum())
    segs = []
    # ordinary transfer lifecycle events
    tr = np.isin(ev, [_EV[x] for x in ("transfer-queued", "transfer-submitted", "transfer-done",
                                        "transfer-submission_failed")])
    k = int(tr.sum())
    vo, src, dst, proto = _transfers(w, rng, k, vo=np.zeros(k, np.int64))
    tpl = np.full(k, -1)
    sub = ev[tr] == _EV["transfer-submission_failed"]
    rows = np.array(w.submit_rows)
    tpl[sub] = rows[rng.choice(len(rows), size=int(sub.sum()), p=rows[:, 1] / rows[:, 1].sum()), 0]
    segs.append(_seg(k, ev=ev[tr], tpl=tpl, side_ep=src, proto=proto, src=src, dst=dst, vo=vo, C=_times(rng, day, k)))
    # transfer-failed: the FTS error model restricted to ATLAS
    k = int((ev == _EV["transfer-failed"]).sum())
    s = _from_sources(w, rng, k, w.err_src_atlas)
    segs.append(_seg(k, ev=_EV["transfer-failed"], **s, C=_times(rng, day, k)))
    # staging: tape sources
    tapes = np.flatnonzero((w.ep_vo == 0) & w.ep_tape)
    for name in ("stagein-done", "stagein-failed"):
        k = int((ev == _EV[name]).sum())
        src = tapes[rng.choice(len(tapes), size=k, p=w.ep_w[tapes] / w.ep_w[tapes].sum())]
        proto = np.where(w.support[src, _SRM], _SRM, _ROOT)
        dst = _other_side(w, rng, src, proto)
        tpl = np.full(k, -1)
        if name == "stagein-failed":
            rows = np.array(w.stage_rows)
            tpl = rows[rng.choice(len(rows), size=k, p=rows[:, 1] / rows[:, 1].sum()), 0]
        segs.append(_seg(k, ev=_EV[name], tpl=tpl, side_ep=src, proto=proto, src=src, dst=dst, vo=0,
                         C=_times(rng, day, k)))
    # deletions
    disk = np.flatnonzero((w.ep_vo == 0) & ~w.ep_tape)
    for name in ("deletion-done", "deletion-not-found"):
        k = int((ev == _EV[name]).sum())
        rse = disk[rng.choice(len(disk), size=k, p=w.ep_w[disk] / w.ep_w[disk].sum())]
        proto = np.where(w.support[rse, _DAVS], _DAVS, _ROOT)
        tpl = np.full(k, -1 if name == "deletion-done" else _R_INDEX["not_found"])
        segs.append(_seg(k, ev=_EV[name], tpl=tpl, side_ep=rse, proto=proto, src=rse, dst=rse, vo=0,
                         C=_times(rng, day, k)))
    k = int((ev == _EV["deletion-failed"]).sum())
    t, e, q, pp = w.del_src
    sel = rng.choice(len(t), size=k, p=pp)
    segs.append(_seg(k, ev=_EV["deletion-failed"], tpl=t[sel], side_ep=e[sel], proto=q[sel], src=e[sel], dst=e[sel],
                     vo=0, C=_times(rng, day, k)))
    # incidents
    if day == w.outage_day:
        k = max(1, int(round(0.05 * n)))
        side = np.full(k, w.outage_ep)
        proto = np.full(k, _SRM)
        segs.append(_seg(k, ev=_EV["transfer-failed"], tpl=_OUTAGE_TPL, side_ep=side, proto=proto,
                         src=_other_side(w, rng, side, proto), dst=side, vo=0, C=_times(rng, day, k, w.outage_hours)))
    if day == w.new_day:
        k = max(1, int(round(0.02 * n)))
        side = np.full(k, w.new_ep)
        proto = np.full(k, _DAVS)
        segs.append(_seg(k, ev=_EV["transfer-failed"], tpl=_NEW_TPL, side_ep=side, proto=proto,
                         src=_other_side(w, rng, side, proto), dst=side, vo=0, C=_times(rng, day, k, w.new_hours)))
    b = _concat(segs)
    b = _common(w, rng, b)
    n = len(b["tpl"])
    b["l0"] = (rng.uniform(0, 1, n) < 0.6) & w.has_l0[np.maximum(b["tpl"], 0)] & (b["tpl"] >= 0)
    C = b["C"]
    b["q_at"] = C - rng.integers(60_000, 40 * 3_600_000, n)
    b["sub_at"] = C - rng.integers(5_000, 3 * 3_600_000, n)
    dur = rng.gamma(1.6, 20_000, n).astype(np.int64) + 500
    b["start_at"] = C - dur - rng.integers(100, 5_000, n)
    b["xfer_at"] = b["start_at"] + dur
    b["dur"] = dur
    b["reaper"] = rng.integers(1, 10, n)
    delay = np.where(rng.uniform(0, 1, n) < 0.02, rng.integers(60_000, 600_000, n), rng.integers(500, 30_000, n))
    b["meta_ts"] = C + delay
    b["kafka_ts"] = b["meta_ts"] + rng.integers(100, 2_000, n)
    b["part_key"] = rng.integers(0, 1 << 30, size=n)
    b["kpart"] = rng.integers(0, 12, size=n)
    b["C_us"] = C * 1000 + rng.integers(0, 1000, n)
    return b


# --------------------------------------------------------------------------------------------------------------
# Rendering: one part file's rows -> JSON lines (column-wise)
# --------------------------------------------------------------------------------------------------------------
_ATLAS_MC_SCOPES = ("mc16_13TeV", "mc20_13TeV", "mc21_13p6TeV", "mc23_13p6TeV")
_ATLAS_DATA_SCOPES = ("data18_13TeV", "data22_13p6TeV", "data23_13p6TeV", "data24_13p6TeV")
_ATLAS_DTYPES = ("EVNT", "HITS", "RDO", "AOD", "DAOD_PHYS", "DAOD_PHYSLITE", "DAOD_TOPQ1", "NTUP_PILEUP")
_ATLAS_USERS = ("jdoe", "cohm", "mlassnig", "lclissa", "agrigorieva", "tbeermann", "mbarisit", "dchristidis",
                "ftorres", "kwozniak", "pvokac", "rwalker")
_CMS_ERAS = ("RunIISummer20UL18MiniAODv2", "Run3Summer22EEMiniAODv4", "Run2023D", "Run2024F",
             "RunIISummer20UL17NanoAODv9")
_CMS_PRIMARY = ("TTToSemiLeptonic_TuneCP5_13TeV-powheg-pythia8", "DYJetsToLL_M-50_TuneCP5_13TeV-amcatnloFXFX-pythia8",
                "Muon0", "JetMET1", "EGamma1", "WJetsToLNu_TuneCP5_13TeV-madgraphMLM-pythia8")
_CMS_TIERS = ("MINIAODSIM", "NANOAODSIM", "AOD", "MINIAOD", "RAW")
_LHCB_STREAMS = ("BHADRON", "CHARM", "LEPTONIC", "TURBO", "FULL")


class _Ctx:
    """The string columns of one part's rows, built lazily: arrays, _Cat columns or lists of pieces."""

    def __init__(self, w: _World, b: dict):
        self.w, self.b = w, b
        self.n = len(b["tpl"])
        self._c: dict[str, object] = {}

    def __getitem__(self, name: str):
        if name not in self._c:
            self._c[name] = getattr(self, "_" + name)()
        return self._c[name]

    def _ep(self, col: str, table: list, proto: bool = False) -> _Cat:
        codes = self.b[col] * 4 + self.b["proto"] if proto else self.b[col]
        return _Cat(codes, table)

    # ---- DID and paths
    def _names(self):
        b = self.b
        sub, task, fno = b["sub"], b["task"], b["fno"]
        out: dict[int, tuple] = {}

        def build(kind, rows):
            m = len(rows)
            t8, f6 = _pad(task[rows], 8), _pad(fno[rows], 6)
            s = sub[rows]
            spath = None
            if kind in (0, 1):
                scope = _Cat(s % len(_ATLAS_MC_SCOPES), _ATLAS_MC_SCOPES)
                if kind == 0:
                    name = [_Cat((s >> 3) % len(_ATLAS_DTYPES), _ATLAS_DTYPES), ".", t8, "._", f6, ".pool.root.1"]
                else:
                    name = ["log.", t8, "._", f6, ".job.log.tgz.1"]
                spath = scope
            elif kind == 2:
                scope = _Cat(s % len(_ATLAS_DATA_SCOPES), _ATLAS_DATA_SCOPES)
                name = [scope, ".", t8, ".physics_Main.daq.RAW._lb", _pad(fno[rows] % 3000, 4), "._SFO-",
                        _Cat((s >> 4) % 8, [str(k) for k in range(1, 9)]), "._0001.data"]
                spath = scope
            elif kind == 3:
                scope = _Cat(s % len(_ATLAS_DATA_SCOPES), _ATLAS_DATA_SCOPES)
                name = ["DAOD_PHYS.", t8, "._", f6, ".pool.root.1"]
                spath = scope
            elif kind == 4:
                user = _Cat(s % len(_ATLAS_USERS), _ATLAS_USERS)
                scope = ["user.", user]
                name = ["user.", user, ".", t8, "._", f6, ".output.root"]
                spath = ["user/", user]
            elif kind == 5:
                scope = "cms"
                name = ["/store/", _Cat(s % 2, ("mc", "data")), "/", _Cat((s >> 1) % len(_CMS_ERAS), _CMS_ERAS), "/",
                        _Cat((s >> 4) % len(_CMS_PRIMARY), _CMS_PRIMARY), "/",
                        _Cat((s >> 7) % len(_CMS_TIERS), _CMS_TIERS), "/106X_v",
                        _Cat((s >> 10) % 3, ("1", "2", "3")), "/", _pad(fno[rows] % 100_000, 5), "/",
                        _uuid(b["fid"][rows], upper=True), ".root"]
            elif kind == 6:
                scope = "lhcb"
                st = (s >> 2) % len(_LHCB_STREAMS)
                name = ["/lhcb/LHCb/Collision24/", _Cat(st, _LHCB_STREAMS), ".DST/", t8, "/",
                        _pad(fno[rows] // 10_000, 4), "/", t8, "_", _pad(fno[rows], 8), "_1.",
                        _Cat(st, [x.lower() for x in _LHCB_STREAMS]), ".dst"]
            else:
                scope = "dteam"
                name = ["/dteam/fts-functional/", t8, "/testfile_", f6, ".dat"]
            name_a = _render(name, m)
            if spath is not None:
                hb = np.ascontiguousarray(b["h12"][rows].astype(">u2")).view(np.uint8).reshape(-1, 2)
                hx = _hex(hb)
                dirs = np.empty((m, 5), np.uint8)
                dirs[:, 0:2], dirs[:, 2], dirs[:, 3:5] = hx[:, 0:2], ord("/"), hx[:, 2:4]
                reldir = _render(["/", spath, "/", _fixed(dirs)], m)
                relpath = _render([reldir, "/", name_a], m)
            else:
                relpath = name_a
                reldir = pc.replace_substring_regex(name_a, pattern="/[^/]*$", replacement="")
            out[kind] = (_render([scope], m), name_a, relpath, reldir)
            return name_a

        kinds = b["kind"]
        self._c["name"] = _scatter(kinds, build)
        for j, col in ((0, "scope"), (2, "relpath"), (3, "reldir")):
            self._c[col] = _scatter(kinds, lambda k, rows, j=j: out[k][j])
        return self._c["name"]

    def _name(self):
        return self._names()

    def _scope(self):
        self._names()
        return self._c["scope"]

    def _relpath(self):
        self._names()
        return self._c["relpath"]

    def _reldir(self):
        self._names()
        return self._c["reldir"]

    # ---- endpoints
    def _src_url(self):
        return [self._ep("src", self.w.prefixes, True), self["relpath"]]

    def _dst_url(self):
        return [self._ep("dst", self.w.prefixes, True), self["relpath"]]

    def _src_host(self):
        return self._ep("src", self.w.hosts, True)

    def _dst_host(self):
        return self._ep("dst", self.w.hosts, True)

    def _src_se(self):
        return self._ep("src", self.w.ses, True)

    def _dst_se(self):
        return self._ep("dst", self.w.ses, True)

    def _src_surl(self):
        return [self._ep("src", self.w.srm_prefixes), self["relpath"]]

    def _dst_surl(self):
        return [self._ep("dst", self.w.srm_prefixes), self["relpath"]]

    def _dst_sdir(self):
        return [self._ep("dst", self.w.srm_prefixes), self["reldir"]]

    def _src_path(self):
        return [self._ep("src", self.w.paths), self["relpath"]]

    def _dst_path(self):
        return [self._ep("dst", self.w.paths), self["relpath"]]

    def _src_srm(self):
        return self._ep("src", self.w.srms)

    def _dst_srm(self):
        return self._ep("dst", self.w.srms)

    def _dst_davs_port(self):
        return self._ep("dst", self.w.davs_ports)

    def _src_dn(self):
        return self._ep("src", self.w.dns)

    def _dst_dn(self):
        return self._ep("dst", self.w.dns)

    def _side(self):
        return np.maximum(self.b["side_ep"], 0)

    def _token(self):
        return _Cat(self._side(), self.w.tokens)

    def _ipv6(self):
        return _Cat(self._side() * 12 + self.b["r1"] % 12, self.w.ipv6s)

    def _dn_alias(self):
        return _Cat(self._side() * 12 + self.b["r2"] % 12, self.w.dn_aliases)

    def _fts_endpnt(self):
        return _Cat(self.b["fts"], self.w.fts_endpnts)

    def _fts(self):
        return _Cat(self.b["fts"] * self.w.fts_node_width + self.b["node"], self.w.fts_nodes)

    def _reaper(self):
        return _Cat(self.b["reaper"], [f"rucio-daemon-prod-{k:02d}.cern.ch" for k in range(10)])

    # ---- small random variable parts
    def _dport(self):
        return _num(20000 + self.b["r1"] % 5000)

    def _secs(self):
        return _Cat(self.b["r2"] % 8, ("360", "360", "360", "360", "180", "600", "360", "900"))

    def _ck1(self):
        return _hex8(self.b["adler"])

    def _ck2(self):
        return _hex8(self.b["r1"] ^ self.b["r2"])

    def _minutes(self):
        return _num(1 + self.b["r2"] % 5000)

    def _n(self):
        return _Cat(self.b["r1"] % 6, ("1", "1", "1", "1", "2", "3"))

    def _size(self):
        return _num(self.b["size"])

    def _size2(self):
        return _num(self.b["size"] - 1 - self.b["r1"] % 65536)

    def _adler(self):
        return _hex8(self.b["adler"])

    def _job_id(self):
        return _uuid(self.b["jid"])

    def _mid(self):
        return _uuid(self.b["mid"])

    def _request_id(self):
        return _hex32(self.b["fid"])

    def _activity(self):
        b, w = self.b, self.w
        idx = np.where(b["act"] == -1, w.act_staging,
                       np.where(b["act"] == -2, w.act_t0tape, w.act_offset[b["vo"]] + b["act"]))
        return _Cat(idx, w.act_names)

    # ---- messages
    def messages(self, raw: bool) -> pa.Array:
        """Error text per row ("" where tpl < 0): FTS-sanitised, or raw (Rucio)."""
        tpl = self.b["tpl"]
        pieces_by_tpl = self.w.tpl_raw_pieces if raw else self.w.tpl_fts_pieces

        def build(t, rows):
            if t < 0:
                return pa.repeat(pa.scalar("", pa.string()), len(rows))
            return _render([p if isinstance(p, str) else _sub(self[p[0]], rows) for p in pieces_by_tpl[t]], len(rows))

        return _scatter(tpl, build)


def _ms(a) -> pa.Array:
    return _num(np.asarray(a, np.int64))


def _groups(groups: np.ndarray):
    """(group, slice) of runs of equal values: the rows of a part are sorted by group."""
    if len(groups) == 0:
        return
    starts = np.flatnonzero(np.diff(groups)) + 1
    bounds = [0, *starts.tolist(), len(groups)]
    for a, z in zip(bounds[:-1], bounds[1:]):
        yield int(groups[a]), slice(a, z)


def _fts_chunks(w: _World, b: dict):
    """The part's JSON lines, one array per group of rows sharing a record shape (rows keep their order).

    Rucio-submitted transfers (atlas, cms) carry file/job metadata objects, the others null.
    """
    for g, rows in _groups((b["vo"] <= 1).astype(np.int64)):
        yield _fts_group(w, _take(b, rows), bool(g))


def _fts_group(w: _World, b: dict, rucio: bool) -> pa.Array:
    ctx = _Ctx(w, b)
    n = ctx.n
    tpl = b["tpl"]
    failed = tpl >= 0
    NT = len(_TEMPLATES)
    tcode = np.where(failed, tpl, NT)          # per-template columns; NT = success
    S, C = b["S"], b["C"]
    srm = (b["proto"] == _SRM).astype(np.int64)
    src_host, dst_host = ctx["src_host"], ctx["dst_host"]
    job_id = ctx["job_id"]
    file_id = _num(3_000_000_000 + (b["task"] % 1000) * 1_000_000 + b["fno"] * 7 % 1_000_000)
    endpnt = ctx["fts_endpnt"]
    activity = ctx["activity"]
    size = ctx["size"]
    if rucio:
        fm = _obj([
            ("activity", "s", activity), ("adler32", "s", ctx["adler"]),
            ("dest_rse_id", "s", _Cat(b["dst"], w.rse_ids)), ("dst_rse", "s", _Cat(b["dst"], w.rses)),
            ("dst_type", "s", _Cat(b["dst"], w.types)), ("filesize", "r", size), ("name", "s", ctx["name"]),
            ("request_id", "s", ctx["request_id"]),
            ("request_type", "s", _Cat(w.ep_tape[b["src"]], ("transfer", "stagein"))),
            ("scope", "s", ctx["scope"]), ("src_rse", "s", _Cat(b["src"], w.rses)),
            ("src_rse_id", "s", _Cat(b["src"], w.rse_ids)), ("src_type", "s", _Cat(b["src"], w.types)),
            ("verify_checksum", "c", True),
        ])
        jm = _Cat(b["multi"], ('{"issuer":"rucio","multi_sources":false}', '{"issuer":"rucio","multi_sources":true}'))
        src_site = dst_site = ""
    else:
        fm = jm = "null"
        src_site, dst_site = _Cat(b["src"], w.sites), _Cat(b["dst"], w.sites)
    tr_time = np.where(b["tr_comp"] > 0, b["tr_comp"] - b["tr_st"], 0)
    op_time = C - S
    throughput = np.where(tr_time > 0, np.round(b["bytes"] / np.maximum(tr_time, 1) * 1000 / 1048576, 3), 0.0)
    overhead = b["d_prep"] + b["d_fin"]
    overhead_pct = np.round(overhead / np.maximum(op_time, 1) * 100, 4)
    start_str = pc.strftime(pa.array(S.astype("datetime64[ms]")), format="%Y-%m-%d-%H%M")
    data = _obj([
        ("activity", "s", activity),
        ("block_size", "c", 0), ("buf_size", "c", 0), ("channel_type", "c", "urlcopy"), ("chk_timeout", "c", 0),
        ("dest_srm_v", "s", _Cat(srm, ("", "2.2.0"))),
        ("dst_hostname", "s", dst_host), ("dst_se", "s", ctx["dst_se"]), ("dst_site_name", "s", dst_site),
        ("dst_url", "s", ctx["dst_url"]), ("endpnt", "s", endpnt), ("f_size", "r", size),
        ("file_id", "s", file_id), ("file_metadata", "r", fm), ("file_size", "r", size),
        ("ipver", "s", _Cat(b["ipv6"], ("ipv4", "ipv6"))),
        ("is_recoverable", "r", _Cat(tcode, w.tpl_recoverable)),
        ("job_id", "s", job_id), ("job_metadata", "r", jm),
        ("job_state", "s", _Cat(b["jstate"], ("FINISHED", "FAILED", "FINISHEDDIRTY", "ACTIVE", "CANCELED"))),
        ("log_link", "s", ["https://", endpnt, ":8449/fts3/ftsmon/#/job/", job_id]),
        ("nstreams", "c", 1), ("operation_time", "r", _ms(op_time)),
        ("protocol", "s", _Cat(b["proto"], _PROTOS)), ("remote_access", "c", True),
        ("retry", "r", _Cat(b["retry"], ("0", "1", "2", "3"))), ("retry_max", "c", 0 if rucio else 3),
        ("src_hostname", "s", src_host), ("src_se", "s", ctx["src_se"]), ("src_site_name", "s", src_site),
        ("src_srm_v", "s", _Cat(srm, ("", "2.2.0"))), ("src_url", "s", ctx["src_url"]),
        ("srm_finalization_time", "r", _ms(b["d_fin"])), ("srm_overhead_percentage", "r", _num(overhead_pct)),
        ("srm_overhead_time", "r", _ms(overhead)), ("srm_preparation_time", "r", _ms(b["d_prep"])),
        ("srm_space_token_dst", "s", _Cat(b["dst"] * 2 + srm, w.space_tokens)), ("srm_space_token_src", "c", ""),
        ("t__error_message", "s", ctx.messages(raw=False)),
        ("t_channel", "s", [src_host, "__", dst_host]),
        ("t_error_code", "s", _Cat(tcode, w.tpl_codes)),
        ("t_failure_phase", "s", _Cat(tcode, w.tpl_phases)),
        ("t_final_transfer_state", "s", _Cat(b["state"], ("Ok", "Error", "Abort"))),
        ("t_final_transfer_state_flag", "r", _Cat(b["state"], ("1", "0", "-1"))),
        ("t_timeout", "r", _num(b["ttimeout"])), ("tcp_buf_size", "c", 0), ("throughput", "r", _num(throughput)),
        ("time_srm_fin_end", "r", _ms(b["fin_end"])), ("time_srm_fin_st", "r", _ms(b["fin_st"])),
        ("time_srm_prep_end", "r", _ms(b["prep_end"])), ("time_srm_prep_st", "r", _ms(b["prep_st"])),
        ("timestamp_checksum_dest_ended", "r", _ms(b["chkd_end"])),
        ("timestamp_checksum_dest_st", "r", _ms(b["chkd_st"])),
        ("timestamp_checksum_dst_diff", "r", _ms(b["chkd_end"] - b["chkd_st"])),
        ("timestamp_checksum_src_diff", "r", _ms(b["chk_end"] - b["chk_st"])),
        ("timestamp_chk_src_ended", "r", _ms(b["chk_end"])), ("timestamp_chk_src_st", "r", _ms(b["chk_st"])),
        ("timestamp_tr_comp", "r", _ms(b["tr_comp"])), ("timestamp_tr_st", "r", _ms(b["tr_st"])),
        ("tr_bt_transfered", "r", _num(b["bytes"])),
        ("tr_error_category", "s", _Cat(tcode, w.tpl_categories)),
        ("tr_error_scope", "s", _Cat(tcode, w.tpl_scopes)),
        ("tr_id", "s", [start_str, "__", src_host, "__", dst_host, "__", file_id, "__", job_id]),
        ("tr_timestamp_complete", "r", _ms(C)), ("tr_timestamp_start", "r", _ms(S)),
        ("transfer_time", "r", _ms(tr_time)),
        ("transfer_type", "s", _Cat(b["ttype"], ("3rd pull", "3rd push", "streamed"))),
        ("user", "c", ""), ("user_dn", "c", ""), ("vo", "s", _Cat(b["vo"], _VOS)),
    ])
    meta = _obj([
        ("_id", "s", ctx["mid"]), ("event_timestamp", "r", _ms(np.where(b["tr_comp"] > 0, b["tr_comp"], C))),
        ("hostname", "s", _Cat(b["kpart"] % 3, _FTS_MONIT_HOSTS)), ("kafka_timestamp", "r", _ms(b["kafka_ts"])),
        ("partition", "s", _Cat(b["kpart"], _PARTITIONS)), ("producer", "c", "fts"),
        ("timestamp", "r", _ms(b["meta_ts"])), ("topic", "c", "fts_raw_complete"), ("type", "c", "complete"),
        ("type_prefix", "c", "raw"), ("version", "c", "006"),
    ])
    return _render(['{"data":', data, ',"metadata":', meta, "}\n"], n)


_FTS_MONIT_HOSTS = tuple(f"monit-amqsource-{h}.cern.ch" for h in ("9b83c9b3a5", "1f2e7d8c41", "c07a55e912"))
_RUCIO_MONIT_HOSTS = tuple(f"monit-kafkax-{h}.cern.ch" for h in ("0a1b2c3d4e", "5f6e7d8c9b"))
_PARTITIONS = tuple(str(k) for k in range(32))
_GROUP_OF_EVENT = np.array([{"queued": 0, "submitted": 1, "done": 2, "failed": 3, "subfail": 4, "deldone": 5,
                             "delfail": 6}[e[2]] for e in _RUCIO_EVENTS])


def _rucio_chunks(w: _World, b: dict):
    """The part's JSON lines, one array per event-type group (a group shares the sparse column set)."""
    for g, rows in _groups(_GROUP_OF_EVENT[b["ev"]]):
        yield _rucio_group(w, _take(b, rows), g)


def _rucio_group(w: _World, b: dict, g: int) -> pa.Array:
    ctx = _Ctx(w, b)
    n = ctx.n

    def sec(values):
        return pc.strftime(pa.array(values.astype("datetime64[ms]").astype("datetime64[s]")),
                           format="%Y-%m-%d %H:%M:%S")

    size = ctx["size"]
    f = [("created_at", "s", pc.strftime(pa.array(b["C_us"].astype("datetime64[us]")), format="%Y-%m-%d %H:%M:%S")),
         ("event_type", "s", _Cat(b["ev"], _EV_NAMES)), ("name", "s", ctx["name"]), ("scope", "s", ctx["scope"]),
         ("vo", "c", "atlas"), ("bytes", "r", size), ("file_size", "r", size)]
    proto = _Cat(b["proto"], _PROTOS)
    if g in (3, 4, 6):
        msg = ctx.messages(raw=True)
        if g == 3:
            msg = _render([_Cat(np.where(b["l0"], b["tpl"], len(w.l0_texts) - 1), w.l0_texts), msg], n)
        reason = pc.replace_substring(msg, "\n", "\\n")
    if g >= 5:       # deletions
        f += [("rse", "s", _Cat(b["dst"], w.rses)), ("rse_id", "s", _Cat(b["dst"], w.rse_ids)),
              ("url", "s", ctx["dst_url"]), ("protocol", "s", proto), ("duration", "r", _num(np.round(b["dur"] / 1e4, 3)))]
        if g == 6:
            f += [("reason", "s", reason)]
    else:
        f += [
            ("activity", "s", ctx["activity"]), ("checksum_adler", "s", ctx["adler"]),
            ("dst_rse", "s", _Cat(b["dst"], w.rses)), ("dst_rse_id", "s", _Cat(b["dst"], w.rse_ids)),
            ("dst_type", "s", _Cat(b["dst"], w.types)), ("src_rse", "s", _Cat(b["src"], w.rses)),
            ("src_rse_id", "s", _Cat(b["src"], w.rse_ids)), ("src_type", "s", _Cat(b["src"], w.types)),
            ("request_id", "s", ctx["request_id"]), ("retry_count", "r", _Cat(b["retry"], ("0", "1", "2", "3"))),
            ("request_type", "s", _Cat(w.ep_tape[b["src"]], ("transfer", "stagein"))),
            ("tool_id", "c", "rucio-conveyor"),
        ]
        if g == 0:
            f += [("queued_at", "s", sec(b["q_at"])), ("state", "c", "QUEUED")]
        if g in (1, 2, 3, 4):
            host = ["https://", ctx["fts_endpnt"], ":8446"]
            f += [("external_host", "s", host), ("transfer_endpoint", "s", host),
                  ("protocol", "s", proto), ("src_url", "s", ctx["src_url"]), ("dst_url", "s", ctx["dst_url"]),
                  ("submitted_at", "s", sec(b["sub_at"]))]
        if g in (1, 2, 3):
            tid = ctx["job_id"]
            f += [("transfer_id", "s", tid), ("external_id", "s", tid),
                  ("transfer_link", "s", ["https://", ctx["fts_endpnt"], ":8449/fts3/ftsmon/#/job/", tid])]
        if g in (2, 3):
            f += [("started_at", "s", sec(b["start_at"])), ("transferred_at", "s", sec(b["xfer_at"])),
                  ("duration", "r", _num(np.round(b["dur"] / 1000, 3)))]
        if g == 2:
            f += [("reason", "c", ""), ("purged_reason", "c", "")]
        if g in (3, 4):
            f += [("reason", "s", reason), ("purged_reason", "s", reason)]
    meta = _obj([
        ("_id", "s", ctx["mid"]), ("event_timestamp", "r", _ms(b["C"])),
        ("hostname", "s", _Cat(b["kpart"] % 2, _RUCIO_MONIT_HOSTS)), ("kafka_timestamp", "r", _ms(b["kafka_ts"])),
        ("partition", "s", _Cat(b["kpart"], _PARTITIONS)), ("producer", "c", "rucio"),
        ("timestamp", "r", _ms(b["meta_ts"])), ("topic", "c", "rucio_raw_events"), ("type", "c", "events"),
        ("type_prefix", "c", "raw"), ("version", "c", "001"),
    ])
    return _render(['{"data":', _obj(f), ',"metadata":', meta, "}\n"], n)


def _lines_bytes(lines: pa.Array) -> memoryview:
    off = np.frombuffer(lines.buffers()[1], np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    data = lines.buffers()[2]
    return memoryview(data)[int(off[0]):int(off[-1])]


# --------------------------------------------------------------------------------------------------------------
# The writer
# --------------------------------------------------------------------------------------------------------------
def _n_parts(n: int, base: int, rng) -> int:
    return max(4, int(round(5 * np.sqrt(n / base * 1.4)))) + int(rng.integers(0, 3))


def write_sample_archive(root: str | os.PathLike, *, days: int = 7, seed: int = 0, scale: float = 1.0,
                         end: dt.date | None = None, streams: Iterable[str] = ("fts", "rucio"),
                         progress: Callable[[str, int, int], None] | None = None) -> SampleSummary:
    """Write a sample MONIT archive under ``root`` and describe it.

    ``days`` days ending on ``end`` (default: today, UTC); the last one is the ``DD.tmp`` directory.
    ``scale`` multiplies the volume (1.0 ≈ 30 000 FTS records and 20 000 Rucio events per day).
    ``progress(stage, done, total)`` is called after each file is written.
    """
    t_start = time.perf_counter()
    if int(days) < 1:
        raise ValueError(f"days must be >= 1, got {days!r}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    streams = tuple(dict.fromkeys(streams))
    bad = [s for s in streams if s not in ARCHIVE_DIRS]
    if bad or not streams:
        raise ValueError(f"streams must be a non-empty subset of {tuple(ARCHIVE_DIRS)}, got {streams!r}")
    if end is None:
        end = dt.datetime.now(dt.timezone.utc).date()
    seed = int(seed) % (1 << 63)         # numpy seeds must be non-negative
    root = Path(root)
    day_list = [end - dt.timedelta(days=k) for k in range(int(days) - 1, -1, -1)]
    w = _World(seed, day_list)
    # rewriting a day replaces it: drop the part files of earlier runs (final and .tmp) in the days we write
    for s in streams:
        for d in day_list:
            month = root / ARCHIVE_DIRS[s] / f"{d:%Y}" / f"{d:%m}"
            for ddir in (month / f"{d:%d}", month / f"{d:%d}.tmp"):
                if ddir.is_dir():
                    for old in ddir.glob("part-*"):
                        old.unlink()
                    if not any(ddir.iterdir()):
                        ddir.rmdir()

    # plan: volumes and file counts per (stream, day), so progress can report a total
    plan = {}
    for s in streams:
        base = FTS_PER_DAY if s == "fts" else RUCIO_PER_DAY
        for d in day_list:
            n = _day_volume(base, scale, d, seed)
            prng = np.random.default_rng([seed, d.toordinal(), 7, len(s)])
            plan[(s, d)] = (n, _n_parts(n, base, prng))
    total_files = sum(p[1] + 1 + (1 if d == day_list[-1] else 0) for (s, d), p in plan.items())

    files: list[Path] = []
    records = {s: 0 for s in streams}
    failures = {s: 0 for s in streams}
    aborts = {s: 0 for s in streams}
    rpd = {s: {} for s in streams}
    fpd = {s: {} for s in streams}
    tpl_counts: dict[str, dict[str, int]] = {s: {} for s in streams}
    inc_counts = {k: {s: 0 for s in streams} for k in ("site_outage", "new_error")}
    stable_daily: dict[dt.date, int] = {}
    examples: dict[str, str] = {}
    nbytes = 0
    done = 0
    # threads pay off only for big parts (arrow kernels and zlib release the GIL; the glue between them doesn't)
    rows_per_part = max(n / k for n, k in plan.values())
    workers = max(1, min(_MAX_WORKERS, os.cpu_count() or 1)) if rows_per_part >= 10_000 else 1

    pending: deque = deque()

    def finish_one():
        nonlocal done, nbytes
        path, fut, stage = pending.popleft()
        if fut is not None:
            nbytes += fut.result()
        files.append(path)
        done += 1
        if progress is not None:
            progress(stage, done, total_files)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for s in streams:
            spill: dict = {}
            for di, d in enumerate(day_list):
                n, n_parts = plan[(s, d)]
                rng = np.random.default_rng([seed, d.toordinal(), 1 if s == "fts" else 2])
                b = _gen_fts_day(w, d, n, scale, rng) if s == "fts" else _gen_rucio_day(w, d, n, rng)
                # bookkeeping by generation day (timestamps), before records move between directories
                _count_incidents(b, s, d, w, inc_counts, stable_daily, examples, tpl_counts[s])
                # records whose MONIT timestamp falls after midnight sit in the next day's directory
                next_ms = _day_ms(d) + _MS_DAY
                late = b["meta_ts"] >= next_ms
                if di == len(day_list) - 1:
                    b["meta_ts"] = np.minimum(b["meta_ts"], next_ms - 1)
                    b["kafka_ts"] = np.minimum(b["kafka_ts"], next_ms - 1)
                    late[:] = False
                carry = _take(b, np.flatnonzero(late))
                b = _concat([spill, _take(b, np.flatnonzero(~late))])
                spill = carry
                # stats by directory
                nb = len(b["tpl"])
                if s == "fts":
                    nf = int((b["state"] == 1).sum())
                    aborts[s] += int((b["state"] == 2).sum())
                else:
                    nf = int(np.isin(b["ev"], _FAILED_EVENTS).sum())
                records[s] += nb
                failures[s] += nf
                rpd[s][d] = nb
                fpd[s][d] = nf
                # files: n_parts of one Spark job, plus one file of a second job (and an empty file in .tmp)
                is_tmp = di == len(day_list) - 1
                ddir = root / ARCHIVE_DIRS[s] / f"{d:%Y}" / f"{d:%m}" / (f"{d:%d}.tmp" if is_tmp else f"{d:%d}")
                ddir.mkdir(parents=True, exist_ok=True)
                stage = f"{s} {d.isoformat()}"
                part = b["part_key"] % n_parts
                part[(b["part_key"] // n_parts) % 25 == 0] = n_parts
                job_a = _stable_uuid(seed, s, d, "a")
                job_b = _stable_uuid(seed, s, d, "b")
                # one permutation: by part, then record shape (group), then time; parts and groups are slices
                group = (b["vo"] <= 1).astype(np.int64) if s == "fts" else _GROUP_OF_EVENT[b["ev"]]
                order = np.lexsort((b["meta_ts"], group, part))
                b = _take(b, order)
                bounds = np.searchsorted(part[order], np.arange(n_parts + 2))
                for k in range(n_parts + 1):
                    rows = slice(int(bounds[k]), int(bounds[k + 1]))
                    name = f"part-{k:05d}-{job_a}-c000" if k < n_parts else f"part-00000-{job_b}-c000"
                    plain = is_tmp and k % 2 == 1   # .tmp files are partly uncompressed
                    path = ddir / (name + (".json" if plain else ".json.gz"))
                    while len(pending) >= 2 * workers:
                        finish_one()
                    pending.append((path, pool.submit(_write_part, w, s, _take(b, rows), path, not plain), stage))
                if is_tmp:  # a part file the ingestion has just opened: zero bytes
                    empty = ddir / f"part-{n_parts + 1:05d}-{job_a}-c000.json"
                    empty.write_bytes(b"")
                    pending.append((empty, None, stage))
                del b, part, order, group
        while pending:
            finish_one()

    incidents = _incidents(w, streams, inc_counts, stable_daily, examples, day_list)
    elapsed = time.perf_counter() - t_start
    return SampleSummary(
        root=root, days=day_list, tmp_day=day_list[-1], files=files, records=records, failures=failures,
        aborts=aborts, records_per_day=rpd, failures_per_day=fpd, incidents=incidents,
        fts_template_counts=tpl_counts.get("fts", {}), rucio_reason_counts=tpl_counts.get("rucio", {}),
        seconds=elapsed, bytes_written=nbytes)


def _write_part(w: _World, stream: str, b: dict, path: Path, compress: bool) -> int:
    chunks = _fts_chunks(w, b) if stream == "fts" else _rucio_chunks(w, b)
    # gzip container with mtime 0 and no file name: identical input gives byte-identical files
    z = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 31) if compress else None
    size = 0
    with open(path, "wb") as fh:
        for lines in chunks:
            data = _lines_bytes(lines)
            out = z.compress(data) if z else data
            fh.write(out)
            size += len(out)
            del lines, data, out
        if z:
            tail = z.flush()
            fh.write(tail)
            size += len(tail)
    return size


def _count_incidents(b, stream, day, w, inc_counts, stable_daily, examples, tpl_counts):
    tpl = b["tpl"]
    failed = tpl >= 0
    if stream == "rucio":
        failed &= np.isin(b["ev"], _FAILED_EVENTS)
    keys = [t.key for t in _TEMPLATES] + [r[0] for r in _RUCIO_ONLY]
    ids, cnt = np.unique(tpl[failed], return_counts=True)
    for i, c in zip(ids, cnt):
        tpl_counts[keys[i]] = tpl_counts.get(keys[i], 0) + int(c)
    inc_counts["site_outage"][stream] += int(((tpl == _OUTAGE_TPL) & (b["dst"] == w.outage_ep)).sum())
    inc_counts["new_error"][stream] += int((tpl == _NEW_TPL).sum())
    if stream == "fts":
        stable_daily[day] = int((tpl == _STABLE_TPL).sum())
        for kind, t in (("site_outage", _OUTAGE_TPL), ("new_error", _NEW_TPL), ("stable_category", _STABLE_TPL)):
            rows = np.flatnonzero((tpl == t) & ((b["dst"] == w.outage_ep) if t == _OUTAGE_TPL else True))
            if kind not in examples and len(rows):
                examples[kind] = _Ctx(w, _take(b, rows[:1])).messages(raw=False)[0].as_py()


def _incidents(w, streams, inc_counts, stable_daily, examples, day_list) -> list[Incident]:
    def example(kind, t):
        if kind in examples:
            return examples[kind]
        return _fts_sanitize(_TEMPLATES[t].text)

    ot, nt, st = _TEMPLATES[_OUTAGE_TPL], _TEMPLATES[_NEW_TPL], _TEMPLATES[_STABLE_TPL]
    out_ep, new_ep = w.outage_ep, w.new_ep
    return [
        Incident(
            kind="site_outage",
            description=f"{w.site[out_ep]} ({w.rse[out_ep]}) out of space as a destination, "
                        f"{w.outage_day} {w.outage_hours[0]:02d}:00-{w.outage_hours[1]:02d}:00 UTC",
            category=_ERRNO_CATEGORY[ot.errno], error_code=str(ot.errno), template=ot.key, marker=_OUTAGE_MARKER,
            example=example("site_outage", _OUTAGE_TPL), site=w.site[out_ep], rse=w.rse[out_ep],
            host=w.hosts[out_ep * 4 + _SRM], side="dst", day=w.outage_day, hours=w.outage_hours,
            counts={s: inc_counts["site_outage"][s] for s in streams}),
        Incident(
            kind="new_error",
            description=f"new error on the last day only: bearer tokens rejected by {w.site[new_ep]} "
                        f"({w.rse[new_ep]}) from {w.new_hours[0]:02d}:00 UTC",
            category=_ERRNO_CATEGORY[nt.errno], error_code=str(nt.errno), template=nt.key, marker=_NEW_MARKER,
            example=example("new_error", _NEW_TPL), site=w.site[new_ep], rse=w.rse[new_ep],
            host=w.hosts[new_ep * 4 + _DAVS], side="dst", day=w.new_day, hours=w.new_hours,
            counts={s: inc_counts["new_error"][s] for s in streams}),
        Incident(
            kind="stable_category",
            description=f"{_ERRNO_CATEGORY[st.errno]} has the same FTS count every day",
            category=_ERRNO_CATEGORY[st.errno], error_code=str(st.errno), template=st.key,
            marker="Destination file exists and overwrite is not enabled",
            example=example("stable_category", _STABLE_TPL),
            counts={"fts": sum(stable_daily.values())} if "fts" in streams else {},
            daily_counts=dict(stable_daily)),
    ]
