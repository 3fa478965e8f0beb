"""The pythae peer row of ``train_step.py`` (issue 22): pythae's own trainer on our network.

pythae (0.1.2, the ``bench`` extra of pyproject.toml) is what a user would otherwise pick for a
plain AE. Its ``AE`` model is given the library's own encoder and decoder (wrapped in pythae's
``BaseEncoder`` / ``BaseDecoder``, which return ``ModelOutput``s), and its ``BaseTrainer``
(Adam, lr 1e-3, the given batch, no evaluation set) runs epochs over the same pole training
images; a step's time is an epoch's time over its batches, the fastest or median of the timed
epochs after one warm-up epoch. pythae's loss is 0.5 * MSE summed over pixels (ours: the
per-pixel mean), which changes no cost.
"""

from __future__ import annotations

import contextlib
import io
import logging
import statistics
import tempfile
import time
from collections.abc import Callable

import torch

from aeai_lib.methods import make_method
from aeai_lib.training import default_model_config


def pythae_step_ms(
    dataset,
    batch: int,
    repeats: int,
    statistic: Callable = statistics.median,
    batches_per_epoch: int = 4,
) -> float | str:
    """Milliseconds of one pythae training step of our AE network, or why it cannot run."""
    try:
        from pythae.data.datasets import BaseDataset
        from pythae.models import AE, AEConfig
        from pythae.models.base.base_utils import ModelOutput
        from pythae.models.nn import BaseDecoder, BaseEncoder
        from pythae.trainers import BaseTrainer, BaseTrainerConfig
    except ImportError as error:  # the optional `bench` extra is not installed
        return f"failed: pythae not installed (pip install -e .[bench]): {error}"

    class Encoder(BaseEncoder):
        def __init__(self, network: torch.nn.Module):
            super().__init__()
            self.network = network

        def forward(self, x: torch.Tensor) -> ModelOutput:
            return ModelOutput(embedding=self.network(x))

    class Decoder(BaseDecoder):
        def __init__(self, network: torch.nn.Module):
            super().__init__()
            self.network = network

        def forward(self, z: torch.Tensor) -> ModelOutput:
            return ModelOutput(reconstruction=self.network(z))

    torch.manual_seed(0)
    config = default_model_config(dataset)
    ours = make_method("ae").build_model(config)
    images = dataset.train_images[: batch * batches_per_epoch]
    model = AE(
        AEConfig(input_dim=tuple(images.shape[1:]), latent_dim=config.latent_dim),
        encoder=Encoder(ours.encoder),
        decoder=Decoder(ours.decoder),
    )
    for name in [*logging.root.manager.loggerDict, "pythae"]:  # its modules set INFO
        if name.startswith("pythae"):
            logging.getLogger(name).setLevel(logging.ERROR)
    quiet = io.StringIO()  # its progress bars and messages
    with (
        tempfile.TemporaryDirectory() as output,
        contextlib.redirect_stderr(quiet),
        contextlib.redirect_stdout(quiet),
    ):
        trainer = BaseTrainer(
            model,
            BaseDataset(images, torch.zeros(len(images))),
            training_config=BaseTrainerConfig(
                output_dir=output,
                per_device_train_batch_size=batch,
                learning_rate=1e-3,
                num_epochs=1 + repeats,
                no_cuda=True,
            ),
        )
        trainer.prepare_training()  # what its train() does before the epochs
        epochs = []
        for epoch in range(1 + repeats):
            started = time.perf_counter()
            trainer.train_step(epoch)
            if epoch:
                epochs.append((time.perf_counter() - started) / batches_per_epoch)
    return 1000 * statistic(epochs)
