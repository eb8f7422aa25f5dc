"""Uncompressed, memory-mapped copies of model tables that ship compressed.

Why: two dependencies ship their tables compressed (py3langid's 28 MB naive
Bayes model as LZMA, the multilingual encoder's 65 MB embedding table as a
zipped npz). Inflating them costs ~0.5 s of CPU each at every start, which is
most of the time before the first result. The first run writes the inflated
arrays as ``.npy`` files under the user's cache folder; later runs map them
in a few milliseconds, and only the rows an article touches are read.

The folder is ``Settings.cache_dir`` (passed in as ``root``; None turns the
cache off): ``~/.cache/propscan`` by default, and for the CLI
``$PROPSCAN_CACHE_DIR`` or ``$XDG_CACHE_HOME/propscan`` (``runtime.settings``).
A cache that cannot be written or read is not an error: the arrays are then
built from the shipped files as before.

Several installs (two virtual environments, a system one and a user one) may
share the folder. Each entry records the install that wrote it (``owner``:
the propscan package folder), and a new version of a table replaces only the
same install's older copies, or those of an install that no longer exists, so
two installs never evict each other's entries.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["cached_arrays", "cached_file", "forget", "install_id", "owner_of"]

DONE = "complete"  # written last: a folder without it was interrupted and is rebuilt
OWNER = "owner"  # the install that wrote the entry


def install_id() -> str:
    """This install: the folder the propscan package is imported from."""
    return str(Path(__file__).resolve().parent.parent)


def owner_of(folder: Path) -> str | None:
    try:
        return (folder / OWNER).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _ours(folder: Path) -> bool:
    """May this install replace the entry: its own, one of an install that is gone, or one that names none."""
    owner = owner_of(folder)
    return owner is None or owner == install_id() or not Path(owner).exists()


def _key(name: str, sources: list[Path], extra: str = "") -> str:
    """Folder name that changes whenever a source file does (a reinstall rebuilds the cache)."""
    parts = [name] + ([hashlib.sha1(extra.encode()).hexdigest()[:12]] if extra else [])
    for s in sources:
        st = s.stat()
        parts.append(f"{st.st_size:x}{st.st_mtime_ns:x}")
    return "-".join(parts)


def _load(folder: Path) -> dict[str, np.ndarray] | None:
    if not (folder / DONE).is_file():
        return None
    try:
        # np.asarray drops the memmap subclass: results of arithmetic are plain arrays
        return {p.stem: np.asarray(np.load(p, mmap_mode="r", allow_pickle=False))
                for p in sorted(folder.glob("*.npy"))}
    except (OSError, ValueError):  # truncated or damaged: drop it so that this run's rebuild replaces it
        shutil.rmtree(folder, ignore_errors=True)
        return None


def drop_pages(array: np.ndarray) -> bool:
    """Give back to the kernel the resident pages of the cached file ``array`` is mapped from.

    Why: a mapped table (the sentence encoder's 65 MB of embeddings) stays resident wherever it was read,
    so every article's vocabulary adds to the process's resident memory; the pages are clean copies of the
    file, read again (from the page cache) when next needed. False when ``array`` is not mapped from a file.
    """
    import mmap

    base = array
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    m = getattr(base, "_mmap", None)
    if m is None or not hasattr(mmap, "MADV_DONTNEED"):
        return False
    m.madvise(mmap.MADV_DONTNEED)
    return True


def _store(root: Path, name: str, key: str, write: Callable[[Path], None]) -> None:
    """Fill a new folder with ``write(folder)`` and move it into place as ``root/key``."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a cache folder shared between users must be readable
        write(tmp)
        (tmp / OWNER).write_text(install_id() + "\n", encoding="utf-8")
        (tmp / DONE).write_text("1\n", encoding="ascii")
        target = root / key
        if target.exists() and not (target / DONE).is_file():  # left incomplete by hand or a damaged disk
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)  # atomic; fails if another process got there first
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            return
        raise
    for old in root.glob(f"{name}-*"):  # earlier versions of the same table, of this install only
        if old.name != key and _ours(old):
            shutil.rmtree(old, ignore_errors=True)


def cached_arrays(root: Path | None, name: str, sources: list[Path],
                  build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays ``build()`` returns, from the cache when it holds them for these ``sources``.

    Keys must be usable as file names; values plain (non-object) arrays. Arrays
    read from the cache are read-only memory maps. ``root`` None: no cache.
    """
    try:
        key = _key(name, sources)
    except OSError:
        root = None
    if root is not None:
        got = _load(root / key)
        if got is not None:
            return got
    arrays = build()

    def write(folder: Path) -> None:
        for k, v in arrays.items():
            np.save(folder / f"{k}.npy", np.ascontiguousarray(v), allow_pickle=False)

    if root is not None:
        try:
            _store(root, name, key, write)
        except OSError:
            pass
    return arrays


def cached_file(root: Path | None, name: str, sources: list[Path], extra: str,
                build: Callable[[Path], None]) -> Path | None:
    """A file derived from ``sources`` (and the ``extra`` key, e.g. library versions), built once.

    ``build(path)`` writes the file; None when caching is off or failed (the
    caller then uses the sources directly).
    """
    if root is None:
        return None
    try:
        key = _key(name, sources, extra)
        target = root / key / name
        if (root / key / DONE).is_file() and target.is_file():
            return target
        _store(root, name, key, lambda folder: build(folder / name))
    except Exception:  # noqa: BLE001 - a cache is an optimisation: any failure means "no cache"
        return None
    return target if target.is_file() else None


def forget(root: Path | None, name: str) -> None:
    """Remove this install's cached copies of ``name`` (one that proved wrong is rebuilt on the next run)."""
    if root is not None and root.is_dir():
        for folder in root.glob(f"{name}-*"):
            if _ours(folder):
                shutil.rmtree(folder, ignore_errors=True)
