"""The fuzz run of bench/fuzz.py: generated inputs never crash the readers, cleanup or language ID."""

from __future__ import annotations

from types import ModuleType

import pytest
from conftest import load_bench


def _fuzz() -> ModuleType:
    return load_bench("fuzz")


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


def test_short_pipeline_fuzz_run() -> None:
    """Generated hostile texts through propscan.analyze() and POST /api/analyze (issue 15)."""
    pytest.importorskip("fastapi")
    counts = _fuzz().run_pipeline(n=40, seed=1)
    assert sum(counts.values()) == 40 and _failed(counts) == 0
    assert counts[("analyze", "ok")] > 0 and counts[("api", "ok")] > 0


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# lone surrogates (Cs), NUL and other controls (Cc), format characters, and several scripts
HOSTILE = st.text(st.characters(codec=None, categories=("Cs", "Cc", "Cf", "Lu", "Ll", "Lo", "Zs", "Nd", "Po")),
                  max_size=300)


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(HOSTILE, st.builds(lambda a, b: f"{a}\n\n{b}", HOSTILE, HOSTILE)))
def test_analyze_gives_an_input_error_or_an_analysis_that_encodes(text: str) -> None:
    import propscan
    from propscan.errors import InputError

    try:
        got = propscan.analyze(text)
    except InputError:
        return
    _fuzz().check_analysis(got.to_dict())
