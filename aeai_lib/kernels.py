"""Why a notebook's kernel died at start, in one line: its own error, its interpreter, the fix.

When the interpreter a kernelspec names cannot start a kernel (most often: it has no
``ipykernel``), jupyter_client reports only ``Kernel died before replying to kernel_info``;
the kernel's own error scrolled past on stderr, above. :func:`kernel_start_failure` runs that
interpreter again the way the kernelspec does (with ``--help`` instead of a connection file,
which starts nothing) and reports its first error line, e.g. ``No module named
ipykernel_launcher``, the interpreter, and the fix. ``series`` and ``sweep`` use it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from jupyter_client.manager import KernelManager
from jupyter_core.paths import jupyter_runtime_dir

KERNEL_DIED = "Kernel died before replying to kernel_info"
"""jupyter_client's message (``RuntimeError``) for a kernel that exited before replying."""
PROBE_TIMEOUT_S = 60
"""How long the interpreter may take to print its help (a kernel that starts takes seconds)."""
_ERROR_LINE = re.compile(r"No module named|^\w*(Error|Exception)\b|error", re.IGNORECASE)


class IPCKernelManager(KernelManager):
    """A kernel manager that talks to its kernel over local IPC sockets, not TCP.

    A TCP kernel logs ``[IPKernelApp] WARNING | Kernel is running over TCP without
    encryption`` to the terminal at every start (ipykernel 7); over IPC nothing travels through
    the network stack, so the kernel has nothing to warn about. The sockets are files in
    Jupyter's runtime folder, removed when the kernel shuts down. ``series`` and
    ``scripts/refresh_notebooks.py`` use it (:func:`kernel_manager_options`).
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        # an absolute path: the kernel runs in the notebook's folder, its client elsewhere
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        self.ip = str(runtime / f"aeai-{uuid.uuid4().hex[:12]}-ipc")


def kernel_manager_options() -> dict[str, object]:
    """Keyword arguments for ``papermill.execute_notebook``: the IPC kernel manager where the
    platform has Unix sockets (not on Windows, whose kernels keep TCP)."""
    return {} if sys.platform == "win32" else {"kernel_manager_class": IPCKernelManager}


def kernel_start_failure(error: BaseException, kernel_name: str = "python3") -> str | None:
    """A one-line diagnosis when ``error`` is a kernel that died at start, else None.

    The line names the kernel, its first error line (from running it again), the
    interpreter its kernelspec names and the fix (``pip install ipykernel`` into it, or
    another kernel). It never raises: what cannot be found out is said as such.
    """
    if KERNEL_DIED not in str(error):
        return None
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except Exception as cause:  # NoSuchKernel, a damaged kernel.json, ...
        return (
            f"the kernel {kernel_name!r} died at start, and its kernelspec cannot be read ({cause})"
        )
    argv = list(spec.argv)
    interpreter = (shutil.which(argv[0]) or argv[0]) if argv else "?"
    own_error = _first_error_line(argv, {**os.environ, **(spec.env or {})})
    return (
        f"the kernel {kernel_name!r} died at start: {own_error} (its interpreter: {interpreter}, "
        f"from {os.path.join(spec.resource_dir, 'kernel.json')}); install ipykernel into it "
        f"({interpreter} -m pip install ipykernel), or choose another kernel "
        "(`jupyter kernelspec list`)"
    )


def _first_error_line(argv: list[str], env: dict[str, str]) -> str:
    """The first error line the kernel's command prints when run without a connection file."""
    probe = []
    for index, arg in enumerate(argv):
        nxt = argv[index + 1] if index + 1 < len(argv) else ""
        if "{connection_file}" in arg or (arg == "-f" and "{connection_file}" in nxt):
            continue
        probe.append(arg)
    try:
        done = subprocess.run(
            [*probe, "--help"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as cause:
        return f"it cannot be run ({cause})"
    lines = [line.strip() for line in (done.stderr or "").splitlines() if line.strip()]
    if done.returncode == 0:
        return "it starts when run alone, so its own error is in the output above"
    errors = [line for line in lines if _ERROR_LINE.search(line) and "Traceback" not in line]
    if errors:
        return errors[0]
    return lines[-1] if lines else f"it exits with status {done.returncode} and prints nothing"
