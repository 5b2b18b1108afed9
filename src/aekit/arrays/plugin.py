"""The arrays-and-tables modality: its plug-in for the command line, reports and export.

Serves :class:`~aekit.Autoencoder`, :class:`~aekit.VariationalAutoencoder` and the
:class:`~aekit.AnomalyDetector` around them (``--model dense``, ``conv``, ``vae``).
DATA is a numeric file, a table or a built-in data set; codes and decoded rows are
``.npy`` or ``.csv``, and ``.npy`` to ``.npy`` streams a block of rows at a time.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..anomaly import AnomalyDetector, reconstruction_scores
from ..modality import (
    Modality,
    UsageError,
    about,
    auto_or,
    autoencoder_of,
    flag,
    modality_named,
    modality_of,
    register_modality,
)
from ..saving.outputs import ARRAY_FORMATS, check_output, write_array
from . import displays  # noqa: F401  (registers its Display in aekit.plotting)
from .autoencoder import Autoencoder
from .variational import VariationalAutoencoder

_DETECTOR = ("contamination", "pixel_window")  # flags that make `aekit train` save a detector


class Arrays(Modality):
    name = "arrays"
    estimators = ("Autoencoder", "VariationalAutoencoder", "AnomalyDetector")
    models = {
        "dense": "dense (default): a multilayer perceptron",
        "conv": "conv: convolutions for images",
        "vae": "vae: a variational autoencoder (--architecture dense or conv)",
    }

    # ------------------------------------------------------------ training
    def parameters(self) -> list[Any]:
        own = Autoencoder._parameters  # VariationalAutoencoder's are the same (a preset)
        return [p for p in own if p.flag] + [
            p for p in AnomalyDetector._parameters if p.name in _DETECTOR
        ]

    def accepts(self, model: str) -> set[str]:
        # VariationalAutoencoder takes Autoencoder's parameters (a preset). --window N:
        # the old spelling of --pixel-window (see _with_detector).
        return {p.name for p in Autoencoder._parameters} | set(_DETECTOR) | {"window"}

    def refusal(self, model: str, name: str, owners: list[str]) -> str:
        others = [o for o in owners if o not in self.models]
        if len(others) == 1:
            return f"{flag(name)} applies to --model {others[0]} only."
        return super().refusal(model, name, owners)

    def estimator(self, model: str, params: dict[str, Any]) -> Any:
        architecture = params.pop("architecture", None)
        if model != "vae":
            if architecture and architecture != model:
                raise UsageError(
                    f"--model {model} and --architecture {architecture} disagree; "
                    "give one (--architecture is for --model vae)."
                )
            architecture = model
        cls = VariationalAutoencoder if model == "vae" else Autoencoder
        return self._with_detector(
            cls, {**params, **({"architecture": architecture} if architecture else {})}
        )

    def _with_detector(self, cls: type, params: dict[str, Any]) -> Any:
        """``cls(**params)``, inside an AnomalyDetector when the detector flags are given."""
        if "window" in params:  # the old spelling: the detector's pixel window
            warnings.warn(
                "--window for a detector is deprecated and will be removed: use "
                "--pixel-window (--window is a series' steps per window).",
                FutureWarning,
                stacklevel=2,
            )
            params.setdefault("pixel_window", str(params.pop("window")))
        detector = {k: params.pop(k) for k in _DETECTOR if k in params}
        autoencoder = cls(**params)
        if not detector:
            return autoencoder
        if "contamination" not in detector:
            raise UsageError("--pixel-window is a detector setting: give --contamination too.")
        return AnomalyDetector(
            autoencoder,
            contamination=auto_or(detector["contamination"], float, "--contamination"),
            pixel_window=auto_or(detector.get("pixel_window"), int, "--pixel-window"),
        )

    def serving(self, estimator: Any) -> Modality:
        # A detector belongs to the modality of the autoencoder inside it.
        inner = getattr(estimator, "autoencoder_", getattr(estimator, "autoencoder", None))
        return self if inner is None else modality_of(inner)

    # ------------------------------------------------------------ data in and out
    def encode(self, model: Any, source: str, out: Path, **read: Any) -> str:
        if not any(read.values()) and _streams(model, source, out):
            n = _stream(model, "transform", source, out, (model.latent_dim,))
            return f"wrote {n} codes of width {model.latent_dim} to {out}"
        return super().encode(model, source, out, **read)

    def decode(self, model: Any, codes_source: str, output: str, force: bool) -> str:
        from ..data import read_data

        out = check_output(output, force, ARRAY_FORMATS)
        if _streams(model, codes_source, out):
            shape = tuple(model.input_shape_ or (model.n_features_in_,))
            n = _stream(model, "inverse_transform", codes_source, out, shape)
            return f"wrote {n} reconstructions to {out}"
        codes = read_data(codes_source)
        if out.suffix.lower() != ".csv" and model.table_ is not None:
            raise UsageError("this model rebuilds a table with categorical columns: write .csv.")
        with about(codes_source):
            X = model.inverse_transform(codes)
        names = getattr(model, "feature_names_in_", None)
        write_array(out, X, None if names is None else list(names))
        return f"wrote {len(X)} reconstructions to {out}"

    def sample(self, model: Any, draw: Any, output: str, force: bool) -> str:
        from ..plotting.grids import save_image_grid
        from .layout import image_shape_of

        out = check_output(output, force, (".png", *ARRAY_FORMATS))
        shape = image_shape_of(model)
        if out.suffix.lower() == ".png" and shape is None:
            raise UsageError(
                f"{out}: the model's {model.n_features_in_} features are not an image; write "
                "the samples to .npy or .csv instead."
            )
        X = draw()
        if out.suffix.lower() == ".png":
            save_image_grid(out, X, shape)
        else:
            names = getattr(model, "feature_names_in_", None)
            write_array(out, X, None if names is None else list(names))
        return f"wrote {len(X)} samples to {out}"

    def scores(self, model: Any, data: Any) -> np.ndarray:
        if hasattr(model, "offset_"):  # a detector scores by its own window
            return model.score_samples(data)
        return reconstruction_scores(model, data, "auto")  # as a default detector would

    def metrics(self, model: Any, data: Any) -> dict[str, Any]:
        errors = model.reconstruction_error(data)
        metrics = {
            "n_samples": int(len(errors)),
            "reconstruction_mse": float(errors.mean()),
            # "nearest": no interpolation, so infinite errors (far out-of-range data) stay inf.
            "reconstruction_mse_median": float(np.quantile(errors, 0.5, method="nearest")),
            "reconstruction_mse_p95": float(np.quantile(errors, 0.95, method="nearest")),
            "latent_dim": int(model.latent_dim),
        }
        if model.has_prior:
            metrics["elbo"] = model.score(data)  # mean per sample, in nats
        return metrics

    # ------------------------------------------------------------ info, report, export
    def describe(self, entry: dict[str, Any]) -> list[str]:
        state, params = entry["state"], entry["params"]
        lines = []
        if "autoencoder" in state:  # a detector: its own settings, then its autoencoder's
            lines.append(
                f"  detector    contamination {params['contamination']!r}, "
                f"pixel window {state.get('window', 1)}, offset {state['offset']:.6g} "
                "(scores below it are outliers)"
            )
            inner = state["autoencoder"]
            lines.append(f"  autoencoder {inner['estimator']}")
            plugin = modality_named(inner["estimator"])
            if plugin is not None and plugin is not self:
                return lines + plugin.describe(inner)
            state, params = inner["state"], inner["params"]
        return lines + [
            *self.network_lines(state),
            f"  features    {state['n_features_in']}   latent_dim {params['latent_dim']}",
            f"  scaling     {state['scaling_mode']}   loss {state['loss']}",
            *self.trained_lines(state, params),
        ]

    def items(self, data: Any) -> Any:
        if hasattr(data, "iloc"):
            if len(data) == 0:
                raise ValueError("data has no rows.")
            return data
        data = np.asarray(data)
        if data.ndim < 2 or len(data) == 0:
            raise ValueError(f"data must be a non-empty 2-D (or image) array; got {data.shape}.")
        return data

    def shape(self, items: Any) -> str:
        return " x ".join(map(str, np.shape(items)[1:])) + " per sample"

    def report(self, estimator: Any, X: Any, labels: Any) -> Any:
        from .report import report_parts

        return report_parts(estimator, X, labels)

    def onnx_model(self, estimator: Any) -> Any:
        name = type(estimator).__name__
        model = autoencoder_of(estimator)
        if not hasattr(model, "network_"):
            raise ValueError(f"this {name} is not fitted: there is nothing to export.")
        if model.table_ is not None:
            raise ValueError(
                "this autoencoder was fitted on a table with categorical columns; their "
                "one-hot encoding is not in the ONNX graph. Export a model of numeric data."
            )
        return model


def _streams(model: Any, source: str, out: Path) -> bool:
    """Whether ``.npy`` in and out can go a block of rows at a time (any size of file)."""
    plain = model.table_ is None
    return plain and source.lower().endswith(".npy") and out.suffix.lower() == ".npy"


def _stream(model: Any, method: str, source: str, out: Path, row_shape: tuple[int, ...]) -> int:
    """``model.method`` over the rows of the ``.npy`` file ``source`` into ``out``, a
    block at a time, in constant memory; the number of rows."""
    from .streaming import npy_layout, npy_writer, read_npy_blocks

    with about(source):
        shape, dtype, _ = npy_layout(source)
        if shape[0] == 0:
            raise UsageError(f"{source}: the array has no rows.")
        out_dtype = np.float32 if dtype == np.float32 else np.float64
        with npy_writer(out, (shape[0], *row_shape), out_dtype) as write:
            for block in read_npy_blocks(source):
                write(getattr(model, method)(block))
    return shape[0]


register_modality(Arrays())
