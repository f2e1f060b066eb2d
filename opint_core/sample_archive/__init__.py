"""A deterministic, realistic MONIT archive on local disk: FTS "complete" records and Rucio events.

``write_sample_archive(root, days=7, seed=0, scale=1.0, end=None, today=True)`` writes the exact HDFS layout
of DOMAIN.md §1.3 under ``root``::

    project/monitoring/archive/fts/raw/complete/YYYY/MM/DD/part-NNNNN-<uuid>-c000.json.gz
    project/monitoring/archive/rucio/raw/events/YYYY/MM/DD/part-NNNNN-<uuid>-c000.json.gz

The last day is ``DD.tmp/`` (today, not yet compacted by MONIT): every other part file there is plain ``.json``
and one is empty (zero bytes); ``today=False`` writes it finished and compacted like the others.  Each day has the files of one large Spark job plus one file of a second job
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

Modules, in the order they build on each other: ``topology`` (endpoints, VOs, FTS instances), ``templates``
(error templates, Rucio reasons and events), ``columns`` (vectorised string-column helpers), ``world`` (the
seed's endpoints, error sources and incident plan), ``days`` (a day's random batch per stream), ``render``
(a part's rows -> JSON lines per stream), ``incidents`` (the result types and planted-incident bookkeeping),
``writer`` (``write_sample_archive``).  The stream -> directory map is ``opint_core.load.archive.STREAM_DIRS``.
"""
from __future__ import annotations

from opint_core.load.archive import STREAM_DIRS as ARCHIVE_DIRS
from opint_core.sample_archive.incidents import Incident, SampleSummary
from opint_core.sample_archive.templates import FTS_TEMPLATES
from opint_core.sample_archive.writer import FTS_PER_DAY, RUCIO_PER_DAY, write_sample_archive

__all__ = ["write_sample_archive", "SampleSummary", "Incident", "FTS_TEMPLATES", "ARCHIVE_DIRS"]
