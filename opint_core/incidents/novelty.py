"""An incident made of messages the baseline never had is ``new``, even inside a category the site knew.

Detection compares categories: a brand-new error filed into a broad category that the site already had
at a low rate (a new token failure inside "Authentication failed") reads as ``rising`` there. The trends
know which of a category's templates the baseline days did not have (``Trend.new_templates``); when
most of an incident's failures are of those templates, the incident is new.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from opint_core.incidents.model import Incident
from opint_core.incidents.rows import incident_rows

NEW_MESSAGE_SHARE = 0.5   # of the incident's failures, in templates the baseline did not have


def with_new_messages(incidents: list[Incident], insight, trends) -> list[Incident]:
    """``incidents`` with those dominated by never-seen templates marked ``new``, in the list's order."""
    if not incidents or trends is None or len(trends) != len(insight) or insight.level != "category":
        return incidents
    template_of = np.asarray(insight.clustering.template_of)
    out = []
    for incident in incidents:
        unseen = trends[incident.group].new_templates if incident.status != "new" else ()
        if unseen:
            rows = incident_rows(insight, incident)
            weights = None if insight.weights is None else insight.weights[rows]
            in_unseen = np.isin(template_of[rows], np.asarray(unseen))
            total = rows.shape[0] if weights is None else float(weights.sum())
            share = (np.count_nonzero(in_unseen) if weights is None else float(weights[in_unseen].sum())) / total \
                if total else 0.0
            if share >= NEW_MESSAGE_SHARE:
                incident = replace(incident, status="new")
        out.append(incident)
    return sorted(out, key=Incident.order_key)
