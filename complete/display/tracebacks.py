"""How a ``CompleteError`` looks in IPython and Jupyter: a short block, not pages.

What happened, what to do about it, and how to see everything (``lines``), through
IPython's ``_render_traceback_`` hook (``rendered``). Outside IPython nothing here
runs. It reads only what every exception has, so it does not import
``complete.errors``, which imports it.
"""

from __future__ import annotations

import textwrap

from complete.display import render as display

__all__ = ["HOW_TO_SEE_MORE", "lines", "rendered"]

HOW_TO_SEE_MORE = "Full traceback: %tb verbose. Original exception: sys.last_value.__cause__"

WIDTH = 78
"""Lines are wrapped here, between words: a notebook's output area breaks long
lines anywhere, even mid-word."""

_SHORT_MODES = ("Context", "Minimal")
"""IPython's exception modes in which the short block replaces the traceback
("Context" is the default); in the others the writer asked for detail."""

_RED, _DIM, _RESET = "\x1b[1;31m", "\x1b[2m", "\x1b[0m"


def lines(error: BaseException, *, color: bool = False) -> list[str]:
    """The short block: ``Class: message`` (with the advice that follows it in
    ``str(error)``), then how to see more, wrapped to ``WIDTH`` columns.

    Instead of the full traceback (for a refused connection, some 300 lines of
    urllib3, requests and tenacity frames, the one useful line at the bottom), the
    writer is shown three things: what happened (the error class and, for a server
    error, the server's own words), what to do about it, and how to see everything
    when they do want to debug. ``lines(error)`` is that block; it ends with one line
    naming ``%tb verbose`` (the full traceback of the last error, chain included)
    and ``__cause__`` (the library exception the error was translated from).

    >>> from complete.errors import TransportError
    >>> for line in lines(TransportError("could not connect\\nStart the server.")):
    ...     print(line)
    TransportError: could not connect
    Start the server.
    Full traceback: %tb verbose. Original exception: sys.last_value.__cause__
    """
    name = type(error).__name__
    wrapped: list[str] = []
    for line in f"{name}: {error}".split("\n"):
        wrapped.extend(textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False) or [""])
    if color:
        wrapped[0] = _RED + name + _RESET + wrapped[0][len(name) :]
    return [*wrapped, f"{_DIM}{HOW_TO_SEE_MORE}{_RESET}" if color else HOW_TO_SEE_MORE]


def rendered(error: BaseException) -> list[str]:
    """What IPython shows for ``error``: the short block, or the full traceback when
    the current exception mode asks for detail.

    IPython's hook for this is an exception's ``_render_traceback_`` method, which
    ``CompleteError`` defines and which calls ``rendered(error)`` here. It was chosen
    over ``InteractiveShell.set_custom_exc`` because it needs no registration (so
    ``import complete`` imports nothing of IPython), works in every IPython front end
    (Jupyter, the IPython terminal, ipywidgets callbacks shown with
    ``showtraceback``), and cannot displace another library's handler: IPython
    keeps a single custom handler. When the writer asks for detailed tracebacks
    (``%xmode`` Plain, Verbose or Docs, or ``%tb verbose`` once), the full
    traceback is shown instead.

    Outside IPython nothing here runs: the plain Python REPL prints its usual
    traceback, whose last lines are ``str(error)``: the same words and advice.
    """
    shell = display.running_shell()
    formatter = getattr(shell, "InteractiveTB", None)
    if formatter is not None and getattr(formatter, "mode", "Context") not in _SHORT_MODES:
        full: list[str] = formatter.structured_traceback(type(error), error, error.__traceback__)
        return full
    return lines(error, color=True)
