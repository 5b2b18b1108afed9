"""The audio modality's plug-in: ``--model audio``, folders of clips in and out,
log-mel metrics, spectrograms and players in the report."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..modality import (
    Modality,
    UsageError,
    about,
    flag,
    modality_for_model,
    names_beside,
    read_each,
    register_modality,
    stems_beside,
)
from ..saving.files import write_atomic
from . import displays  # noqa: F401  (registers its Display in aekit.plotting)
from .autoencoder import AudioAutoencoder
from .waveform_model import WaveformModel

# The spectrogram model's settings that the audio flags leave to the inner model.
_FIXED = ("image_shape", "contamination", "window")


class Audio(Modality):
    name = "audio"
    estimators = ("AudioAutoencoder",)
    models = {"audio": "audio (DATA: a folder of .wav/.flac/.ogg)"}
    front_end = "a spectrogram"
    read_flags = ("skip_bad",)
    report_limit = 300

    def parameters(self) -> list[Any]:
        return [p for p in AudioAutoencoder._parameters if p.flag]

    def _own(self) -> set[str]:
        """The audio settings proper; the others describe the spectrogram model."""
        inner = {"autoencoder", *AudioAutoencoder._forwarded}
        return {p.name for p in AudioAutoencoder._parameters} - inner

    def accepts(self, model: str) -> set[str]:
        inner = modality_for_model("conv").accepts("conv") | _waveform_flags()
        return (self._own() | inner | {"variational", *self.read_flags}) - set(_FIXED)

    def estimator(self, model: str, params: dict[str, Any]) -> AudioAutoencoder:
        """An AudioAutoencoder around the conv model (a VAE with ``--bottleneck
        gaussian``) or, for ``--representation waveform`` or a codec (``--bottleneck
        quantized``), the waveform model, that the other flags describe."""
        own = {k: params.pop(k) for k in list(params) if k in self._own()}
        if "augment" in own:
            own["augment"] = tuple(own["augment"])
        probe = AudioAutoencoder(**own, bottleneck=params.get("bottleneck"))
        if probe._waveform():
            foreign = sorted(set(params) - _waveform_flags())
            if foreign:
                raise UsageError(f"{flag(foreign[0])}: a waveform model (--representation "
                                 "waveform, or a codec) does not take it.")  # fmt: skip
            inner = WaveformModel(**params)
            return AudioAutoencoder(autoencoder=inner, **own, verbose=inner.verbose)
        for name in ("rate_weight", "bitrate", "segment"):
            if name in params:
                raise UsageError(
                    f"{flag(name)} is a setting of a waveform model: add "
                    "--representation waveform (a codec: --bottleneck quantized)."
                )
        kind = params.pop("architecture", None) or "conv"
        if params.pop("variational", False):  # the old spelling
            warnings.warn(
                "--variational is deprecated and will be removed: use --bottleneck gaussian.",
                FutureWarning,
                stacklevel=2,
            )
            params["bottleneck"] = "gaussian"
        inner = modality_for_model(kind).estimator(kind, params)
        return AudioAutoencoder(autoencoder=inner, **own, verbose=inner.verbose)

    def _read(self, source: str, skip_bad: bool = False) -> list[Any]:
        """The clips of a folder (or one file) as (wave, rate) pairs, in a list that
        knows their files (``names``); with ``skip_bad`` unreadable files are left out
        and counted instead of stopping the run."""
        from .clips import audio_files, read_clip

        path = Path(source)
        if not path.exists():
            raise UsageError(f"{source}: no such file or folder.")
        files = audio_files(path) if path.is_dir() else [path]
        named = read_each(files, lambda f: (str(f), read_clip(f)), "audio", skip_bad)
        if not named:
            raise UsageError(f"{source}: no readable audio clips.")
        return Clips(named)

    def _beside_codes(self, clips: Any, out: Path) -> str:
        return names_beside(out, clips.names) if isinstance(clips, Clips) else ""

    def compress(self, model: Any, source: str, out: Path, **read: Any) -> str:
        clips = self.read(source, **read)
        with about(source):
            stream = model.compress(clips)
        write_atomic(out, stream)
        beside = self._beside_codes(clips, out)
        seconds = sum(len(w) / rate for w, rate in clips)
        files = sum(Path(name).stat().st_size for name in clips.names)
        return (f"wrote {len(clips)} clips ({seconds:.1f} s) in {len(stream)} bytes to {out}"
                f"{beside}: {8 * len(stream) / seconds / 1000:.2f} kbps, "
                f"{files / len(stream):.1f} times smaller than the input files ({files} "
                "bytes)")  # fmt: skip

    def decompress(self, model: Any, stream: str, output: str, force: bool) -> str:
        path = Path(stream)
        if not path.is_file():
            raise UsageError(f"{stream}: no such file.")
        with about(stream):
            waves = model.decompress(path.read_bytes())
        stems = stems_beside(stream, len(waves))
        return write_clips(output, force, waves, model.sample_rate_, stems)

    def encode(self, model: Any, source: str, out: Path, **read: Any) -> str:
        if model._waveform():
            raise UsageError("a waveform model's code has a frame per 5 ms, as many as each "
                             "clip makes: aekit compress writes them (a codec), or "
                             "AudioAutoencoder.transform gives them in Python.")  # fmt: skip
        return super().encode(model, source, out, **read)

    def decode(self, model: Any, codes_source: str, output: str, force: bool) -> str:
        from ..data import read_data

        with about(codes_source):
            waves = model.inverse_transform(read_data(codes_source))
        return write_clips(output, force, waves, model.sample_rate_)

    def sample(self, model: Any, draw: Any, output: str, force: bool) -> str:
        # A folder of WAVs, checked as it is written.
        return write_clips(output, force, draw(), model.sample_rate_)

    def metrics(self, model: Any, clips: list[Any]) -> dict[str, Any]:
        from .quality import joined, speech_quality

        heard = [np.asarray(w) for w in model.waveforms(clips)]
        rebuilt = [r[: len(h)] for r, h in zip(model.reconstruct(heard), heard, strict=True)]
        rate = model.sample_rate_
        metrics = {"n_samples": len(clips), "latent_dim": int(model.autoencoder_.latent_dim)}
        if not model._waveform():  # the standardised log-mel spectrogram's error
            metrics["logmel_mse"] = -model.score(clips)
        metrics["spectral_convergence"] = float(np.mean(model.spectral_convergence(clips)))
        # PESQ and STOI where their packages are installed (aekit[speech]); the clips
        # joined, as both need seconds of speech
        metrics.update(speech_quality(joined(heard, rate), joined(rebuilt, rate), rate,
                                      missing_ok=True))  # fmt: skip
        if model._waveform() and model.autoencoder_.bottleneck == "quantized":
            seconds = sum(len(h) for h in heard) / rate
            metrics["kbps"] = 8 * len(model.compress(clips)) / seconds / 1000
        return metrics

    def describe(self, entry: dict[str, Any]) -> list[str]:
        from ..modality import modality_named

        state = entry["state"]
        inner = state["autoencoder"]
        if inner["estimator"] == "WaveformModel":
            model = inner["state"]
            return [f"  audio       {state['sample_rate']} Hz, each clip at its own length",
                    f"  autoencoder WaveformModel, {inner['params']['latent_dim']} code values "
                    "per frame", *self.network_lines(model),
                    *self.trained_lines(model, inner["params"])]  # fmt: skip
        n_mels, frames = state["spectrogram_shape"]
        return [
            f"  audio       {state['sample_rate']} Hz, {state['n_samples']} samples per clip, "
            f"{n_mels} mels x {frames} frames (n_fft {state['n_fft']}, "
            f"hop {state['hop_length']})",
            f"  autoencoder {inner['estimator']}",
            *modality_named(inner["estimator"]).describe(inner),
        ]

    def items(self, data: Any) -> list[Any]:
        from ..data import as_list

        return as_list(data, "clips")

    def shape(self, items: Any) -> str:
        return "audio clips"

    def report(self, model: Any, clips: list[Any], labels: Any) -> Any:
        from .report import report_parts

        return report_parts(model, clips, labels)


class Clips(list):
    """(wave, rate) pairs read from files, with the files' ``names``."""

    def __init__(self, named: list[tuple[str, Any]]):
        super().__init__(clip for _, clip in named)
        self.names = [name for name, _ in named]


def _waveform_flags() -> set[str]:
    return {p.name for p in WaveformModel._parameters} - {"sample_rate", "architecture"}


def write_clips(folder: str, force: bool, waves: Sequence[Any], rate: int,
                stems: Sequence[str] = ()) -> str:  # fmt: skip
    """One WAV per waveform in ``folder`` (made if missing): the source names when
    known, else 0000.wav, 0001.wav, ..."""
    from .clips import write_clip

    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: audio is written as one WAV per clip into a folder, not a file.")
    names = [out / f"{s}.wav" for s in stems] or [out / f"{i:04d}.wav" for i in range(len(waves))]
    taken = [n for n in names if n.exists()]
    if taken and not force:
        raise UsageError(f"{taken[0]} exists; use --force to overwrite.")
    out.mkdir(parents=True, exist_ok=True)
    for name, wave in zip(names, waves, strict=True):
        buffer = io.BytesIO()
        write_clip(buffer, wave, rate)
        write_atomic(name, buffer.getvalue())
    return f"wrote {len(waves)} WAV files ({rate} Hz) to {out}/"


register_modality(Audio())
