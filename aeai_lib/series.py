"""Execute the notebook series with papermill and collect each notebook's summary.

A notebook that fails is reported and the others still run; the caller gets one
:class:`NotebookRun` per notebook and decides the exit code.
"""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aeai_lib.kernels import kernel_manager_options, kernel_start_failure
from aeai_lib.notebook import SUMMARY_METADATA_KEY, SUMMARY_PREFIX
from aeai_lib.validation import check_output_folder

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    name: str
    ok: bool
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def list_notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The series' notebooks, ``NN_name.ipynb``, in order."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def read_summary(notebook_path: Path) -> dict[str, Any]:
    """The summary an executed notebook recorded, merged into one dict: the metadata of its
    outputs under :data:`~aeai_lib.notebook.SUMMARY_METADATA_KEY` (what
    :func:`~aeai_lib.notebook.report_summary` leaves in a kernel), and any ``SUMMARY {json}``
    line it printed."""
    notebook = json.loads(Path(notebook_path).read_text())
    summary: dict[str, Any] = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            summary.update(output.get("metadata", {}).get(SUMMARY_METADATA_KEY, {}))
            text = output.get("text", "")
            lines = text.splitlines() if isinstance(text, str) else "".join(text).splitlines()
            for line in lines:
                if line.startswith(SUMMARY_PREFIX):
                    summary.update(json.loads(line[len(SUMMARY_PREFIX) :]))
    return summary


def run_notebook(
    path: Path, out_dir: Path, parameters: dict[str, Any] | None = None
) -> NotebookRun:
    """Execute one notebook into ``out_dir`` with papermill; never raises for a failing notebook."""
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    output_path = out_dir / path.name
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path),
            str(output_path),
            parameters=parameters or {},
            cwd=str(path.parent),
            progress_bar=False,
            kernel_name="python3",
            **kernel_manager_options(),
        )
    except Exception as error:  # papermill raises PapermillExecutionError and others
        message = str(error).strip().splitlines()
        return NotebookRun(
            path.stem,
            False,
            time.perf_counter() - started,
            error=kernel_start_failure(error) or (message[-1] if message else type(error).__name__),
        )
    return NotebookRun(path.stem, True, time.perf_counter() - started, read_summary(output_path))


def run_series(
    out_dir: Path,
    notebooks: list[Path] | None = None,
    parameters: dict[str, Any] | None = None,
) -> list[NotebookRun]:
    """Execute ``notebooks`` (default: the whole series) in order and write ``summary.json``.

    ``parameters`` are injected into every notebook after its ``parameters`` cell: each
    must be a parameter of every notebook, as each notebook's check refuses names its
    ``parameters`` cell does not define (:func:`aeai_lib.notebook.injected_parameters`).

    Raises:
        ValueError: before any notebook runs, when ``out_dir`` is an existing file or
            cannot be created.
    """
    out_dir = check_output_folder(out_dir, "output folder")
    runs = []
    for path in notebooks or list_notebooks():
        run = run_notebook(path, out_dir, parameters)
        print(f"{run.name:<32} {run.seconds:6.1f} s  {'ok' if run.ok else 'FAILED'}", flush=True)
        if not run.ok:  # wrapped to the report's width
            print(
                textwrap.fill(
                    run.error, REPORT_WIDTH, initial_indent="    ", subsequent_indent="    "
                ),
                flush=True,
            )
        runs.append(run)
    (out_dir / "summary.json").write_text(json.dumps([asdict(r) for r in runs], indent=2))
    return runs


REPORT_WIDTH = 120
"""The widest line :func:`format_summary` prints (a terminal's 120 columns)."""

Headline = Callable[[dict[str, Any]], str]
"""One headline result, read off a notebook's summary and said for a person; a KeyError (the
summary lacks a value, e.g. a part of the notebook was switched off) leaves it out."""


def _e(value: float) -> str:
    """3 significant digits, a short exponent: 1.19e-3."""
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"


BASELINES = ("aae", "acai", "beta_vae", "gaia", "amr")
"""The summary suffixes of notebook 10's five baselines."""

