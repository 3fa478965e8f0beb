"""The latent explorer in a real browser: JupyterLab server, Debian's Chromium, Playwright.

Starts JupyterLab on 127.0.0.1 (a free port, a random token, every Jupyter directory in a
temporary folder) serving a small notebook that builds a LatentExplorer on a tiny untrained
model, runs all its cells in headless Chromium, moves the alpha slider with the keyboard and
checks that the decoded image changed. Saves ``test-artifacts/browser_explorer.png``.

Needs /usr/bin/chromium (``scripts/test.sh`` installs Debian's chromium); without it the test
fails, unless AEAI_SKIP_BROWSER=1 is set, which skips it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
STARTUP_TIMEOUT_S = 120
KERNEL_TIMEOUT_MS = 120_000
UPDATE_TIMEOUT_MS = 30_000
KERNEL_SETTLE_S = 2.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOTEBOOK_CELLS = [
    "import torch\n"
    "from aeai_lib.data import pole\n"
    "from aeai_lib.methods import make_method\n"
    "from aeai_lib.models import ModelConfig\n"
    "from aeai_lib.widgets import LatentExplorer",
    "torch.manual_seed(0)\n"
    "model = make_method('ae').build_model(ModelConfig(image_size=32, latent_dim=16))\n"
    "explorer = LatentExplorer(model, pole.dataset(size=32), index_a=0, index_b=300, alpha=0.2)\n"
    "explorer",
]
# JupyterLab asks whether to fetch news on first start; the announcements plugin is off here.
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
# SHA-256 of the bytes behind an <img>'s src (a blob: URL for ipywidgets 8 images).
IMAGE_DIGEST_JS = """async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}"""


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: its base URL, token and the notebook it serves."""

    url: str
    token: str
    notebook: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(server_url: str, token: str, path: str, method: str = "GET") -> bytes:
    """Call the Jupyter server's REST API; returns the response body."""
    request = urllib.request.Request(
        f"{server_url}{path}", method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def _wait_until_up(process: subprocess.Popen, url: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            _api(url, token, "/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(
        f"JupyterLab did not answer within {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
    )


def _wait_for_kernel(server: LabServer) -> None:
    """Wait until the notebook's session has a kernel that is idle and stays the same.

    JupyterLab shows the notebook (and an idle indicator) before it has created the session,
    and may replace the first kernel right after starting it: cells run before that settles
    can lose their widget messages ("model not found"), so the server is asked instead.
    """
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    previous, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        sessions = json.loads(_api(server.url, server.token, "/api/sessions"))
        kernels = [
            session["kernel"]
            for session in sessions
            if session["path"] == server.notebook and session.get("kernel")
        ]
        current = kernels[0]["id"] if len(kernels) == 1 else None
        if current != previous:
            previous, stable_since = current, time.monotonic()
        elif (
            current
            and kernels[0]["execution_state"] == "idle"
            and time.monotonic() - stable_since >= KERNEL_SETTLE_S
        ):
            return
        time.sleep(0.25)
    pytest.fail(f"the notebook's kernel did not start and settle within {STARTUP_TIMEOUT_S} s")


def _stop(process: subprocess.Popen, url: str, token: str) -> None:
    """Shut the kernels down through the API, then end the server's process group."""
    try:
        for kernel in json.loads(_api(url, token, "/api/kernels")):
            _api(url, token, f"/api/kernels/{kernel['id']}", method="DELETE")
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        pass  # the server is already gone or broken: the process group still gets ended
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[LabServer]:
    """JupyterLab serving explorer.ipynb from a temporary root; stopped on teardown."""
    if not CHROMIUM.exists():
        if os.environ.get("AEAI_SKIP_BROWSER") == "1":
            pytest.skip("AEAI_SKIP_BROWSER=1 and /usr/bin/chromium is missing")
        pytest.fail(
            "/usr/bin/chromium is missing: install Debian's chromium (apt-get install chromium; "
            "scripts/test.sh does it), or set AEAI_SKIP_BROWSER=1 to skip the browser test"
        )
    root, jupyter = tmp_path / "root", tmp_path / "jupyter"
    root.mkdir()
    (jupyter / "config" / "labconfig").mkdir(parents=True)
    (jupyter / "config" / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, root / "explorer.ipynb")

    port, token = _free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(jupyter / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(jupyter / "workspaces"),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = tmp_path / "jupyter.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(process, url, token, log)
        yield LabServer(url, token, "explorer.ipynb")
    finally:
        _stop(process, url, token)


def _run_all_cells(page: Page) -> None:
    """Run > Run All Cells; again if no cell got queued (a click lost to a late redraw)."""
    first_prompt = page.locator(".jp-Cell .jp-InputPrompt").first
    for _ in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            expect(first_prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=20_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    pytest.fail("JupyterLab did not start running the notebook's cells after three tries")


def _show_explorer(page: Page) -> Locator:
    """Run all cells and wait for the explorer's decoded image; returns that <img>."""
    _run_all_cells(page)
    decoded = page.locator("img.aeai-decoded")
    error = page.get_by_text("Error displaying widget")
    expect(decoded.or_(error).first).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    if error.count():
        pytest.fail(f"the explorer did not display: {error.first.inner_text()}")
    expect(decoded).to_have_attribute("src", re.compile(r"^(blob|data):"))
    return decoded


def test_slider_updates_the_decoded_image_in_jupyterlab(lab_server: LabServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        try:
            # JupyterLab may ask which kernel to start even though the notebook names one:
            # accept its choice (the notebook's python3) whenever the dialog shows up.
            dialog = page.locator(".jp-Dialog")
            page.add_locator_handler(dialog, lambda d: d.locator(".jp-mod-accept").click())
            page.goto(
                f"{lab_server.url}/lab/tree/{lab_server.notebook}?token={lab_server.token}",
                timeout=KERNEL_TIMEOUT_MS,
            )
            _wait_for_kernel(lab_server)
            idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            expect(idle).to_have_count(1, timeout=KERNEL_TIMEOUT_MS)
            decoded = _show_explorer(page)
            expect(idle).to_have_count(1, timeout=KERNEL_TIMEOUT_MS)
            before_src = decoded.get_attribute("src")
            before = decoded.evaluate(IMAGE_DIGEST_JS)

            slider = page.locator(".aeai-alpha .noUi-handle")
            slider.scroll_into_view_if_needed()
            slider.focus()
            for _ in range(30):  # alpha 0.2 -> 0.5 in steps of 0.01
                slider.press("ArrowRight")
            readout = page.locator(".aeai-alpha .widget-readout")
            expect(readout).to_have_text("0.50", timeout=UPDATE_TIMEOUT_MS)
            expect(decoded).not_to_have_attribute("src", before_src, timeout=UPDATE_TIMEOUT_MS)
            expect(idle).to_have_count(1, timeout=UPDATE_TIMEOUT_MS)
            page.wait_for_timeout(500)  # the last update's image message
            after = decoded.evaluate(IMAGE_DIGEST_JS)
            page.locator(".aeai-explorer").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser_explorer.png"))
            assert after != before, "the slider moved but the decoded image stayed the same"
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "browser_explorer_failure.png"))
            (ARTIFACTS / "browser_console.log").write_text("\n".join(console))
            raise
        finally:
            browser.close()
