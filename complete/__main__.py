"""``python -m complete``: the same command as ``complete`` (see ``complete.cli``)."""

from complete.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
