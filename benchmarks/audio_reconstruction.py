"""Spoken digits through a 32-dim code and back: aekit.AudioAutoencoder on FSDD.

One speaker of the Free Spoken Digit Dataset (``../shared/data/fsdd``, 8 kHz) is held
out entirely; the model trains on the other four. On the held-out speaker it reports
the reconstruction MSE of the standardised 40-band log-mel spectrograms and the digit
accuracy of LogisticRegression trained on the codes of the training speakers, next to
PCA with 32 components on the same standardised log-mels. Targets: MSE below PCA-32's
and digit accuracy >= 0.70. It also writes three original / reconstructed WAV pairs
and reports the spectral convergence of the Griffin-Lim waveforms.

    python benchmarks/audio_reconstruction.py [--speaker all|NAME] [--max-time 120]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import aekit
from aekit.audio.clips import read_clip, write_clip
from aekit.audio.spectrogram import spectral_convergence

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"


def load_fsdd(folder: Path) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Clip paths, digit labels and speaker names (from ``{digit}_{speaker}_{index}.wav``)."""
    files = sorted(folder.glob("*.wav"))
    parts = [f.stem.split("_") for f in files]
    return files, np.array([int(p[0]) for p in parts]), np.array([p[1] for p in parts])


def digit_accuracy(train_codes, train_digits, test_codes, test_digits) -> float:
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    return classifier.fit(train_codes, train_digits).score(test_codes, test_digits)


def held_out(args: argparse.Namespace, clips, digits, speakers, speaker: str) -> dict:
    """Train without ``speaker``, measure on ``speaker``: the figures as a dict."""
    test = speakers == speaker
    train_clips = [c for c, t in zip(clips, test, strict=True) if not t]
    test_clips = [c for c, t in zip(clips, test, strict=True) if t]
    ae = aekit.Autoencoder(
        args.latent_dim,
        architecture="conv",
        batch_size=32,
        max_time=args.max_time,
        random_state=args.seed,
    )
    model = aekit.AudioAutoencoder(
        autoencoder=ae, n_mels=40, standardize=args.standardize, augment=tuple(args.augment)
    )
    start = time.perf_counter()
    model.fit(train_clips)
    seconds, epochs = time.perf_counter() - start, len(model.autoencoder_.history_["epoch"])

    # Both models see the same standardised log-mels (the audio model's scaling).
    S_train = model.spectrograms(train_clips).reshape(len(train_clips), -1)
    S_test = model.spectrograms(test_clips).reshape(len(test_clips), -1)
    codes_train, codes_test = model.transform(train_clips), model.transform(test_clips)
    rebuilt = model.decode_spectrograms(codes_test).reshape(len(test_clips), -1)
    pca = PCA(args.latent_dim, random_state=args.seed).fit(S_train)
    P_train, P_test = pca.transform(S_train), pca.transform(S_test)
    figures = {
        "mse": float(np.mean((rebuilt - S_test) ** 2)),
        "pca_mse": float(np.mean((pca.inverse_transform(P_test) - S_test) ** 2)),
        "acc": digit_accuracy(codes_train, digits[~test], codes_test, digits[test]),
        "pca_acc": digit_accuracy(P_train, digits[~test], P_test, digits[test]),
    }
    spec = model.input_.logmel()
    waves = model.waveforms(test_clips)
    decoded = np.stack(model.inverse_transform(codes_test))
    # Griffin-Lim alone: inverting the clip's own log-mel, no autoencoder in between.
    inverted = spec.invert(spec(waves), model.n_samples_, model.n_iter)
    figures["sc"] = float(np.mean(spectral_convergence(waves, decoded, spec)))
    figures["sc_gl"] = float(np.mean(spectral_convergence(waves, inverted, spec)))
    print(f"{speaker:9s} fit {seconds:5.1f}s {epochs:3d} epochs | log-mel MSE aekit "
          f"{figures['mse']:.4f} PCA {figures['pca_mse']:.4f} | digit accuracy aekit "
          f"{figures['acc']:.4f} PCA {figures['pca_acc']:.4f} | spectral convergence "
          f"{figures['sc']:.3f} (Griffin-Lim alone {figures['sc_gl']:.3f})")  # fmt: skip

    args.out.mkdir(parents=True, exist_ok=True)
    n = int(test.sum())
    for i in (0, n // 2, n - 1):  # three digits
        name = f"{digits[test][i]}_{speaker}_{i}"
        write_clip(args.out / f"{name}-original.wav", waves[i], model.sample_rate_)
        write_clip(args.out / f"{name}-reconstructed.wav", decoded[i], model.sample_rate_)
    return figures


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speaker", default="all", help="the held-out speaker, or all in turn")
    parser.add_argument("--max-time", type=float, default=120.0, help="training budget (s)")
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--standardize", default="clip", choices=["bands", "clip"])
    parser.add_argument("--augment", type=float, nargs="*", default=[0.85, 0.92, 1.08, 1.15])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=FSDD)
    parser.add_argument("--out", type=Path, default=Path("fsdd-pairs"), help="WAV pairs go here")
    parser.add_argument("--per-speaker", type=int, default=None, help="N clips of each, all digits")
    args = parser.parse_args(argv)

    files, digits, speakers = load_fsdd(args.data)
    if args.per_speaker is not None:
        spread = [np.flatnonzero(speakers == s) for s in sorted(set(speakers))]
        keep = np.concatenate([i[np.linspace(0, len(i) - 1, args.per_speaker).astype(int)]
                               for i in spread])  # fmt: skip
        files, digits, speakers = [files[i] for i in keep], digits[keep], speakers[keep]
    names = sorted(set(speakers)) if args.speaker == "all" else [args.speaker]
    if not set(names) <= set(speakers):
        parser.error(f"no speaker {args.speaker!r}; the data has {sorted(set(speakers))}")
    clips = [read_clip(f) for f in files]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(clips)} clips; "
          f"each speaker held out in turn, the model trains on the others")  # fmt: skip
    rows = [held_out(args, clips, digits, speakers, name) for name in names]
    mean = {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}
    print(f"mean over {len(rows)}: log-mel MSE aekit {mean['mse']:.4f} vs PCA "
          f"{mean['pca_mse']:.4f} (target: below); digit accuracy aekit {mean['acc']:.4f} "
          f"vs PCA {mean['pca_acc']:.4f} (target >= 0.70); spectral convergence "
          f"{mean['sc']:.3f} (Griffin-Lim alone {mean['sc_gl']:.3f})")  # fmt: skip
    print(f"wrote three original / reconstructed WAV pairs per speaker to {args.out}/")
    return mean


if __name__ == "__main__":
    main()
