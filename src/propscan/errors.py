"""Errors a user can cause, declared in one place so messages stay consistent.

Each carries the input it concerns and a ``kind`` (one of ``KINDS``): the CLI
prints ``str(err)`` as one line and carries on with the other inputs, the web
app maps the kind to a status code (``STATUS``) instead of reading messages.
An error the user fixes by changing a setting names it in ``option`` (e.g.
``max_bytes``); messages never name a command-line flag, the CLI adds its own
(``cli.output.describe``). Anything else escaping is a bug in propscan.
"""

from __future__ import annotations

import unicodedata

# what went wrong, in words a caller can switch on
INVALID = "invalid"            # bad value or option
EMPTY = "empty"                # no text at all
TOO_LARGE = "too_large"        # over a size limit
BINARY = "binary"              # not text (NUL bytes, control characters, undecodable)
UNSUPPORTED = "unsupported"    # a file or body type propscan does not read (e.g. a .pdf upload)
UNREADABLE = "unreadable"      # a file or folder that cannot be read (missing, permissions, broken link)
NOT_FOUND = "not_found"        # a stored thing that does not exist
STORE_FULL = "store_full"      # the database's disk is full
STORE_LOCKED = "store_locked"  # another process holds the database past the wait
STORE_READ_ONLY = "store_read_only"
STORE_UNAVAILABLE = "store_unavailable"  # the database is gone or refuses connections
KINDS = (INVALID, EMPTY, TOO_LARGE, BINARY, UNSUPPORTED, UNREADABLE, NOT_FOUND, STORE_FULL, STORE_LOCKED, STORE_READ_ONLY,
         STORE_UNAVAILABLE)
# the HTTP status the web app answers for each kind
STATUS = {INVALID: 400, EMPTY: 400, TOO_LARGE: 413, BINARY: 415, UNSUPPORTED: 415, UNREADABLE: 400, NOT_FOUND: 404,
          STORE_FULL: 507, STORE_LOCKED: 503, STORE_READ_ONLY: 503, STORE_UNAVAILABLE: 503}


def printable(s: str, limit: int = 300) -> str:
    """``s`` safe for one terminal line: control and format characters (newlines, ANSI escapes) escaped.

    Why: file names and record ids come from users; a newline would split a
    one-line error and an escape sequence would reach the terminal.
    """
    out = []
    for ch in s[:limit]:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                       if ord(ch) < 0xD800 or ord(ch) > 0xDFFF else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + ("..." if len(s) > limit else "")


class PropscanError(Exception):
    """Base for errors that are the user's to fix (bad input, bad option)."""

    kind: str = INVALID
    # the setting that would fix it, as the library calls it (max_bytes, text_column, db, engine, ...)
    option: str | None = None

    def __init__(self, message: str = "", kind: str | None = None, option: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        if option is not None:
            self.option = option


class InputError(PropscanError):
    """An input that cannot be analysed: empty, binary, too large, unreadable."""

    def __init__(self, source: str, problem: str, kind: str | None = None, option: str | None = None) -> None:
        super().__init__(f"{printable(str(source))}: {problem}", kind, option)
        self.source = source
        self.problem = problem


class StoreError(PropscanError):
    """The database failed (full, locked, read-only, gone): one line instead of the driver's traceback."""


class DatasetError(PropscanError):
    """A dataset folder that does not look like the format it was asked to be read as."""


class ModelError(PropscanError):
    """A model file that is missing or does not match this version of propscan."""
