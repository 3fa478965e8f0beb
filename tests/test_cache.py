"""The on-disk dataset cache: hits, misses, corrupt or stale files, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from aeai_lib.data import cache

KEY = {"size": 8, "seed": 0}


class CountingBuild:
    """A build function that counts its calls."""

    def __init__(self, value: float = 1.0) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> dict[str, torch.Tensor]:
        self.calls += 1
        return {"images": torch.full((2, 1, 8, 8), self.value), "params": torch.arange(2.0)}


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AEAI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AEAI_NO_CACHE", raising=False)
    return tmp_path


def only_file(directory: Path) -> Path:
    files = list(directory.iterdir())
    assert len(files) == 1, files
    return files[0]


def test_second_call_loads_without_building(data_dir: Path) -> None:
    build = CountingBuild()
    first = cache.cached("toy", KEY, build)
    second = cache.cached("toy", KEY, build)
    assert build.calls == 1
    assert first.keys() == second.keys()
    for name in first:
        assert torch.equal(first[name], second[name])
    assert only_file(data_dir / "cache").name.startswith("toy-")


def test_other_key_gets_its_own_file(data_dir: Path) -> None:
    build = CountingBuild()
    cache.cached("toy", KEY, build)
    cache.cached("toy", {"size": 16, "seed": 0}, build)
    assert build.calls == 2
    assert len(list((data_dir / "cache").glob("toy-*.pt"))) == 2


def test_cache_dir_argument_wins_over_the_environment(tmp_path: Path) -> None:
    own = tmp_path / "elsewhere"
    cache.cached("toy", KEY, CountingBuild(), cache_dir=own)
    assert only_file(own).suffix == ".pt"
    assert not (tmp_path / "cache").exists()


def test_default_directory_is_data_cache_beside_the_package(monkeypatch) -> None:
    monkeypatch.delenv("AEAI_DATA_DIR")
    repo = Path(cache.__file__).resolve().parents[2]
    assert cache.cache_directory() == repo / "data" / "cache"
    assert (repo / "aeai_lib").is_dir()


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_caching_can_be_switched_off(data_dir: Path, monkeypatch, how: str) -> None:
    build = CountingBuild()
    if how == "environment":
        monkeypatch.setenv("AEAI_NO_CACHE", "1")
    cache_dir = False if how == "argument" else None
    cache.cached("toy", KEY, build, cache_dir=cache_dir)
    cache.cached("toy", KEY, build, cache_dir=cache_dir)
    assert build.calls == 2
    assert not (data_dir / "cache").exists()


def rebuilt_after(data_dir: Path, damage, match: str) -> None:
    """Damage the cache file, then check a warning names it and why, and that it is rebuilt."""
    build = CountingBuild()
    cache.cached("toy", KEY, build)
    path = only_file(data_dir / "cache")
    damage(path)
    with pytest.warns(UserWarning, match=rf"cache file .*{path.name} is not used because {match}"):
        tensors = cache.cached("toy", KEY, build)
    assert build.calls == 2
    assert torch.equal(tensors["images"], CountingBuild()()["images"])
    cache.cached("toy", KEY, build)  # the rewritten file is valid again
    assert build.calls == 2


def test_truncated_file_is_rebuilt(data_dir: Path) -> None:
    def truncate(path: Path) -> None:
        path.write_bytes(path.read_bytes()[:100])

    rebuilt_after(data_dir, truncate, "it cannot be read")


def test_garbage_file_is_rebuilt(data_dir: Path) -> None:
    rebuilt_after(data_dir, lambda path: path.write_bytes(b"garbage"), "it cannot be read")


def test_tampered_tensor_is_rebuilt(data_dir: Path) -> None:
    def tamper(path: Path) -> None:
        stored = torch.load(path, weights_only=True)
        stored["tensors"]["images"][0, 0, 0, 0] = 0.5
        torch.save(stored, path)

    rebuilt_after(data_dir, tamper, "its checksum does not match")


def test_wrong_checksum_is_rebuilt(data_dir: Path) -> None:
    def wrong_checksum(path: Path) -> None:
        stored = torch.load(path, weights_only=True)
        stored["checksum"] = "0" * 64
        torch.save(stored, path)

    rebuilt_after(data_dir, wrong_checksum, "its checksum does not match")


def test_stale_key_is_rebuilt(data_dir: Path) -> None:
    def stale(path: Path) -> None:
        stored = torch.load(path, weights_only=True)
        stored["key_text"] = stored["key_text"].replace('"size": 8', '"size": 9')
        torch.save(stored, path)

    rebuilt_after(data_dir, stale, r"it is stale: it was built for .*\"size\": 9")


def test_file_without_tensors_is_rebuilt(data_dir: Path) -> None:
    rebuilt_after(data_dir, lambda path: torch.save({"x": 1}, path), "it does not hold")


def test_writes_leave_no_temporary_files(data_dir: Path) -> None:
    cache.cached("toy", KEY, CountingBuild())
    cache.cached("toy", {"size": 4}, CountingBuild())
    names = [path.name for path in (data_dir / "cache").iterdir()]
    assert len(names) == 2 and all(name.endswith(".pt") for name in names)


def test_failed_write_leaves_nothing_behind(data_dir: Path, monkeypatch) -> None:
    def broken_save(*args, **kwargs) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        cache.cached("toy", KEY, CountingBuild())
    assert list((data_dir / "cache").iterdir()) == []


def test_failed_rewrite_keeps_the_old_file_intact(data_dir: Path, monkeypatch) -> None:
    build = CountingBuild()
    cache.cached("toy", KEY, build)
    path = only_file(data_dir / "cache")
    before = path.read_bytes()

    def half_save(obj, file) -> None:
        file.write(before[: len(before) // 2])
        raise OSError("interrupted")

    monkeypatch.setattr(torch, "save", half_save)
    with pytest.raises(OSError, match="interrupted"):
        cache._write(path, "toy", KEY, build())
    assert path.read_bytes() == before
    assert only_file(data_dir / "cache") == path


def test_cache_dir_true_is_rejected() -> None:
    with pytest.raises(TypeError, match="cache_dir must be a path, None .* or False"):
        cache.cached("toy", KEY, CountingBuild(), cache_dir=True)
