"""The ``propscan`` command: a thin layer over the library.

Each subcommand lives in its own module with a ``register(subparsers)``
function; user errors (PropscanError) print one line and exit 2, never a
traceback. ``main`` reads the documented environment variables once into a
``Settings`` (``runtime.settings.from_environ``), given to every command as
``args.settings``; a store-using command without ``--db`` gets
``$PROPSCAN_DB`` there.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import IO

from .. import __version__
from ..errors import PropscanError, printable

COMMANDS = (
    "analyze", "evaluate", "classify_spans", "train", "serve",
    "ingest", "report", "export_feedback", "cache",
)


# the flag that sets each library option (``PropscanError.option``): the library's messages name none
FLAGS = {"max_bytes": "--max-bytes", "text_column": "--text-column", "db": "--db", "engine": "--engine",
         "workers": "--workers", "scheduler": "--scheduler", "base": "--base"}


def describe(err: PropscanError) -> str:
    """An error as one line: its message, then the flag that fixes it when it names an option."""
    flag = FLAGS.get(err.option or "")
    return f"{err} (see {flag})" if flag else str(err)


def output(path: str | None) -> IO[str] | nullcontext[IO[str]]:
    """A context manager giving the file to write results to: ``path`` (its folder created) or stdout."""
    if not path:
        return nullcontext(sys.stdout)
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as e:
        raise PropscanError(f"{path}: cannot write the output ({e.strerror or e})") from e


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser; ``only`` registers just that command (importing every command costs ~0.05 s of start-up)."""
    parser = argparse.ArgumentParser(
        prog="propscan",
        description="Find where and how news articles try to persuade instead of inform.",
    )
    parser.add_argument("--version", action="version", version=f"propscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if only is None else (only,):
        try:
            mod = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("propscan"):
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from ..runtime.malloc import limit_arenas

    limit_arenas()  # before any worker thread starts (runtime/malloc.py says why)
    command = argv[0].replace("-", "_") if argv else None
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        from ..runtime.settings import from_environ

        args.settings = from_environ(os.environ)
        if vars(args).get("db", "") is None:  # a command with --db, not given
            args.db = args.settings.db_url
        return int(args.func(args) or 0)
    except PropscanError as e:
        print(f"propscan: error: {describe(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("propscan: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:  # the machine's, not ours: disk full, permission revoked, port taken...
        where = f"{printable(str(e.filename))}: " if e.filename else ""
        print(f"propscan: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except Exception as e:
        sa = sys.modules.get("sqlalchemy")
        if sa is None or not isinstance(e, sa.exc.SQLAlchemyError):
            raise
        # a database fault outside the Store's own methods (corpus linking): one line, not the driver's traceback
        from ..store.store import safe_url, store_error

        print(f"propscan: error: {store_error(safe_url(getattr(args, 'db', None)), e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
