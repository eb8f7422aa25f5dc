"""onnxruntime sessions for the bundled models, optimised once per machine.

Why: onnxruntime rewrites a graph (fusing attention, layer norms, int8
matrix products) every time a session is built, ~0.1 s of the tagger's
start-up. The rewritten graph is saved in the user cache (``runtime.cache``)
the first time and loaded as is afterwards. Some rewrites depend on the CPU,
so the cache key holds the onnxruntime version and the CPU's feature flags.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from .loading import Loading
from .registry import MODELS

__all__ = ["session", "shared_session"]


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("flags"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _options(ort: Any, threads: int, level: Any, mem_pattern: bool = True) -> Any:
    so = ort.SessionOptions()
    so.enable_mem_pattern = mem_pattern
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = level
    so.log_severity_level = 3
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


def shared_session(path: str | Path, threads: int, cache_dir: Path | None, mem_pattern: bool = True) -> Loading[Any]:
    """The session for ``path`` loading in the background; one per (model, threads, cache) and process.

    Why: building one takes ~0.3 s (importing onnxruntime, reading the graph), so a component's
    ``preload`` starts it and every component built later with the same settings shares it.
    """
    path = Path(path)
    return MODELS.load("onnx", (str(path), threads, cache_dir, mem_pattern),
                       lambda: session(path, threads, cache_dir, mem_pattern), path.stem)


def session(path: str | Path, threads: int, cache_dir: Path | None, mem_pattern: bool = True) -> Any:
    """A CPU ``InferenceSession`` for ``path`` with ``threads`` intra-op threads (``cache_dir`` None: no cache).

    ``mem_pattern=False`` skips onnxruntime's pre-planned activation blocks: the same results, about 40 MB
    less peak memory for the multilingual encoder (``detect.multitagger``).
    """
    import onnxruntime as ort

    from .cache import cached_file, forget

    path = Path(path)
    levels = ort.GraphOptimizationLevel
    cpu = ["CPUExecutionProvider"]

    built: list[Any] = []

    def build(target: Path) -> None:
        so = _options(ort, threads, levels.ORT_ENABLE_ALL, mem_pattern)
        so.optimized_model_filepath = str(target)
        built.append(ort.InferenceSession(str(path), so, providers=cpu))

    name = f"{path.stem}.optimised.onnx"
    optimised = cached_file(cache_dir, name, [path], f"{ort.__version__} {_cpu_flags()}", build)
    if built:  # first run: the session that wrote the cached graph serves this process
        return built[0]
    if optimised is not None:
        try:
            return ort.InferenceSession(str(optimised), _options(ort, threads, levels.ORT_DISABLE_ALL, mem_pattern),
                                        providers=cpu)
        except Exception:  # noqa: BLE001 - a damaged cache file: drop it (rebuilt next run), use the shipped model
            forget(cache_dir, name)
    return ort.InferenceSession(str(path), _options(ort, threads, levels.ORT_ENABLE_ALL, mem_pattern), providers=cpu)
