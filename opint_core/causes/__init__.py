"""Known causes of transfer failures, with an explanation, the side responsible and the shifter's action
(issue 13, point 2).

The clustering's ``KNOWN_CAUSES`` (``opint_core.clustering.categories``) decides which templates are one
*category*; it names the problem and nothing more. This knowledge base is the triage layer on top: it
reads the category or template pattern (prefixes such as ``SOURCE CHECKSUM MISMATCH`` included, when the
text has them) and says what the problem means, which end is usually responsible, what to do (``ticket
site``, ``wait``, ``contact experiment data management``, ``ignore``) and what to check first. Every
canonical pattern of ``KNOWN_CAUSES`` gets a cause here whose action fits that problem (a test keeps the two
tables consistent); the knowledge base has more entries, split where the action differs (the side of a
checksum mismatch, a server's versus a client's expired credential).

The shipped entries are ``causes.toml`` beside this module; a team adds or overrides entries with its own
file (``causes = "path"`` in the config file).
"""
from opint_core.causes.base import CauseBase, default_cause_base, shipped_causes
from opint_core.causes.cause import ACTIONS, SIDES, Cause
from opint_core.causes.reading import CauseBaseError, parse_causes, read_causes

__all__ = ["ACTIONS", "SIDES", "Cause", "CauseBase", "CauseBaseError", "default_cause_base", "parse_causes",
           "read_causes", "shipped_causes"]
