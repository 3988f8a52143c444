"""The ``complete`` command: continue a text from the shell.

In bash, ``complete`` is also a shell builtin, which wins over any program of that
name: there, run ``python -m complete`` (or ``env complete``). Examples::

    complete "Once upon a time"                       # prints the continuation
    complete --temperature 0.9 --top-k 30 --stream "It was a dark and stormy night"
    echo "Dear diary," | complete - --save diary.json # prompt from stdin, keep the session
    complete --resume diary.json                      # continue it later
    complete --resume diary.json "Today I wrote back." # add your words, then continue
    complete --resume diary.json --edit               # change the story in $EDITOR, then continue

The continuation goes to standard output (the whole story with ``--full``); the
line saying which backend is used goes to standard error, so output can be piped.
Exit status: 0 on success, 1 when the backend fails (the message says why), 2 for
bad options or parameters, 130 when interrupted. On a terminal, control
characters in the text (or in a server's error) are shown as escapes, never
obeyed; a pipe or file gets the text exactly.

Sessions are the session files of ``Completer.save``, continued with the same
``Session`` functions as the Completer uses: ``--resume FILE`` continues the story
saved in FILE with its memory, author's note, window settings, lorebook and
parameters (options given change them; ``--lorebook FILE`` sets the lorebook), and
writes the session back to FILE atomically, or to ``--save``'s file instead.
Words given with ``--resume`` are added as the writer's own, spaced as
``bloom.append`` spaces them. ``--edit`` (with ``--resume``) first opens
``$VISUAL`` or ``$EDITOR`` on the story's text (``complete.editor``) and keeps what
changed as an edit node, which ``undo`` takes back; as with ``git commit``, an
unchanged buffer changes nothing, and an emptied one aborts: the story is left as
it was, nothing is continued or written, and the exit status is 1. The prompt is fitted to the model's
window as the Completer fits it. Ctrl-C keeps what arrived (requests always
stream; without ``--stream`` the text is printed at the end), as the Completer
does, and exits with 130; when the backend fails, no file
is written. This module shares no state with the Completer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs

from complete import editor
from complete.display import captions
from complete.display.render import is_terminal
from complete.display.terminal_text import visible
from complete.errors import CompleteError, ParamsError
from complete.interchange.session_json import read_session, write_session
from complete.transports import backends
from complete.transports.base import Transport
from complete.transports.choice import choose, saved_transport
from complete.transports.deadline import DEFAULT_DEADLINE, check_seconds, within
from complete.transports.entry import Keywords
from complete.values import samplers
from complete.values.lorebook import Lorebook
from complete.values.params import Params
from complete.writing.continuing import Continuation, stream
from complete.writing.session import Session

__all__ = ["main"]

_KEYWORDS = tuple(field.name for field in attrs.fields(Keywords) if field.metadata.get("command_line"))
"""The backend keywords that are options (``--backend``, ``--model``, ...; never the token)."""

_OPTIONS = {"dry_breakers": "--dry-breaker", "banned": "--ban"}
"""The options whose name is not the field's: repeatable, so one of them each time."""


def _bias(text: str) -> tuple[int | str, float]:
    """``TOKEN=BIAS`` as a ``Params.logit_bias`` pair: a token of digits is an id."""
    token, _, bias = text.rpartition("=")
    try:
        number = float(bias)
    except ValueError:
        number = None
    if not token or number is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not TOKEN=BIAS (a token id or string, then a number)")
    return (int(token) if token.isdigit() else token, number)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="complete",
        description="Continue a text with a language model and print the continuation.",
    )
    parser.add_argument("prompt", nargs="?", help="the text to continue; '-' reads it from standard input")
    sampling = parser.add_argument_group("sampling parameters")
    _sampling_options(sampling)
    sampling.add_argument("--preset", help="start from a named preset: story, greedy (options given win)")
    backend = parser.add_argument_group("backend")
    for name in _KEYWORDS:  # the backend keywords' options, from the one place they are written
        help_text = attrs.fields_dict(Keywords)[name].metadata["help"]
        backend.add_argument("--" + name, choices=backends.choices(name), help=help_text)
    backend.add_argument(
        "--deadline", type=float, metavar="SECONDS", help="the longest the call may take in all (default 600)"
    )
    output = parser.add_argument_group("output and sessions")
    output.add_argument("--stream", action="store_true", help="print text as it arrives")
    output.add_argument("--full", action="store_true", help="print the whole story, not only the continuation")
    output.add_argument("--no-reformat", action="store_true", help="send the prompt exactly as typed")
    output.add_argument("--save", metavar="FILE", help="save the session to FILE")
    output.add_argument("--resume", metavar="FILE", help="continue the session saved in FILE and save it there")
    output.add_argument("--edit", action="store_true", help="with --resume: edit the story in $VISUAL/$EDITOR first")
    output.add_argument(
        "--lorebook", metavar="FILE", help="world info from FILE (SillyTavern, NovelAI or ours); kept in the session"
    )
    return parser


