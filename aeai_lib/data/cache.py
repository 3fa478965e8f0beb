"""On-disk cache for generated datasets (pole, lines), so that they are rendered once.

Where: ``<repo>/data/cache/`` by default (``data/`` beside the ``aeai_lib`` package folder);
``$AEAI_DATA_DIR/cache/`` when the environment variable ``AEAI_DATA_DIR`` is set; or the
``cache_dir`` argument of :func:`cached`, which wins over both. ``cache_dir=False`` or
``AEAI_NO_CACHE=1`` switches caching off (every call builds).

What: one ``<name>-<hash>.pt`` file per dataset, where the hash covers the name, the
generating parameters (``key``) and :data:`CACHE_FORMAT`. The file, written with
:func:`torch.save` and read with ``torch.load(..., weights_only=True)``, holds the tensors,
the key parameters and a sha256 checksum of the tensors' bytes.

Safety: a file that cannot be read (truncated, not a torch file), whose checksum does not
match its tensors, or whose stored key differs from the requested one (stale) is never used:
a warning names the file and the reason, and the dataset is rebuilt and rewritten. Writes go
to a temporary file in the same directory, then :func:`os.replace` swaps it in, so a crash
never leaves a half-written cache file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from aeai_lib.atomic import open_atomic

CacheDir = str | os.PathLike[str] | bool | None
"""A cache location: a directory, None (the default location) or False (no cache)."""

CACHE_FORMAT = 1
"""Version of the file layout; bumping it invalidates every cached file."""

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
"""``data/`` beside the ``aeai_lib`` package folder (the repository's ``data/``)."""


class StaleCacheError(Exception):
    """Raised internally when a cache file exists but must not be used; the message says why."""


def cache_directory(cache_dir: CacheDir = None) -> Path | None:
    """Resolve where cache files live, or None when caching is off.

    ``cache_dir``: a directory, ``False`` (off), or ``None`` for the default
    (``$AEAI_DATA_DIR/cache`` if set, else ``<repo>/data/cache``; off if ``AEAI_NO_CACHE=1``).
    """
    if cache_dir is False:
        return None
    if cache_dir is True:
        raise TypeError("cache_dir must be a path, None (default location) or False (no cache)")
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("AEAI_NO_CACHE", "") == "1":
        return None
    data_dir = os.environ.get("AEAI_DATA_DIR")
    return (Path(data_dir) if data_dir else DEFAULT_DATA_DIR) / "cache"


def _key_text(name: str, key: dict) -> str:
    """Canonical JSON of the name, key and format version (what the file name's hash covers)."""
    return json.dumps({"name": name, "key": key, "format": CACHE_FORMAT}, sort_keys=True)


def cache_path(name: str, key: dict, directory: Path) -> Path:
    """The file for dataset ``name`` with generating parameters ``key`` (JSON-serialisable)."""
    digest = hashlib.sha256(_key_text(name, key).encode()).hexdigest()[:16]
    return directory / f"{name}-{digest}.pt"


def checksum(tensors: dict[str, torch.Tensor]) -> str:
    """sha256 over the names, dtypes, shapes and bytes of ``tensors`` (in name order)."""
    digest = hashlib.sha256()
    for tensor_name in sorted(tensors):
        tensor = tensors[tensor_name].detach().cpu().contiguous()
        digest.update(f"{tensor_name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def _read(path: Path, name: str, key: dict) -> dict[str, torch.Tensor]:
    """Load and verify one cache file; raise StaleCacheError saying why it cannot be used."""
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated zip, not a torch file, unpickling refused, ...
        raise StaleCacheError(f"it cannot be read ({type(error).__name__}: {error})") from None
    tensors = stored.get("tensors") if isinstance(stored, dict) else None
    if not isinstance(tensors, dict) or not all(
        isinstance(value, torch.Tensor) for value in tensors.values()
    ):
        raise StaleCacheError("it does not hold a dictionary of tensors")
    if stored.get("key_text") != _key_text(name, key):
        raise StaleCacheError(
            f"it is stale: it was built for {stored.get('key_text')}, not {_key_text(name, key)}"
        )
    if stored.get("checksum") != checksum(tensors):
        raise StaleCacheError("its checksum does not match its contents (corrupt or edited)")
    return tensors


def _write(path: Path, name: str, key: dict, tensors: dict[str, torch.Tensor]) -> None:
    """Atomically write a cache file: a temporary file in the same directory, then os.replace."""
    entry = {
        "key_text": _key_text(name, key),
        "checksum": checksum(tensors),
        "tensors": tensors,
    }
    with open_atomic(path) as file:
        torch.save(entry, file)


def cached(
    name: str,
    key: dict,
    build: Callable[[], dict[str, torch.Tensor]],
    cache_dir: CacheDir = None,
) -> dict[str, torch.Tensor]:
    """Return ``build()``'s tensors, from the cache file when a valid one exists.

    Args:
        name: dataset name, used in the file name (e.g. ``"pole"``).
        key: every parameter the tensors depend on, JSON-serialisable (sizes, seeds, a
            renderer version); a different key means a different file.
        build: makes the tensors, called only on a cache miss or an unusable file.
        cache_dir: see :func:`cache_directory` (None: default location, False: no cache).

    Returns:
        dict of CPU tensors, exactly as ``build`` returned them (or as they were saved).
    """
    directory = cache_directory(cache_dir)
    if directory is None:
        return build()
    path = cache_path(name, key, directory)
    if path.exists():
        try:
            return _read(path, name, key)
        except StaleCacheError as reason:
            warnings.warn(
                f"dataset cache file {path} is not used because {reason}; rebuilding it",
                stacklevel=2,
            )
    tensors = build()
    _write(path, name, key, tensors)
    return tensors
