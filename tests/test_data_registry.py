"""load_dataset: the dataset names, their default sizes and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import aeai_lib.data as data_package
from aeai_lib.data import ImageDataset, load_dataset


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AEAI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AEAI_NO_CACHE", raising=False)
    return tmp_path


def test_package_reexports() -> None:
    assert set(data_package.__all__) == {
        "ImageDataset",
        "folder",
        "lines",
        "load_dataset",
        "objects",
        "pole",
    }
    assert callable(data_package.pole.render) and callable(data_package.lines.render)
    assert callable(data_package.objects.render)
    assert callable(data_package.folder.load_folder)


def test_pole_default_and_custom_size() -> None:
    data = load_dataset("pole")
    assert isinstance(data, ImageDataset)
    assert data.name == "pole" and data.size == 64 and len(data) == 576
    assert load_dataset("pole", size=16, seed=2).size == 16


def test_objects_default_and_50(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = []
    monkeypatch.setattr(
        "aeai_lib.data.objects.dataset",
        lambda spec, size: rendered.append((spec.name, spec.n_objects, size)),
    )
    load_dataset("objects")
    load_dataset("objects:50", size=32)
    assert rendered == [("objects", 10, 64), ("objects:50", 50, 32)]


def test_lines_default_size() -> None:
    data = load_dataset("lines")
    assert data.name == "lines" and data.size == 32 and data.channels == 1
    assert len(data.test_idx) == 5000


def test_folder_spec(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    for angle in (0, 5):
        Image.new("RGB", (20, 20), (angle, 0, 0)).save(images / f"obj7__{angle}.png")
    data = load_dataset(f"folder:{images}")
    assert data.name == f"folder:{images}" and data.size == 64 and len(data) == 2
    assert load_dataset(f"folder:{images}", size=16).size == 16


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown dataset 'poles'; choose one of: folder:PATH, lines, objects, "
        r"objects:OPTIONS, pole",
    ):
        load_dataset("poles")


def test_folder_without_path() -> None:
    with pytest.raises(ValueError, match=r"'folder:' has no path; write it as 'folder:/path"):
        load_dataset("folder:")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset(f"folder:{tmp_path / 'missing'}")


def test_spec_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="dataset spec must be a string such as 'pole'"):
        load_dataset(3)


def test_bad_size_reaches_the_dataset() -> None:
    with pytest.raises(ValueError, match=r"size must be an int in \[16, 512\]"):
        load_dataset("pole", size=0)
