"""Tests for aeai_lib.device: choosing the device, and refusing the ones this machine lacks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeai_lib.device import DEVICE_ENV_VAR, available_devices, pick_device, seed_everything

AVAILABLE = f"available here: {', '.join(available_devices())}"


def test_cpu_is_always_available() -> None:
    assert available_devices()[0] == "cpu"
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "GPU0", "cuda0", ""])
def test_an_unknown_device_name_lists_the_devices_available(name: str) -> None:
    """Issue #16, row 8: --device gpu gave torch's raw device-string error."""
    with pytest.raises(ValueError, match=rf"^unknown device '{name}'; {AVAILABLE}$"):
        pick_device(name)


def test_a_cuda_device_this_machine_lacks_lists_the_devices_available() -> None:
    """Issue #16, row 8: --device cuda without CUDA gave a 17-line traceback."""
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(ValueError, match=rf"device 'cuda:{count}' requested, .*; {AVAILABLE}$"):
        pick_device(f"cuda:{count}")
    if count == 0:
        with pytest.raises(ValueError, match=r"'cuda' requested, but this machine has no CUDA"):
            pick_device("cuda")


@pytest.mark.parametrize("name", ["meta", "xpu"])
def test_devices_the_library_does_not_run_on_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=rf"device '{name}' is not supported; {AVAILABLE}"):
        pick_device(name)


def test_a_bad_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEVICE_ENV_VAR, "gpu")
    with pytest.raises(ValueError, match=rf"'gpu' \(from the {DEVICE_ENV_VAR} environment"):
        pick_device()
    assert pick_device("cpu") == torch.device("cpu")  # the argument takes precedence


def test_a_device_of_another_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="device must be a string such as 'cpu'"):
        pick_device(0)


def test_seed_everything_takes_any_integer() -> None:
    first = seed_everything(np.int64(3)).initial_seed()
    assert first == seed_everything(3).initial_seed() == 3
    with pytest.raises(TypeError, match="seed must be an integer"):
        seed_everything(3.0)
