"""``python -m aeai_lib explore [CHECKPOINT ...]``: notebook 09's latent explorer as a web page.

Served through **Voilà** (``voila``, 0.5.x): it runs a notebook unchanged on a real Jupyter
kernel and shows only its outputs, with ipywidgets 8, so the page is the very
:class:`~aeai_lib.widgets.LatentExplorer` of notebook 09 and nothing is rewritten for the
web. Solara would need the app rewritten as a ``Page`` component, and Panel goes through
ipywidgets-bokeh; both are kept libraries, but neither serves the existing widget as it is.

What the command does, in order:

1. :func:`check_checkpoints`: every checkpoint is read and its model built, and all must be
   for the same data and image size, BEFORE any server starts: a missing, unreadable or
   foreign file is one line and exit code 2 (``CheckpointError``, ``FileNotFoundError`` or
   ``ValueError``, which the CLI reports). So is a ``--port`` that is taken (Voilà would
   otherwise move to another port silently).
2. :func:`write_page`: a one-cell notebook that calls :func:`build_page` with the
   checkpoints' absolute paths, in a temporary folder.
3. :func:`serve`: ``python -m voila`` on 127.0.0.1 (only this machine can open the page),
   ``port_retries=0``, in its own session so that the terminal's Ctrl-C reaches this process
   alone; it then asks Voilà to stop (SIGTERM: Voilà stops its loop and shuts its kernels
   down), waits, removes the folder and returns 0. On Linux Voilà also gets SIGTERM when
   this process dies in any other way (``PR_SET_PDEATHSIG``), so no server outlives it (its
   page's folder may then stay in the temporary directory). The kernel imports the same
   ``aeai_lib`` as this process (its folder goes first on ``PYTHONPATH``).

The page (:func:`build_page`): a pair chooser (a few seeded pairs of test images, the
first the starting pair), the two endpoint images x_a and x_b, and the explorer (one column
per checkpoint, the ground truth beside them). Choosing a pair sets both endpoints.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch

import aeai_lib
from aeai_lib.checkpoint import CheckpointError, load_checkpoint, model_from_record

DEFAULT_PORT = 8866
"""Voilà's usual port."""
HOST = "127.0.0.1"
"""The address served: loopback only (the page has no login)."""
N_PAIRS = 8
"""Pairs offered by the page's chooser."""
STARTUP_TIMEOUT_S = 60
"""How long :func:`serve` waits for Voilà to listen."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals that stop :func:`serve` as Ctrl-C (SIGINT) does."""
STOP_TIMEOUT_S = 20
"""How long Voilà gets to shut its kernels down after SIGTERM, before it is killed."""
NOTEBOOK_EXTENSION = "@jupyter-notebook/lab-extension"
"""A JupyterLab extension the page does not load (see :func:`voila_command`)."""
ENDPOINT_SIZE = 96
"""Display size of the endpoint images, pixels."""


def default_checkpoints() -> list[Path]:
    """The shipped pole AE and AE+A+C+S (notebook 09's pair of models)."""
    from aeai_lib.zoo import checkpoint_path

    return [checkpoint_path("pole_ae"), checkpoint_path("pole_aeai")]