def _sampling_options(group: argparse._ArgumentGroup) -> None:
    """One option per ``Params`` field, its help in the field's own words
    (``complete.values.samplers``); ``do_sample`` is ``--greedy`` or ``--sample``."""
    for field in attrs.fields(Params):
        spec = samplers.of(field)
        flag = _OPTIONS.get(field.name, "--" + field.name.replace("_", "-"))
        if spec.kind in ("number", "integer"):
            said = f"{spec.meaning}; {spec.allowed(field.name)}"
            said = said if field.default is None else f"{said}; default {field.default}"
            number = spec.kind == "number"
            kind, metavar = (float, "X") if number else (int, "N")
            group.add_argument(flag, type=kind, metavar=metavar, help=said.replace("%", "%%"))
        elif spec.kind != "switch":
            bias = spec.kind == "bias"
            group.add_argument(
                flag,
                dest=field.name,
                action="append",
                type=_bias if bias else str,
                metavar="TOKEN=BIAS" if bias else "TEXT",
                help=f"{spec.meaning} (repeatable)".replace("%", "%%"),
            )
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "--greedy", dest="do_sample", action="store_false", default=None, help="always pick the likeliest token"
    )
    choice.add_argument("--sample", dest="do_sample", action="store_true", help="sample even with default settings")


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run the command; returns the exit status (see the module docstring)."""
    out = stdout or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args, stdin or sys.stdin, out)
    except ParamsError as error:
        print(f"complete: error: {visible(str(error))}", file=sys.stderr)
        return 2
    except CompleteError as error:
        print(f"complete: error: {visible(str(error))}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"complete: error: {visible(str(error))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("complete: interrupted", file=sys.stderr)
        return 130


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The sampling parameters given on the command line: ``--preset``'s, then the
    options given (a ``Params`` field without an option of its own is never given)."""
    names = (field.name for field in attrs.fields(Params))
    given = {name: value for name in names if (value := getattr(args, name, None)) is not None}
    return {**Params.preset(args.preset).to_dict(), **given} if args.preset else given


def _run(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    text = stdin.read() if args.prompt == "-" else args.prompt
    if args.edit and not args.resume:
        raise ParamsError(field="--edit", value=True, allowed="--resume FILE as well (--edit changes a saved story)")
    if args.resume:
        session = read_session(args.resume).set(**_parameters(args))
        if args.edit:
            changed = editor.edit_text(session.current.text)
            if changed is None:
                print("complete: the editor's buffer was empty: the story is left as it was", file=sys.stderr)
                return 1
            session = session.rewrite(changed)
        if text is not None and text.strip():
            session = session.append(text, reformat=not args.no_reformat)
    elif text is None:
        raise ParamsError(field="prompt", value=None, allowed="a prompt argument, '-' for standard input, or --resume")
    else:
        session = Session.start(text, reformat=not args.no_reformat, params=Params(**_parameters(args)))
    limit = check_seconds(DEFAULT_DEADLINE if args.deadline is None else args.deadline)
    if args.lorebook:
        loaded = Lorebook.read(args.lorebook)
        for item in loaded.ignored:
            print(f"complete: {args.lorebook}: not taken: {item}", file=sys.stderr)
        session = session.set_lorebook(loaded.lorebook)
    transport = _transport(args, session if args.resume else None)
    with within(limit):
        result = _continue(session, transport, args, out)
    target = args.save or args.resume
    if target:
        write_session(target, result.session)
    if result.story is not None and not result.story.segment:
        reason = captions.finish_reason(result.story)
        print(f"complete: the model returned no new text (finish reason: {reason})", file=sys.stderr)
    if result.interrupted:
        print("complete: interrupted" + (f"; what arrived is kept in {target}" if target else ""), file=sys.stderr)
        return 130
    return 0


def _continue(session: Session, transport: Transport, args: argparse.Namespace, out: TextIO) -> Continuation:
    """Continue ``session``, printing the continuation (the whole story with ``--full``)."""
    request = session.request(transport)
    session = session.sent(request)
    shown = visible if is_terminal(out) else str  # a terminal never obeys the model's control characters
    if not args.stream:
        result = stream(session, request, transport, lambda piece: None)  # unseen, but Ctrl-C keeps what arrived
        written = result.session.current.text
        out.write(shown(written if args.full else written[request.story.length :]) + "\n")
        out.flush()
        return result

    def show(piece: str) -> None:
        out.write(shown(piece))
        out.flush()

    if args.full:
        out.write(shown(request.story.text))
    result = stream(session, request, transport, show)
    out.write("\n")
    out.flush()
    return result


def _transport(args: argparse.Namespace, session: Session | None) -> Transport:
    if session is not None and args.backend is None and (saved := saved_transport(session.backend)) is not None:
        print(saved.reason, file=sys.stderr)
        return saved.transport
    chosen = choose(**{name: getattr(args, name) for name in _KEYWORDS}, model_argument="--model")
    print(chosen.reason, file=sys.stderr)
    return chosen.transport
