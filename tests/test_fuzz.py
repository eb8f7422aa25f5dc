"""The fuzz run of bench/fuzz.py: generated inputs never crash the readers, cleanup or language ID."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"


def _fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("propscan_bench_fuzz", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _failed(counts: dict) -> int:
    return sum(v for (_, outcome), v in counts.items() if outcome == "FAILED")


def test_short_fuzz_run() -> None:
    counts = _fuzz().run(n=300, seed=1)
    assert sum(counts.values()) == 300
    assert _failed(counts) == 0
    # the generators reach the interesting paths, not only the error exits
    assert counts[("crawl", "ok")] > 0 and counts[("html", "ok")] > 0 and counts[("bytes", "input error")] > 0


@pytest.mark.slow
def test_ten_thousand_inputs_without_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    fuzz = _fuzz()
    assert fuzz.main(["-n", "10000", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "10000 inputs" in out and ", 0 failed" in out