def check_checkpoints(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Read every checkpoint and build its model; all must be for the same data and size.

    Returns:
        the absolute paths, in order.

    Raises:
        FileNotFoundError: a path with no file. CheckpointError: a file that cannot be read
            or is not an aeai_lib checkpoint. ValueError: checkpoints of different data or
            image sizes, or trained on an image folder that cannot be loaded here. Each
            message names the file.
    """
    checked: list[Path] = []
    first: tuple[str, tuple] | None = None
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        try:
            record = load_checkpoint(path)
            model = model_from_record(record)
        except OSError as error:
            if isinstance(error, FileNotFoundError):
                raise
            raise CheckpointError(f"cannot read the checkpoint {str(raw)!r}: {error}") from None
        except (KeyError, TypeError, RuntimeError) as error:
            raise CheckpointError(
                f"{str(raw)!r} holds no model this library can build ({error}); use a file "
                "written by aeai_lib's train command"
            ) from None
        data = (record["dataset"], model.config.image_size, model.config.channels)
        if first is None:
            first = (str(raw), data)
        elif data != first[1]:
            raise ValueError(
                f"checkpoint {str(raw)!r} is for {data[0]} at {data[1]} px but {first[0]!r} is "
                f"for {first[1][0]} at {first[1][1]} px; explore models of the same data together"
            )
        checked.append(path)
    if first is not None and str(first[1][0]).startswith("folder:"):
        from aeai_lib.data.registry import load_checkpoint_dataset

        load_checkpoint_dataset(first[1][0], checked[0], size=first[1][1])  # the folder is there
    return checked


def check_port(port: int) -> int:
    """``port`` if it is a free TCP port on :data:`HOST`; ValueError naming ``--port`` if not."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"--port must be an integer in 1..65535, got {port!r}")
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError as error:
            raise ValueError(
                f"--port {port} cannot be used on {HOST} ({error.strerror}); pass another --port"
            ) from None
    return port


def write_page(folder: Path, checkpoints: Sequence[Path], workdir: Path) -> Path:
    """The notebook Voilà serves: one code cell that displays :func:`build_page`, run in
    ``workdir`` (where "Export GIF" writes, as in the notebook)."""
    import nbformat

    source = (
        "from aeai_lib.explore_app import build_page\n"
        f"build_page({[str(path) for path in checkpoints]!r}, workdir={str(workdir)!r})"
    )
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = folder / "latent_explorer.ipynb"
    nbformat.write(notebook, path)
    return path


def pair_options(dataset, count: int = N_PAIRS, seed: int = 0) -> list[tuple[str, tuple]]:
    """``count`` seeded pairs of distinct test images as (label, (index_a, index_b))."""
    from aeai_lib.explorer_panel import describe_params

    test = dataset.test_idx
    if len(test) < 2:
        test = torch.arange(len(dataset))
    order = test[torch.randperm(len(test), generator=torch.Generator().manual_seed(seed))]
    options = []
    for k in range(min(count, len(order) // 2)):
        a, b = int(order[2 * k]), int(order[2 * k + 1])
        if dataset.params.shape[1]:
            ends = (describe_params(dataset, dataset.params[i]) for i in (a, b))
            label = " -> ".join(f"#{i} ({end})" for i, end in zip((a, b), ends, strict=True))
        else:
            label = f"#{a} -> #{b}"
        options.append((label, (a, b)))
    return options


def build_page(
    checkpoints: Sequence[str], n_pairs: int = N_PAIRS, workdir: str | os.PathLike | None = None
):
    """The page's widget: the pair chooser, the endpoints and the explorer (run in the kernel).

    Args:
        checkpoints: paths of checkpoints of the same data (:func:`check_checkpoints`).
        n_pairs: pairs offered by the chooser.
        workdir: the kernel's working directory from now on (None: unchanged), where the
            explorer's "Export GIF" writes ``outputs/latent_explorer.gif``.

    Returns:
        an ipywidgets VBox (class ``aeai-explore-page``); its ``explorer`` attribute is the
        :class:`~aeai_lib.widgets.LatentExplorer`, ``pair`` the chooser (a Dropdown whose
        values are (index_a, index_b)), ``endpoints`` the two endpoint Images.
    """
    import ipywidgets as widgets

    from aeai_lib.data.registry import load_checkpoint_dataset
    from aeai_lib.explorer_panel import to_png
    from aeai_lib.widgets import LatentExplorer

    if workdir is not None:
        os.chdir(workdir)
    records = [load_checkpoint(path) for path in checkpoints]
    models = [model_from_record(record) for record in records]
    dataset = load_checkpoint_dataset(
        records[0]["dataset"], checkpoints[0], size=models[0].config.image_size
    )
    options = pair_options(dataset, n_pairs)
    (index_a, index_b) = options[0][1]
    explorer = LatentExplorer(models, dataset, index_a=index_a, index_b=index_b, alpha=0.5)
    pair = widgets.Dropdown(
        options=options, value=(index_a, index_b), description="pair", layout={"width": "640px"}
    )
    pair.add_class("aeai-pair")
    endpoints = []
    for name in ("a", "b"):
        image = widgets.Image(format="png")
        image.add_class(f"aeai-endpoint-{name}")
        endpoints.append(image)

    def show_endpoints(_: object = None) -> None:
        for image, index in zip(endpoints, (explorer.index_a, explorer.index_b), strict=True):
            image.value = to_png(dataset.images[index.value], ENDPOINT_SIZE)

    def choose(change: dict) -> None:
        index_a, index_b = change["new"]
        explorer.index_a.value, explorer.index_b.value = index_a, index_b

    pair.observe(choose, names="value")
    explorer.index_a.observe(show_endpoints, names="value")
    explorer.index_b.observe(show_endpoints, names="value")
    show_endpoints()
    labels = ", ".join(explorer.labels)
    page = widgets.VBox(
        [
            widgets.HTML(f"<h3>Latent explorer: {labels} on {dataset.name}</h3>"),
            pair,
            widgets.HBox(
                [
                    widgets.VBox([widgets.HTML("<b>x_a</b>"), endpoints[0]]),
                    widgets.VBox([widgets.HTML("<b>x_b</b>"), endpoints[1]]),
                ]
            ),
            explorer.widget,
        ]
    )
    page.add_class("aeai-explore-page")
    page.explorer, page.pair, page.endpoints = explorer, pair, endpoints
    return page


def voila_command(notebook: Path, port: int) -> list[str]:
    """The Voilà command line: loopback, no browser, no silent move to another port."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.port_retries=0",
        f"--Voila.ip={HOST}",
        "--VoilaConfiguration.show_tracebacks=True",
        # notebook 7's JupyterLab extension, built for a newer JupyterLab than Voilà's page,
        # fails to load there (a console error); the page needs none but the widgets'
        f"--VoilaConfiguration.extension_denylist={NOTEBOOK_EXTENSION}",
    ]


def _die_with_parent() -> None:
    """In Voilà's process before it starts (Linux): SIGTERM it if this process dies, even by
    SIGKILL, so that no server is left behind. Elsewhere nothing."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Voilà exited with code {process.returncode} before it served")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"Voilà did not listen on port {port} within {STARTUP_TIMEOUT_S} s")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (Voilà shuts its kernels down), then SIGKILL to its session if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class _Stopped(Exception):
    """SIGTERM or SIGHUP reached this process: stop like Ctrl-C."""


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signal.Signals(signum).name)


