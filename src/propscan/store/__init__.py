"""Analysed articles kept for corpus work: SQLite by default, PostgreSQL with ``--db postgresql://...``."""

from .store import Store, resolve_url

__all__ = ["Store", "resolve_url"]
