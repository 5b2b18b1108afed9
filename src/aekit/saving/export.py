"""ONNX export: a fitted dense or conv autoencoder as ``encoder.onnx`` and ``decoder.onnx``.

Each graph carries the model's data scaling and image layout, so it takes and gives
data in the original units and shape (uint8 pixels as floats from 0 to 255), exactly
as ``transform`` and ``inverse_transform`` do (a VAE encodes to its posterior mean);
the batch dimension is dynamic. Needs the ``onnx`` extra
(onnx, onnxscript; onnxruntime to run the files): ``pip install "aekit[onnx]"``.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..modality import modality_of
from .files import write_atomic

ENCODER, DECODER = "encoder.onnx", "decoder.onnx"
_OPSET = 18


class _Encoder(nn.Module):
    """Raw samples (batch, *sample_shape) -> codes (batch, latent_dim)."""

    def __init__(self, model: Any):
        super().__init__()
        self.network = model.network_
        self.objective = model._objective()
        self.channels_last, self.pixel = _layout(model)
        mean, scale = _scaling(model)
        self.register_buffer("mean", mean)
        self.register_buffer("scale", scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:  # (n, H, W, C) -> the network's C, H, W order
            x = x.permute(0, 3, 1, 2)
        x = (x.reshape(x.shape[0], -1) / self.pixel - self.mean) / self.scale
        return self.objective.encode(self.network, x)


class _Decoder(nn.Module):
    """Codes (batch, latent_dim) -> reconstructions (batch, *sample_shape), raw units."""

    def __init__(self, model: Any, sample_shape: tuple[int, ...]):
        super().__init__()
        self.network = model.network_
        self.objective = model._objective()
        self.sample_shape = sample_shape
        self.channels_last, self.pixel = _layout(model)
        self.grid = model._pixel_grid()
        mean, scale = _scaling(model)
        self.register_buffer("mean", mean)
        self.register_buffer("scale", scale)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = (self.objective.output(self.network.decode(z)) * self.scale + self.mean) * self.pixel
        if self.channels_last:
            return out.reshape(z.shape[0], *self.grid).permute(0, 2, 3, 1)
        return out.reshape(z.shape[0], *self.sample_shape)


def _layout(model: Any) -> tuple[bool, float]:
    """Whether samples come channels-last, and the pixel scale (255 for uint8 images,
    which the graphs take and give as floats from 0 to 255)."""
    return model.input_.channels_last, 255.0 if model.input_.pixels == "uint8" else 1.0


def _scaling(model: Any) -> tuple[torch.Tensor, torch.Tensor]:
    s = model.scaling_
    if s.mode == "unit":
        return torch.zeros(1), torch.ones(1)
    return torch.as_tensor(s.mean, dtype=torch.float32), torch.as_tensor(
        s.scale, dtype=torch.float32
    )


def check_exportable(estimator: Any) -> Any:
    """The autoencoder to export (a detector's own), or a ValueError saying why not:
    the model's plug-in says whether ONNX export applies."""
    return modality_of(estimator).onnx_model(estimator)


def export_onnx(estimator: Any, directory: str | Path, *, force: bool = False) -> list[Path]:
    """Write ``encoder.onnx`` and ``decoder.onnx`` for a fitted model into ``directory``.

    Existing files are only replaced with ``force``. Returns the two paths.
    """
    model = check_exportable(estimator)
    try:
        import onnx  # noqa: F401  (the exporter needs it, and onnxscript)
        import onnxscript  # noqa: F401
    except ImportError:
        raise ValueError("ONNX export needs the onnx extra: pip install 'aekit[onnx]'.") from None
    folder = Path(directory)
    paths = [folder / ENCODER, folder / DECODER]
    clash = next((p for p in paths if p.exists()), None)
    if clash is not None and not force:
        raise ValueError(f"{clash} already exists; pass force=True (CLI: --force) to replace it.")
    folder.mkdir(parents=True, exist_ok=True)
    shape = tuple(model.input_shape_ or (model.n_features_in_,))
    network = model.network_
    device, was_training = next(network.parameters()).device, network.training
    network.to("cpu").eval()
    try:
        example_x = torch.zeros(2, *shape)
        example_z = torch.zeros(2, model.latent_dim)
        _export(_Encoder(model), example_x, "x", "z", paths[0])
        _export(_Decoder(model, shape), example_z, "z", "x_hat", paths[1])
    finally:
        network.to(device).train(was_training)
    return paths


def _export(module: nn.Module, example: torch.Tensor, name: str, out: str, path: Path) -> None:
    """One graph with a dynamic batch, written through a temporary file."""
    batch = torch.export.Dim("batch", min=1)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)  # it logs a line per optional op set it skips
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                module.eval(),
                (example,),
                dynamo=True,
                input_names=[name],
                output_names=[out],
                dynamic_shapes={name: {0: batch}},
                opset_version=_OPSET,
                verbose=False,
            )
    finally:
        exporter_log.setLevel(level)
    import onnx

    write_atomic(path, program.model_proto.SerializeToString())
    onnx.checker.check_model(str(path))
