"""The embedded model (SmolLM2-135M-Instruct) with a modest window, for the tests that run it.

A module-scoped fixture: each test file that asks gets one ``LocalModel``; the engine
behind it is shared per window size anyway (``complete.transports.local.server``).
"""

from __future__ import annotations

import pytest

from complete.transports.local.engine import LocalModel


@pytest.fixture(scope="module")
def model() -> LocalModel:
    """A ``LocalModel`` with a 1,024-token window."""
    return LocalModel(n_ctx=1024)
