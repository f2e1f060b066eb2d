"""Finding one incident by its category key (or a unique start of it) and, where the category has several,
its site by any of the site's names."""
from __future__ import annotations

from opint_core.errors import OpintError
from opint_core.incidents.model import Incident


class IncidentNotFound(OpintError, LookupError):
    """No incident (or more than one) answers to the key and site given; the message lists the choices."""


def find_incident(incidents: list[Incident], key: str, site: str | None = None, sites=None) -> Incident:
    """The incident of category ``key`` (a unique start of a key is enough) at ``site`` (any of its
    names, ``sites`` being the SiteTable; either end of a link)."""
    wanted = key.strip().lower()
    keys = sorted({i.key for i in incidents if i.key.lower().startswith(wanted)}) if wanted else []
    listing = "; ".join(f"{i.key} at {_at(i)}" for i in incidents[:10]) or "there are none in this selection"
    if not keys:
        raise IncidentNotFound(f"no incident has the category key {key!r}",
                               f"give the key of one of the incidents: {listing} (opint incidents lists them)")
    if len(keys) > 1:
        raise IncidentNotFound(f"{key!r} starts several incident keys: {', '.join(keys[:10])}",
                               "give more of the key")
    mine = [i for i in incidents if i.key == keys[0]]
    if site:
        mine = [i for i in mine if any(_names_match(site, name, sites) for name in (i.site, i.other_site) if name)]
    if len(mine) == 1:
        return mine[0]
    choices = ", ".join(_at(i) for i in incidents if i.key == keys[0])
    if not mine:
        raise IncidentNotFound(f"category {keys[0]} has no incident at {site!r}", f"give one of its sites: {choices}")
    raise IncidentNotFound(f"category {keys[0]} has incidents at several sites: {choices}",
                           "say which with --site SITE")


def _names_match(query: str, site: str, sites) -> bool:
    if sites is not None:
        return sites.canonical(query) == (sites.canonical(site) or site) or query.strip().lower() == site.lower()
    return query.strip().lower() == site.lower()


def _at(incident: Incident) -> str:
    if incident.side == "link":
        return f"{incident.site} -> {incident.other_site}"
    return f"{incident.site} ({incident.side})"
