"""One known cause of transfer failures: how to recognise it, what it means, whose it is, what to do."""
from __future__ import annotations

from dataclasses import dataclass

#: What the shifter does about it (the vocabulary of the original OpInt, DOMAIN §1.1, in words of today).
ACTIONS = ("ticket site", "wait", "contact experiment data management", "ignore")

#: Which end is usually responsible: ``either`` means the side the message (or the incident) names,
#: ``link`` the network between the two, ``experiment`` the submitter (Rucio, FTS, robot credentials).
SIDES = ("source", "destination", "either", "link", "experiment", "unknown")


@dataclass(frozen=True)
class Cause:
    id: str                          # stable name, e.g. "space_token_full"
    title: str                       # a few words for a column
    match: tuple[str, ...]           # regexes (case-insensitive, RE2 syntax) over a template or category pattern
    explanation: str                 # one or two sentences in a shifter's words
    side: str                        # one of SIDES
    action: str                      # one of ACTIONS
    check: str                       # what to look at first
    phase: str = ""                  # when in the transfer it happens (preparation, transfer, staging, ...)
    notes: str = ""
    sources: tuple[str, ...] = ()    # where the knowledge comes from (DOMAIN sections)
    origin: str = ""                 # the file the entry comes from
