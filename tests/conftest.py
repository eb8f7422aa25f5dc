"""Shared fixtures: the bundled fixture articles and the ../shared data when present."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("PROPSCAN_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"
SAMPLES = SHARED / "samples"


def load_bench(name: str) -> ModuleType:
    """A script of bench/ as a module (the tests run its short versions)."""
    spec = importlib.util.spec_from_file_location(f"propscan_bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def data_dir() -> Path:
    if not (DATA / "semeval2023-task3" / "en").is_dir():
        pytest.skip(f"needs the annotated corpora at {DATA} (../shared/data); not present here")
    return DATA


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.is_dir() or not any(SAMPLES.glob("*.txt")):
        pytest.skip(f"needs the raw web samples at {SAMPLES} (../shared/samples); not present here")
    return SAMPLES
