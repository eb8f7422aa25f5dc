"""Errors a user can cause, declared in one place so messages stay consistent.

Each carries the input it concerns; the CLI prints ``str(err)`` as one line and
carries on with the other inputs. Anything else escaping is a bug in propscan.
"""

from __future__ import annotations


class PropscanError(Exception):
    """Base for errors that are the user's to fix (bad input, bad option)."""


class InputError(PropscanError):
    """An input that cannot be analysed: empty, binary, too large, unreadable."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class DatasetError(PropscanError):
    """A dataset folder that does not look like the format it was asked to be read as."""


class ModelError(PropscanError):
    """A model file that is missing or does not match this version of propscan."""
