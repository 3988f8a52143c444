"""``Supplier``: a sampling parameter computed afresh for every request.

The original project's way to vary a parameter from call to call:
``Completer("...", seed=Supplier(lambda: random.randrange(2**64)))``. Suppliers live
in the ``Completer`` only: ``Params``, sessions and saved files hold values, never
functions (a saved session keeps the values each continuation used).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from complete.errors import ParamsError

__all__ = ["Supplier"]


@attrs.frozen
class Supplier:
    """A parameter value that ``function()`` supplies at every request.

    The ``Completer`` calls the function once per request it sends (once for all of
    ``alternatives(n)``, whose seeds then shift as a fixed seed's do), and the value it
    returns is validated exactly as a literal one would be (``ParamsError``). A value
    given for one call (``bloom(seed=7)``) or set later (``bloom.seed = 7``) replaces it.

    >>> import itertools
    >>> seeds = Supplier(itertools.count(10).__next__)
    >>> seeds(), seeds()
    (10, 11)
    """

    function: Callable[[], Any] = attrs.field()

    @function.validator
    def _check(self, _: attrs.Attribute[Any], value: object) -> None:
        if not callable(value):
            raise ParamsError(field="Supplier", value=value, allowed="a function taking no arguments")

    def __call__(self) -> Any:
        return self.function()
