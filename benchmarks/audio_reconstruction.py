"""Spoken digits through a 32-dim code and back: aekit.AudioAutoencoder on FSDD.

One speaker of the Free Spoken Digit Dataset (``../shared/data/fsdd``, 8 kHz) is held
out entirely; the model trains on the other four. On the held-out speaker it reports
the reconstruction MSE of the standardised 40-band log-mel spectrograms and the digit
accuracy of LogisticRegression trained on the codes of the training speakers, next to
PCA with 32 components on the same standardised log-mels. Targets: MSE below PCA-32's
and digit accuracy >= 0.70. It also writes three original / reconstructed WAV pairs
and reports the spectral convergence of the Griffin-Lim waveforms.

    python benchmarks/audio_reconstruction.py [--speaker george] [--max-time 120]
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
from aekit.audio.clips import fix_length, read_clip, write_clip
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speaker", default="george", help="the held-out speaker")
    parser.add_argument("--max-time", type=float, default=120.0, help="training budget (s)")
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=FSDD)
    parser.add_argument("--out", type=Path, default=Path("fsdd-pairs"), help="WAV pairs go here")
    args = parser.parse_args()

    files, digits, speakers = load_fsdd(args.data)
    if args.speaker not in speakers:
        parser.error(f"no speaker {args.speaker!r}; the data has {sorted(set(speakers))}")
    test = speakers == args.speaker
    clips = [read_clip(f) for f in files]
    train_clips = [c for c, t in zip(clips, test, strict=True) if not t]
    test_clips = [c for c, t in zip(clips, test, strict=True) if t]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{len(train_clips)} training clips, {len(test_clips)} held out")  # fmt: skip

    ae = aekit.Autoencoder(
        args.latent_dim, architecture="conv", max_time=args.max_time, random_state=args.seed
    )
    model = aekit.AudioAutoencoder(autoencoder=ae, n_mels=40)
    start = time.perf_counter()
    model.fit(train_clips)
    epochs = len(model.autoencoder_.history_["epoch"])
    print(f"fit {time.perf_counter() - start:.1f}s, {epochs} epochs; clips of "
          f"{model.n_samples_} samples -> log-mel {model.spectrogram_shape_}")  # fmt: skip

    # Both models see the same standardised log-mels (the audio model's per-band scaling).
    S_train = model.spectrograms(train_clips).reshape(len(train_clips), -1)
    S_test = model.spectrograms(test_clips).reshape(len(test_clips), -1)
    codes_train, codes_test = model.transform(train_clips), model.transform(test_clips)
    rebuilt = model.decode_spectrograms(codes_test).reshape(len(test_clips), -1)
    mse = float(np.mean((rebuilt - S_test) ** 2))
    pca = PCA(args.latent_dim, random_state=args.seed).fit(S_train)
    pca_mse = float(np.mean((pca.inverse_transform(pca.transform(S_test)) - S_test) ** 2))
    acc = digit_accuracy(codes_train, digits[~test], codes_test, digits[test])
    P_train, P_test = pca.transform(S_train), pca.transform(S_test)
    pca_acc = digit_accuracy(P_train, digits[~test], P_test, digits[test])
    k = args.latent_dim
    print(f"held-out log-mel MSE: aekit {mse:.4f}   PCA-{k} {pca_mse:.4f}  (target: below PCA)")
    print(f"held-out digit accuracy: aekit {acc:.4f}   PCA-{k} {pca_acc:.4f}  (target >= 0.70)")

    spec = model._logmel_spec(model.spectrogram_shape_[0])
    waves = np.stack([fix_length(w, model.n_samples_) for w, _ in test_clips])
    decoded = np.stack(model.inverse_transform(codes_test))
    # Griffin-Lim alone: inverting the clip's own log-mel, no autoencoder in between.
    inverted = spec.invert(spec(waves), model.n_samples_, model.n_iter)
    sc = spectral_convergence(waves, decoded, spec)
    sc_gl = spectral_convergence(waves, inverted, spec)
    print(f"spectral convergence (lower is better): through the code {np.mean(sc):.3f}, "
          f"Griffin-Lim on the true log-mel {np.mean(sc_gl):.3f}")  # fmt: skip

    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(3):
        name = Path(files[np.flatnonzero(test)[i * 50]]).stem
        write_clip(args.out / f"{name}-original.wav", waves[i * 50], model.sample_rate_)
        write_clip(args.out / f"{name}-reconstructed.wav", decoded[i * 50], model.sample_rate_)
    print(f"wrote 3 original / reconstructed pairs to {args.out}/")


if __name__ == "__main__":
    main()
