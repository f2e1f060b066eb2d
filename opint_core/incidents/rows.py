"""Which failures of an analysis are one incident's: its category's rows at its site, on its side (both
sites for a link; either side when the side is unknown)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.incidents.counts import SITE_COLUMN
from opint_core.incidents.model import Incident
from opint_core.load.schema import UNKNOWN


def _at_site(table: pa.Table, column: str, rows: np.ndarray, site: str) -> np.ndarray:
    """Which of ``rows`` have ``site`` in ``column`` (a null is the UNKNOWN site)."""
    if column not in table.column_names:
        return np.zeros(rows.shape[0], dtype=bool)
    values = table.column(column).take(pa.array(rows))
    if pa.types.is_dictionary(values.type):   # a compact (Spark) table
        values = values.cast(pa.string())
    same = pc.is_null(values) if site == UNKNOWN else pc.fill_null(pc.equal(values, site), False)
    return np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)


def incident_rows(insight, incident: Incident) -> np.ndarray:
    """Row indices (ascending) of ``insight``'s table that are the incident's failures."""
    rows = insight.rows(incident.group)
    table = insight.table
    if not rows.shape[0]:
        return rows
    if incident.side == "link":
        keep = _at_site(table, SITE_COLUMN["source"], rows, incident.site) \
            & _at_site(table, SITE_COLUMN["destination"], rows, incident.other_site)
    elif incident.side in SITE_COLUMN:
        keep = _at_site(table, SITE_COLUMN[incident.side], rows, incident.site)
    else:
        keep = _at_site(table, SITE_COLUMN["source"], rows, incident.site) \
            | _at_site(table, SITE_COLUMN["destination"], rows, incident.site)
    return rows[keep]