def serve(checkpoints: Sequence[str | os.PathLike], port: int = DEFAULT_PORT) -> int:
    """Check the checkpoints, serve the page until Ctrl-C, stop Voilà and its kernels.

    Returns:
        0 after Ctrl-C, SIGTERM or SIGHUP (a clean stop: Voilà gets SIGTERM and shuts its
        kernels down; SIGKILL after :data:`STOP_TIMEOUT_S`), 1 if Voilà did not start,
        Voilà's exit code if it stopped by itself.

    Raises:
        the errors of :func:`check_checkpoints` and :func:`check_port`, before any server
        starts; ValueError when Voilà is not installed.
    """
    paths = check_checkpoints(checkpoints)
    port = check_port(port)
    try:
        import voila  # noqa: F401
    except ImportError:
        raise ValueError(
            "explore needs Voilà: pip install -e '.[notebooks]' (or pip install voila)"
        ) from None
    folder = Path(tempfile.mkdtemp(prefix="aeai_explore_"))
    env = dict(os.environ)
    package_root = str(Path(aeai_lib.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    process = None
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in STOP_SIGNALS}
    try:
        notebook = write_page(folder, paths, Path.cwd())
        process = subprocess.Popen(
            voila_command(notebook, port),
            cwd=folder,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            _wait_listening(process, port)
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(
            f"the latent explorer of {len(paths)} checkpoint(s) is at http://{HOST}:{port}/ "
            "(Ctrl-C stops it)",
            flush=True,
        )
        return process.wait()
    except (KeyboardInterrupt, _Stopped) as stop:
        why = str(stop) or "Ctrl-C"
        print(f"stopping the explorer ({why}) ...", file=sys.stderr, flush=True)
        if process is not None:
            _stop(process)
        print("stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
