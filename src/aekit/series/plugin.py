"""The series modality's plug-in: ``--model series``, one long series (a CSV with a
header, or .npy) or equal-length series (.npy rows) in, a score per time step out, the
error per channel, the series over its reconstruction in the report."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..anomaly import AnomalyDetector
from ..modality import Modality, about, auto_or, autoencoder_of, register_modality
from ..saving.outputs import ARRAY_FORMATS, check_output, write_array
from . import displays  # noqa: F401  (registers its Display in aekit.plotting)
from .autoencoder import SeriesAutoencoder

_CONTAMINATION = next(p for p in AnomalyDetector._parameters if p.name == "contamination")


class SeriesData(Modality):
    name = "series"
    estimators = ("SeriesAutoencoder",)
    models = {
        "series": "series: with --window N one long series (DATA: .csv with a header, or "
        ".npy of steps x channels), else each .npy row a series"
    }
    front_end = "windows cut from a series"
    report_limit = 2**62  # never a random subset: a series is read in time order

    # ------------------------------------------------------------ training
    def parameters(self) -> list[Any]:
        return [p for p in SeriesAutoencoder._parameters if p.flag] + [_CONTAMINATION]

    def accepts(self, model: str) -> set[str]:
        return {p.name for p in SeriesAutoencoder._parameters} | {"contamination"}

    def estimator(self, model: str, params: dict[str, Any]) -> Any:
        """A SeriesAutoencoder; inside an AnomalyDetector with ``--contamination``."""
        if "columns" in params:
            params["columns"] = list(params["columns"])
        contamination = params.pop("contamination", None)
        autoencoder = SeriesAutoencoder(**params)
        if contamination is None:
            return autoencoder
        return AnomalyDetector(
            autoencoder, contamination=auto_or(contamination, float, "--contamination")
        )

    # ------------------------------------------------------------ data in and out
    def decode(self, model: Any, codes_source: str, output: str, force: bool) -> str:
        from ..data import read_data

        out = check_output(output, force, ARRAY_FORMATS)
        with about(codes_source):
            windows = model.inverse_transform(read_data(codes_source))
        write_array(out, windows)  # .npy keeps (n, steps[, channels]); .csv a row each
        return f"wrote {len(windows)} windows of {windows.shape[1]} steps to {out}"

    def sample(self, model: Any, draw: Any, output: str, force: bool) -> str:
        out = check_output(output, force, ARRAY_FORMATS)
        windows = draw()  # a VAE's (bottleneck="gaussian"); others refuse, saying so
        write_array(out, windows)
        return f"wrote {len(windows)} sampled windows of {windows.shape[1]} steps to {out}"

    def score_table(self, model: Any, data: Any) -> tuple[Any, float | None]:
        """A row per time step of a long series: its time (or step number) and score
        (``-step_scores``, so higher is more normal as everywhere); a row per series
        without a window."""
        import pandas as pd

        inner = autoencoder_of(model)
        if inner.series_spec_.window is None:
            return super().score_table(model, data)
        index = inner.series_spec_.read(data).index
        scores = -inner.step_scores(data)
        if index is None or (index.name is None and not isinstance(index, pd.DatetimeIndex)):
            time = {"step": np.arange(len(scores))}
        else:
            time = {index.name or "time": np.asarray(index)}
        return pd.DataFrame({**time, "score": scores}), getattr(model, "step_offset_", None)

    def metrics(self, model: Any, data: Any) -> dict[str, Any]:
        """Squared error per step on the standardised channels: overall and per channel."""
        spec = model.series_spec_
        values = spec.read(data).values
        rebuilt = np.asarray(model.reconstruct(data), dtype=np.float64).reshape(values.shape)
        error = (spec.standardise(rebuilt) - spec.standardise(values)) ** 2
        per_channel = error.reshape(-1, spec.channels).mean(axis=0)
        names = spec.columns or [str(i) for i in range(spec.channels)]
        counted = {"n_series": len(values)} if spec.window is None else {"n_steps": len(values)}
        return {
            **counted,
            "n_windows": int(len(model.transform(data))),
            "reconstruction_mse": float(error.mean()),
            **{
                f"reconstruction_mse[{n}]": float(v)
                for n, v in zip(names, per_channel, strict=True)
            },
            "latent_dim": int(model.latent_dim),
        }

    # ------------------------------------------------------------ info, report
    def describe(self, entry: dict[str, Any]) -> list[str]:
        state, params = entry["state"], entry["params"]
        spec = state["series_spec"]
        if spec["window"] is None:
            form = f"series of {spec['length']} steps"
        else:
            stride = params["stride"] or max(1, spec["window"] // 4)
            form = f"window {spec['window']} (stride {stride})"
        named = f" {spec['columns']}" if spec.get("columns") else ""
        timed = f", time column {spec['time_column']!r}" if spec.get("time_column") else ""
        return [
            *self.network_lines(state),
            f"  series      {form}, {spec['channels']} channel(s){named}{timed}   "
            f"latent_dim {params['latent_dim']}",
            f"  scoring     {params['scoring']}",
            *self.trained_lines(state, params),
        ]

    def items(self, data: Any) -> Any:
        if len(data) == 0:
            raise ValueError("the series has no steps.")
        return data

    def shape(self, items: Any) -> str:
        shape = np.shape(items)
        if hasattr(items, "columns"):
            return f"one series of {shape[0]} steps (columns: {', '.join(map(str, items.columns))})"
        return " x ".join(map(str, shape)) + " (steps or series x steps [x channels])"

    def report(self, model: Any, data: Any, labels: Any) -> Any:
        from .report import report_parts

        return report_parts(model, data, labels)


register_modality(SeriesData())
