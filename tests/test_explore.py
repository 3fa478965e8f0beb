"""``python -m aeai_lib explore``: bad input refused before a server starts, the page's
widgets in the kernel, and the served page in a real Chromium (Voilà, Playwright).

The browser test starts the command as a user would, on two 2-step 32 px pole checkpoints,
opens the page in Debian's Chromium, moves the alpha slider (the decoded image changes),
chooses another pair (both endpoints change), then sends SIGINT as Ctrl-C does: the command
exits 0, its port closes and no kernel it started is left. Saves
``test-artifacts/explore_page.png``. Needs /usr/bin/chromium; AEAI_SKIP_BROWSER=1 skips it
where Chromium is missing, as in tests/test_browser.py.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from aeai_lib.cli import main
from aeai_lib.data import lines, pole
from aeai_lib.explore_app import build_page, check_checkpoints, pair_options
from aeai_lib.methods import make_method
from aeai_lib.models import ModelConfig
from aeai_lib.training import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TINY = TrainConfig(steps=2, batch_size=4, checkpoint_every=0, device="cpu")
PAGE_TIMEOUT_MS = 180_000
UPDATE_TIMEOUT_MS = 30_000
SERVE_TIMEOUT_S = 120
# SHA-256 of the bytes behind an <img>'s src (as tests/test_browser.py)
IMAGE_DIGEST_JS = """async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}"""


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two 2-step checkpoints on the 32 px pole (AE and AE+A) and one on lines."""
    folder = tmp_path_factory.mktemp("explore")
    config = ModelConfig(image_size=32, channels=3, latent_dim=8)
    paths = []
    for name, method in (("ae", make_method("ae")), ("ae_a", make_method("ae", lambda_adv=0.01))):
        torch.manual_seed(0)
        path = folder / f"{name}.pt"
        train(pole.dataset(size=32), method, TINY, model_config=config, checkpoint=path,
              progress=False)  # fmt: skip
        paths.append(path)
    path = folder / "lines.pt"
    train(lines.dataset(size=32, n_train=64, n_test=16), make_method("ae"), TINY,
          model_config=ModelConfig(image_size=32, channels=1, latent_dim=8), checkpoint=path,
          progress=False)  # fmt: skip
    return [*paths, path]


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a server process is started."""

    def started(*_args, **_kwargs):
        raise AssertionError("a server started before the bad input was refused")

    monkeypatch.setattr("aeai_lib.explore_app.subprocess.Popen", started)


def _one_error_line(argv: list[str], capsys: pytest.CaptureFixture, match: str) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines_ = captured.err.strip().splitlines()
    assert len(lines_) == 1 and lines_[0].startswith("error: "), captured.err
    assert re.search(match, lines_[0]), lines_[0]


def test_a_missing_checkpoint_is_one_line_before_any_server(tmp_path, capsys, no_server) -> None:
    _one_error_line(["explore", str(tmp_path / "gone.pt")], capsys, r"no checkpoint at .*gone\.pt")


def test_an_unreadable_checkpoint_is_one_line(tmp_path, checkpoints, capsys, no_server) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    _one_error_line(
        ["explore", str(checkpoints[0]), str(junk)], capsys, r"junk\.pt is not an aeai_lib"
    )
    if os.geteuid() != 0:  # root reads any file
        locked = tmp_path / "locked.pt"
        locked.write_bytes(checkpoints[0].read_bytes())
        locked.chmod(0)
        _one_error_line(["explore", str(locked)], capsys, r"cannot read the checkpoint")


def test_checkpoints_of_other_data_are_refused(checkpoints, capsys, no_server) -> None:
    _one_error_line(
        ["explore", str(checkpoints[0]), str(checkpoints[2])], capsys, r"lines at 32 px but"
    )


def test_a_checkpoint_whose_image_folder_is_gone_is_refused(
    tmp_path, checkpoints, capsys, no_server
) -> None:
    record = torch.load(checkpoints[0], weights_only=True)
    record["dataset"] = f"folder:{tmp_path / 'gone'}"
    moved = tmp_path / "moved.pt"
    torch.save(record, moved)
    _one_error_line(["explore", str(moved)], capsys, r"image folder .*gone.*does not exist")


def test_a_taken_port_is_refused(checkpoints, capsys, no_server) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_error_line(
            ["explore", str(checkpoints[0]), "--port", str(port)], capsys, rf"--port {port}"
        )


def test_check_checkpoints_gives_absolute_paths(checkpoints) -> None:
    assert check_checkpoints(checkpoints[:2]) == [p.absolute() for p in checkpoints[:2]]


def test_pair_options_are_distinct_test_images() -> None:
    data = pole.dataset(size=32)
    options = pair_options(data, count=8)
    assert len(options) == 8
    ends = [index for _, pair in options for index in pair]
    assert len(set(ends)) == 16 and set(ends) <= set(data.test_idx.tolist())
    assert options[0][0].startswith(f"#{options[0][1][0]} (theta=")


def test_choosing_a_pair_sets_both_endpoints(checkpoints, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(Path.cwd())  # build_page moves to workdir: back after the test
    page = build_page([str(p) for p in checkpoints[:2]], workdir=tmp_path)
    assert Path.cwd() == tmp_path
    explorer, images = page.explorer, page.endpoints
    before = [image.value for image in images] + [explorer.decoded_images[0].clone()]
    page.pair.value = page.pair.options[3][1]
    assert (explorer.index_a.value, explorer.index_b.value) == page.pair.options[3][1]
    assert all(image.value != old for image, old in zip(images, before[:2], strict=True))
    assert not torch.equal(explorer.decoded_images[0], before[2])


# ---------------------------------------------------------------- the page in Chromium


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in command:
                found.append(f"{entry.name}: {command}")
    return found


def _wait_for_url(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while time.monotonic() < deadline:
        found = re.search(r"is at (http://\S+/)", log.read_text())
        if found:
            return found.group(1)
        if process.poll() is not None:
            pytest.fail(f"explore exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.25)
    pytest.fail(f"explore did not serve within {SERVE_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.mark.browser
def _terminal_ctrl_c() -> None:
    """In the child: Ctrl-C as a terminal delivers it (a suite started in the background, e.g.
    under nohup, hands its children SIGINT ignored, and Python then never raises
    KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_the_explore_page_in_chromium(checkpoints, tmp_path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("AEAI_SKIP_BROWSER") == "1":
            pytest.skip("AEAI_SKIP_BROWSER=1 and /usr/bin/chromium is missing")
        pytest.fail("/usr/bin/chromium is missing: apt-get install chromium (scripts/test.sh)")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    temp = tmp_path / "tmp"  # the command's temporary files, and so its kernels' command lines
    temp.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(temp),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    port, log = _free_port(), tmp_path / "explore.log"
    command = [sys.executable, "-m", "aeai_lib", "explore", *map(str, checkpoints[:2])]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, cwd=tmp_path, stdout=out, stderr=out,
            preexec_fn=_terminal_ctrl_c,
        )  # fmt: skip
    try:
        url = _wait_for_url(process, log)
        assert url == f"http://127.0.0.1:{port}/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            try:
                page.goto(url, timeout=PAGE_TIMEOUT_MS)
                decoded = page.locator("img.aeai-decoded").first
                expect(decoded).to_have_attribute(
                    "src", re.compile(r"^(blob|data):"), timeout=PAGE_TIMEOUT_MS
                )
                ends = [page.locator(f".aeai-endpoint-{name} img, img.aeai-endpoint-{name}")
                        .first for name in ("a", "b")]  # fmt: skip
                before = decoded.evaluate(IMAGE_DIGEST_JS)
                ends_before = [end.evaluate(IMAGE_DIGEST_JS) for end in ends]

                slider = page.locator(".aeai-alpha .noUi-handle")
                slider.focus()
                for _ in range(30):  # alpha 0.5 -> 0.8 in steps of 0.01
                    slider.press("ArrowRight")
                readout = page.locator(".aeai-alpha .widget-readout")
                expect(readout).to_have_text("0.80", timeout=UPDATE_TIMEOUT_MS)
                _expect_new_digest(page, decoded, before)

                page.locator(".aeai-pair select").select_option(index=2)
                for end, old in zip(ends, ends_before, strict=True):
                    _expect_new_digest(page, end, old)
                page.screenshot(path=str(ARTIFACTS / "explore_page.png"))
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "explore_page_failure.png"))
                raise
            finally:
                browser.close()
        assert _processes_mentioning(str(temp)), "no kernel was found for the page"
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert process.wait(timeout=60) == 0, log.read_text()[-3000:]
        assert "stopped" in log.read_text()
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, "the port is still served"
        deadline = time.monotonic() + 15  # the kernels exit as Voilà shuts them down
        while _processes_mentioning(str(temp)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _processes_mentioning(str(temp))
        assert not list(temp.glob("aeai_explore_*")), "the page's folder was left behind"
    finally:
        if process.poll() is None:  # a failure above: stop it as a user would, then kill
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_voila_stops_when_explore_is_killed(checkpoints, tmp_path) -> None:
    """SIGKILL leaves explore no time to clean up: Voilà must stop by itself (Linux)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    log = tmp_path / "explore.log"
    command = [sys.executable, "-m", "aeai_lib", "explore", str(checkpoints[0])]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(_free_port())], env=env, stdout=out, stderr=out
        )
    try:
        _wait_for_url(process, log)
        assert _processes_mentioning(str(temp)), "Voilà is not running"
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 30
    while _processes_mentioning(str(temp)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _processes_mentioning(str(temp)), "Voilà outlived explore"


def _expect_new_digest(page, image, old: str) -> None:
    """Wait until the <img>'s bytes differ from ``old`` (an update lands in a few messages)."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if image.evaluate(IMAGE_DIGEST_JS) != old:
            return
        page.wait_for_timeout(250)
    pytest.fail("the image did not change")
