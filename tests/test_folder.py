"""Loading a folder of the user's images named like COIL-100 (obj12__35.png)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aeai_lib.data.folder import load_folder

OBJECTS = (1, 2)
ANGLES = (0, 5, 10, 355)


def colour(object_id: int, angle: int) -> tuple[int, int, int]:
    """A uniform colour that identifies each (object, angle), so sorting can be checked."""
    return (100 * object_id, ANGLES.index(angle) * 60, 30)


def write(path: Path, mode: str = "RGB", size: int = 20, value=(0, 0, 0)) -> None:
    Image.new(mode, (size, size), value).save(path)


@pytest.fixture
def coil(tmp_path: Path) -> Path:
    """2 objects x 4 angles, 20x20 RGB, written in shuffled order, plus a README to ignore."""
    for angle in reversed(ANGLES):
        for object_id in reversed(OBJECTS):
            write(tmp_path / f"obj{object_id}__{angle}.png", value=colour(object_id, angle))
    (tmp_path / "README.txt").write_text("not an image")
    return tmp_path


def test_parses_sorts_resizes_and_keeps_rgb(coil: Path) -> None:
    data = load_folder(coil, size=16)
    expected = [(o, a) for o in OBJECTS for a in ANGLES]
    assert data.name == f"folder:{coil}"
    assert data.params.dtype == torch.float64
    assert data.params.tolist() == [[float(o), float(a)] for o, a in expected]
    assert data.param_names == ("object", "angle") and data.param_periods == (None, 360.0)
    assert data.images.shape == (8, 3, 16, 16) and data.images.dtype == torch.float32
    assert data.images.min() >= 0 and data.images.max() <= 1
    for image, (o, a) in zip(data.images, expected, strict=True):
        target = torch.tensor(colour(o, a), dtype=torch.float32).view(3, 1, 1) / 255
        assert torch.allclose(image, target.expand(3, 16, 16), atol=1 / 255)


def test_resizes_with_a_bilinear_filter(tmp_path: Path) -> None:
    image = Image.new("L", (20, 20), 0)
    image.paste(255, (0, 0, 10, 20))  # left half white
    image.save(tmp_path / "obj3__90.png")
    data = load_folder(tmp_path, size=64)
    assert data.images.shape == (1, 1, 64, 64)
    row = data.images[0, 0, 32]
    assert row[0] == 1.0 and row[-1] == 0.0
    assert ((row > 0) & (row < 1)).any()  # a smooth edge, not nearest-neighbour


def test_all_grayscale_gives_one_channel_and_mixed_gives_rgb(tmp_path: Path) -> None:
    for angle in ANGLES:
        write(tmp_path / f"obj1__{angle}.png", mode="L", value=angle)
    assert load_folder(tmp_path, size=16).images.shape == (4, 1, 16, 16)
    write(tmp_path / "obj2__0.png", value=(255, 0, 0))
    data = load_folder(tmp_path, size=16)
    assert data.images.shape == (5, 3, 16, 16)
    gray = data.images[1]  # obj1__5: gray value 5 in all three channels
    assert torch.allclose(gray, torch.full_like(gray, 5 / 255), atol=1e-6)


def test_extensions_decimals_and_case(tmp_path: Path) -> None:
    write(tmp_path / "obj1__0.PNG")
    write(tmp_path / "obj1__2.5.jpg")
    write(tmp_path / "OBJ1__10.jpeg")
    data = load_folder(tmp_path, size=16)
    assert data.params[:, 1].tolist() == [0.0, 2.5, 10.0]


def test_custom_pattern_without_object(tmp_path: Path) -> None:
    for angle in (30, 0, 15):
        write(tmp_path / f"view_{angle}.png")
    data = load_folder(tmp_path, size=16, pattern=r"view_(?P<angle>\d+)\.png")
    assert data.params.tolist() == [[0.0, 0.0], [0.0, 15.0], [0.0, 30.0]]


def test_split_is_80_20_and_seeded(coil: Path) -> None:
    data = load_folder(coil, size=16)
    train, test = set(data.train_idx.tolist()), set(data.test_idx.tolist())
    assert len(test) == 2 and len(train) == 6
    assert train.isdisjoint(test) and train | test == set(range(8))
    assert torch.equal(load_folder(coil, size=16, seed=0).test_idx, data.test_idx)
    seeds = [load_folder(coil, size=16, seed=seed).test_idx.tolist() for seed in range(1, 6)]
    assert any(split != data.test_idx.tolist() for split in seeds)


def test_writes_nothing(coil: Path) -> None:
    before = sorted(coil.iterdir())
    load_folder(coil, size=16)
    assert sorted(coil.iterdir()) == before


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"image folder .*nowhere.* does not exist; check the path"
    ):
        load_folder(tmp_path / "nowhere")


def test_path_of_the_wrong_type(coil: Path) -> None:
    with pytest.raises(TypeError, match=r"path must be a folder path \(str or pathlib.Path\)"):
        load_folder(None)


def test_path_is_a_file(coil: Path) -> None:
    with pytest.raises(ValueError, match=r"obj1__0.png' is a file, not a folder; pass the folder"):
        load_folder(coil / "obj1__0.png")


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no image files .* \(saw nothing\); expected names"):
        load_folder(tmp_path)


def test_folder_without_images_shows_a_file_seen(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"saw e.g. 'notes.txt'.*expected names matching .*obj"):
        load_folder(tmp_path)


def test_corrupt_image_is_named(coil: Path) -> None:
    (coil / "obj3__0.png").write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match=r"cannot read image .*obj3__0.png.*replace or remove"):
        load_folder(coil)


def test_truncated_image_is_named(coil: Path) -> None:
    Image.new("RGB", (20, 20), (1, 2, 3)).save(coil / "obj3__0.png")
    data = (coil / "obj3__0.png").read_bytes()
    (coil / "obj3__0.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cannot read image .*obj3__0.png"):
        load_folder(coil)


def test_mixed_sizes_name_two_files_and_sizes(coil: Path) -> None:
    write(coil / "obj2__20.png", size=24)
    with pytest.raises(
        ValueError,
        match=r"share one size: 'obj1__0.png' is 20x20 but 'obj2__20.png' is 24x24; resize",
    ):
        load_folder(coil)


def test_unparsable_name_is_named_with_the_pattern(coil: Path) -> None:
    write(coil / "photo.png")
    with pytest.raises(ValueError, match=r"'photo.png'.*does not match the pattern 'obj"):
        load_folder(coil)


def test_duplicate_object_and_angle(coil: Path) -> None:
    write(coil / "obj1__05.png")
    with pytest.raises(ValueError, match=r"'obj1__05.png' and 'obj1__5.png' both hold object 1"):
        load_folder(coil)


@pytest.mark.parametrize(
    ("pattern", "error", "match"),
    [
        (r"obj(\d+)__(\d+)\.png", ValueError, r"no named group 'angle'"),
        (r"obj(?P<angle>\d+", ValueError, r"not a valid regular expression"),
        (None, TypeError, r"pattern must be a regular expression string"),
    ],
)
def test_bad_pattern(coil: Path, pattern, error, match) -> None:
    with pytest.raises(error, match=match):
        load_folder(coil, pattern=pattern)


def test_bad_size(coil: Path) -> None:
    with pytest.raises(ValueError, match=r"size must be an int in \[16, 512\]"):
        load_folder(coil, size=1000)


# Issue #16, rows 1 and 2: bit depth and transparency, in every pixel mode the loader reads.

SIXTEEN_BIT = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)


def test_16_bit_grayscale_is_scaled_by_its_bit_depth(tmp_path: Path) -> None:
    """16-bit PNGs loaded as all 1.0 in three channels; now /65535, single-channel."""
    for angle in (0, 10):
        Image.fromarray(np.kron(SIXTEEN_BIT, np.ones((8, 8), np.uint16))).save(
            tmp_path / f"obj1__{angle}.png"
        )
    assert Image.open(tmp_path / "obj1__0.png").mode.startswith("I")  # really 16-bit
    data = load_folder(tmp_path, size=16)
    assert data.images.shape == (2, 1, 16, 16)
    expected = torch.from_numpy(np.kron(SIXTEEN_BIT, np.ones((8, 8))) / 65535).float()
    torch.testing.assert_close(data.images[0, 0], expected, atol=1e-6, rtol=0)


def test_16_bit_grayscale_beside_rgb_repeats_its_grey(tmp_path: Path) -> None:
    Image.fromarray(np.full((16, 16), 13107, np.uint16)).save(tmp_path / "obj1__0.png")  # 0.2
    write(tmp_path / "obj1__10.png", size=16, value=(255, 0, 0))
    data = load_folder(tmp_path, size=16)
    assert data.images.shape == (2, 3, 16, 16)
    torch.testing.assert_close(data.images[0], torch.full((3, 16, 16), 0.2), atol=1e-6, rtol=0)


def test_low_bit_depths_span_zero_to_one(tmp_path: Path) -> None:
    Image.new("1", (16, 16), 1).save(tmp_path / "obj1__0.png")
    Image.new("1", (16, 16), 0).save(tmp_path / "obj1__10.png")
    data = load_folder(tmp_path, size=16)
    assert data.images[0].min() == 1.0 and data.images[1].max() == 0.0


def _transparent(mode: str, path: Path) -> None:
    """A 16x16 image in ``mode``: left half opaque (colour or grey 200), right half fully
    transparent over a hidden bright colour (or grey 255)."""
    left, hidden = (200, 0, 0), (0, 255, 255)
    if mode == "RGBA":
        image = Image.new("RGBA", (16, 16), (*hidden, 0))
        image.paste((*left, 255), (0, 0, 8, 16))
        image.save(path)
    elif mode == "LA":
        image = Image.new("LA", (16, 16), (255, 0))
        image.paste((200, 255), (0, 0, 8, 16))
        image.save(path)
    elif mode == "P":
        image = Image.new("P", (16, 16), 1)
        image.putpalette([*hidden, *left] + [0] * 762)  # index 0 hidden, 1 the colour
        image.paste(1, (0, 0, 8, 16))
        image.paste(0, (8, 0, 16, 16))
        image.save(path, transparency=0)
    elif mode in ("RGB", "L"):  # a tRNS colour key
        key, colour = (hidden, left) if mode == "RGB" else (255, 200)
        image = Image.new(mode, (16, 16), key)
        image.paste(colour, (0, 0, 8, 16))
        image.save(path, transparency=key)
    else:  # 16-bit grey with a tRNS key
        pixels = np.full((16, 16), 65535, np.uint16)
        pixels[:, :8] = 200 * 257
        Image.fromarray(pixels).save(path, transparency=65535)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "RGB", "L", "I;16"])
@pytest.mark.parametrize("background", [0.0, 1.0], ids=["black", "white"])
def test_transparent_pixels_show_the_background_not_the_hidden_colour(
    tmp_path: Path, mode: str, background: float
) -> None:
    """Hidden colours under transparent pixels showed through; now they are composited onto
    the background (black by default, COIL-100's)."""
    _transparent(mode, tmp_path / "obj1__0.png")
    data = load_folder(tmp_path, size=16, background=background)
    image = data.images[0]
    assert image.shape[0] == (1 if mode in ("LA", "L", "I;16") else 3)
    torch.testing.assert_close(image[..., 8:], torch.full_like(image[..., 8:], background))
    visible = image[..., :8]
    expected = 200 / 255 if image.shape[0] == 1 else torch.tensor([200 / 255, 0, 0])
    torch.testing.assert_close(
        visible, torch.as_tensor(expected).float().reshape(-1, 1, 1).expand_as(visible)
    )


def test_the_default_background_is_black_and_half_alpha_blends(tmp_path: Path) -> None:
    Image.new("RGBA", (16, 16), (255, 0, 0, 102)).save(tmp_path / "obj1__0.png")  # 40% opaque
    image = load_folder(tmp_path, size=16).images[0]
    torch.testing.assert_close(image[:, 0, 0], torch.tensor([0.4, 0.0, 0.0]))


@pytest.mark.parametrize("background", [-0.1, 1.5, float("nan")])
def test_background_outside_zero_to_one_is_refused(coil: Path, background: float) -> None:
    with pytest.raises(ValueError, match="background must be"):
        load_folder(coil, background=background)


def test_name_records_the_absolute_folder(coil: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #16, row 12: a relative path was recorded as given."""
    monkeypatch.chdir(coil.parent)
    data = load_folder(coil.name, size=16)
    assert data.name == f"folder:{coil}"


# ---------------------------------------------------------------- unreadable and oversized files
# (issue 27 rows 4 and 5: CAMMA-public/Endoscapes#3, scalableminds/webknossos-libs#892)


def _break_links(folder: Path, count: int) -> list[str]:
    """Turn the first ``count`` images of ``folder`` into links to files that do not exist."""
    names = sorted(p.name for p in folder.glob("obj*.png"))[:count]
    for name in names:
        (folder / name).unlink()
        (folder / name).symlink_to(folder / "gone" / name)
    return names


def test_a_folder_of_broken_links_names_them(coil: Path) -> None:
    names = _break_links(coil, 8)
    with pytest.raises(
        ValueError, match=r"cannot read image files .*\(8 of the 8 image files\)"
    ) as e:
        load_folder(coil)
    assert all(name in str(e.value) for name in names)
    assert "broken link" in str(e.value) and "--skip-unreadable" not in str(e.value)


def test_half_broken_links_are_refused_by_name_or_skipped_with_a_count(coil: Path) -> None:
    names = _break_links(coil, 4)
    with pytest.raises(ValueError, match=r"\(4 of the 8 image files\).*--skip-unreadable") as e:
        load_folder(coil)
    assert all(f"{name!r} (a broken link" in str(e.value) for name in names)
    with pytest.warns(UserWarning, match=r"skipped 4 of the 8 image files") as caught:
        data = load_folder(coil, skip_unreadable=True)
    assert all(name in str(caught[0].message) for name in names)
    assert len(data) == 4


def test_an_image_without_read_permission_is_named(
    coil: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = Image.open

    def refuse_one(path, *args, **kwargs):  # as for a mode-000 file read by a non-root user
        if Path(path).name == "obj1__0.png":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", refuse_one)
    with pytest.raises(ValueError, match=r"'obj1__0.png' \(permission denied\)"):
        load_folder(coil)


def _png_header(path: Path, width: int, height: int) -> None:
    """A PNG that declares width x height 8-bit RGB pixels and holds none (a header only)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [13500, 10000], ids=["over-2x-PIL-limit", "over-PIL-limit"])
def test_an_oversized_image_is_refused_from_its_header_by_name_and_size(
    coil: Path, side: int
) -> None:
    _png_header(coil / "obj9__0.png", side, side)
    with pytest.raises(ValueError, match=rf"obj9__0.png' is {side}x{side} pixels .*shrink it"):
        load_folder(coil)


def test_the_cli_refuses_unreadable_files_by_name_or_skips_them_printing_the_count(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from aeai_lib.cli import main

    folder = tmp_path / "views"
    folder.mkdir()
    for angle in range(0, 360, 30):
        write(folder / f"obj1__{angle}.png", mode="L", size=32, value=angle // 2)
    names = _break_links(folder, 4)
    argv = ["train", "--method", "ae", "--steps", "1", "--batch-size", "4", "--no-progress"]
    argv += ["--dataset", f"folder:{folder}", "--out", str(tmp_path / "m.pt")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and names[0] in err, err
    assert main([*argv, "--skip-unreadable"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("warning: skipped 4 of the 12 image files in ") and names[0] in err
