"""Site names: the WLCG site (CRIC rcsite) of every experiment name, RSE and storage host (issue 12)."""
from opint_core.sites.table import (SiteEntry, SiteTable, SiteTableError, default_site_table, parse_site_table,
                                    read_site_table)

__all__ = ["SiteEntry", "SiteTable", "SiteTableError", "default_site_table", "parse_site_table", "read_site_table"]