HEADLINES: dict[str, tuple[Headline, ...]] = {
    "00_overview": (
        lambda s: f"{s['pole_images']} pole images, {s['pole_test']} held out",
        lambda s: (
            "5° of φ moves a pixel "
            f"{s['phi_five_degree_change'] / s['phi_half_degree_change']:.0f}× as much as 0.5°"
        ),
    ),
    "01_distribution_mismatch": (
        lambda s: f"midpoint norm ×{s['lerp_midpoint_norm_ratio']:.2f}",
        lambda s: (
            f"KL, largest d: lerp {s['lerp_kl_largest_dim']:.3g}, "
            f"slerp {s['slerp_kl_largest_dim']:.2g}, "
            f"normalised {s['normalized_kl_largest_dim']:.2g}"
        ),
    ),
    "02_plain_autoencoder": (
        lambda s: f"AE MSE at α=½ {_e(s['ae_mse_mid'])} vs cross-fade {_e(s['crossfade_mse_mid'])}",
        lambda s: f"speed ratio AE {s['ae_speed_ratio']:.1f} vs truth {s['truth_speed_ratio']:.2f}",
    ),
    "03_reconstruction_loss": (
        lambda s: f"AE MSE at the ends {_e(s['ae_boundary_error'])}, at α=½ {_e(s['ae_mse_mid'])}",
        lambda s: f"untrained {_e(s['untrained_mse_mid'])}",
    ),
    "04_adversarial_loss": (
        lambda s: (
            f"credibility at α=½ AEAI {_e(s['ae_a_c_s_credibility_mid'])} "
            f"vs AE {_e(s['ae_credibility_mid'])}"
        ),
        lambda s: f"D's final accuracy {s['ae_a_c_s_d_accuracy_end']:.2f}",
    ),
    "05_cycle_consistency": (
        lambda s: f"drift at α=½ AE+A+C {s['ae_a_c_drift_mid']:.3f} vs AE {s['ae_drift_mid']:.3f}",
        lambda s: (
            f"α read back err {s['ae_a_c_alpha_back_error']:.3f} vs {s['ae_alpha_back_error']:.3f}"
        ),
    ),
    "06_smoothness": (
        lambda s: (
            f"speed ratio AEAI {s['speed_ratio_with']:.2f}, AE+A+C {s['speed_ratio_without']:.2f}"
            f", AE {s['speed_ratio_ae']:.1f}"
        ),
        lambda s: (
            f"recon AEAI {_e(s['pole_ae_a_c_s_reconstruction_mse'])} "
            f"vs AE {_e(s['pole_ae_reconstruction_mse'])}"
        ),
    ),
    "07_full_aeai": (
        lambda s: (
            f"AEAI vs AE: MSE at α=½ {_e(s['pole_aeai_mse_mid'])} vs {_e(s['pole_ae_mse_mid'])}"
        ),
        lambda s: (
            f"lines Mean Distance {s['lines_aeai_mean_distance']:.4f} "
            f"vs {s['lines_ae_mean_distance']:.4f}"
        ),
    ),
    "08_advai": (
        lambda s: (
            f"AdvAI MSE at α=½ {_e(s['advai_advai_mse_mid'])} vs lerp {_e(s['advai_lerp_mse_mid'])}"
        ),
        lambda s: f"annulus MMD {s['annulus_mmd_advai']:.2g} vs lerp {s['annulus_mmd_lerp']:.2g}",
    ),
    "09_latent_explorer": (
        lambda s: (
            f"AEAI vs AE: MSE at α=½ to the truth {_e(s['pole_aeai_truth_mse_mid'])} "
            f"vs {_e(s['pole_ae_truth_mse_mid'])}"
        ),
        lambda s: (
            f"to a real one {_e(s['pole_aeai_nearest_mse_mid'])} "
            f"vs {_e(s['pole_ae_nearest_mse_mid'])}"
        ),
    ),
    "10_comparison": (
        lambda s: (
            f"MSE at α=½ AEAI {_e(s['mse_mid_aeai'])}, AE {_e(s['mse_mid_ae'])}, best "
            f"baseline {_e(min(s[f'mse_mid_{m}'] for m in BASELINES))}"
        ),
        lambda s: f"lines MD AE {s['lines_mean_distance_ae']:.4f}",
    ),
    "11_recap": (
        lambda s: (
            f"AEAI vs AE: MSE at α=½ {_e(s['pole_ae_a_c_s_mse_mid'])} vs {_e(s['pole_ae_mse_mid'])}"
        ),
        lambda s: (
            f"lines Mean Distance {s['lines_ae_a_c_s_mean_distance']:.4f} "
            f"vs {s['lines_ae_mean_distance']:.4f}"
        ),
    ),
    "12_tuning": (
        lambda s: (
            f"val MSE at α=½ {_e(s['val_mse_mid'])}; AE {_e(s['yardstick_ae_val_mse_mid'])}"
            f" ± {_e(s['yardstick_ae_val_mse_mid_std'])}, AEAI defaults "
            f"{_e(s['yardstick_aeai_val_mse_mid'])} ± {_e(s['yardstick_aeai_val_mse_mid_std'])}"
        ),
        lambda s: f"{s['train_steps']} steps",
    ),
}
"""Notebook name -> its headline results, in the order the report prints them."""


def headlines(name: str, summary: dict[str, Any]) -> list[str]:
    """The headline results of notebook ``name`` that its ``summary`` holds; for a notebook
    without headlines, its first three summary values as ``key=value``."""
    if name not in HEADLINES:
        return [f"{k}={v}" for k, v in list(summary.items())[:3]]
    said = []
    for headline in HEADLINES[name]:
        try:
            said.append(headline(summary))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
    return said


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_summary(runs: list[NotebookRun], width: int = REPORT_WIDTH) -> str:
    """What ran and each notebook's headline results, one line per notebook, no line longer
    than ``width``: a failed notebook's error follows on indented lines. The full summaries
    are in ``summary.json`` (:func:`run_series`)."""
    lines = [f"{'notebook':<25}{'status':<7}{'time':>5}  headline results (all in summary.json)"]
    for run in runs:
        head = f"{run.name[:24]:<25}{'ok' if run.ok else 'FAILED':<7}{run.seconds:4.0f}s  "
        if run.ok:
            said = headlines(run.name, run.summary)
            while len(said) > 1 and len(head + "; ".join(said)) > width:
                said.pop()  # the first headlines, whole, rather than all of them cut
            lines.append(_fit(head + "; ".join(said), width))
            continue
        lines.append(head.rstrip())
        lines += textwrap.wrap(
            run.error, width, initial_indent="    ", subsequent_indent="    "
        ) or ["    (no error message)"]
    return "\n".join(lines)
