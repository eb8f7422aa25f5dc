"""Analysed articles kept for corpus work: SQLite by default, PostgreSQL with ``--db postgresql://...``."""

from .store import Store, missing_file, require_existing, resolve_url

__all__ = ["Store", "missing_file", "require_existing", "resolve_url"]
