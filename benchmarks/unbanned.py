"""The embedded model with the story preset's samplers but not its banned phrases.

For the benchmarks whose settings name the bans they measure: on a plain
``LocalModel`` a call without ``banned`` gets the preset's (``ASSISTANT_TALK``), so
a row meant without bans would not be. Everything else is ``LocalModel`` as a
writer gets it (the same engine, shared by both).
"""

from __future__ import annotations

from complete.transports.local.engine import LocalModel
from complete.values.params import Params


class UnbannedModel(LocalModel):
    """``LocalModel`` whose ``defaults`` are the story preset without its bans."""

    @property
    def defaults(self) -> Params:
        return Params.preset("story").evolve(banned=())
