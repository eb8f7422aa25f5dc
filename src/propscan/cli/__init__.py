"""The ``propscan`` command: ``main.py`` (the parser, the environment read once into Settings, errors as one
line) and one module per subcommand."""

from __future__ import annotations

from .main import COMMANDS, FLAGS, build_parser, describe, main, output  # noqa: F401 - the package's entry points

__all__ = [
    "COMMANDS", "FLAGS", "build_parser", "describe", "main", "output"
]
