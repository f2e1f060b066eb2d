"""Incidents: what is broken, where, since when (one category at one site or link, against the site's
usual rate and the grid's), and what to do about it.

    incidents = detect(analysis.insight, analysis.errors.traffic, baseline=baseline_errortable,
                       baseline_groups=analysis.trends.baseline_groups)
"""
from opint_core.incidents.detect import detect
from opint_core.incidents.find import IncidentNotFound, find_incident
from opint_core.incidents.model import STATUSES, Incident
from opint_core.incidents.novelty import with_new_messages
from opint_core.incidents.rows import incident_rows

__all__ = ["Incident", "IncidentNotFound", "STATUSES", "detect", "find_incident", "incident_rows", "with_new_messages"]
