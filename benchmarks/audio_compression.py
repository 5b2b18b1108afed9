"""Are autoencoders good at compressing sound? Real bits: aekit audio codecs against MP3
and Opus, and the waveform model against the log-mel + Griffin-Lim one.

Data: the Free Spoken Digit clips (``../shared/data/fsdd``): fit on indices 5-49 of each
speaker, test on 0-4 (in its domain); and sentences spoken by espeak-ng (Debian's
``espeak-ng``) at 8 kHz, speech it never heard (outside its domain).

For each ``--bitrates`` value there is an ``AudioAutoencoder(bottleneck="quantized",
bitrate=kbps)``: the first is fitted from scratch for ``--base-time`` seconds, each
other starts from it (``warm_start``) and is fine-tuned to its own rate for
``--max-time`` seconds. Each compresses the test clips into one stream; its rate is the
stream's size (header included) over the clips' seconds, its quality PESQ-NB and STOI of
the decoded clips joined with 0.1 s of silence between them (``aekit.audio.quality``).
MP3 (LAME, constant rate) and Opus (libopus), both through soundfile, code the same
joined signal at several rates, their output aligned before scoring. BD-rate
(Bjøntegaard, over the PESQ or STOI range two curves share) of the codecs against each.
Then the plain models (``--plain-time`` seconds each): the waveform model and today's
log-mel + Griffin-Lim model, on the same test clips. Then the time to compress and
decompress the test clips with the middle codec. The curves (PESQ and STOI against kbps,
both domains) go into one PNG (``--out``).

Targets (2 cores): in its domain, a codec at 4 kbps or less with PESQ-NB and STOI at
least MP3's at 8 kbps; the waveform model above the log-mel one on both; each codec
trained in at most 1,800 s; compress + decompress of the 250 test clips in under 5 s.

    python benchmarks/audio_compression.py [--base-time 1200] [--max-time 300]
        [--bitrates 4,2,3,6] [--plain-time 600] [--out audio_compression.png]
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from aekit import AudioAutoencoder
from aekit.audio.clips import read_clip, resample
from aekit.audio.quality import joined, speech_quality
from aekit.audio.rate_distortion import Point, bd_rate, curve, measure
from aekit.codec.curves import plot_curves

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
RATE = 8000
MP3_KBPS = (8, 16, 24)
OPUS_KBPS = (6, 7.5, 11, 16)
# Harvard sentences (IEEE 1969), in the public domain: speech from another voice.
SENTENCES = (
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
)  # fmt: skip
AXES = {"pesq": "PESQ-NB (MOS-LQO)", "stoi": "STOI"}


def fsdd(folder: Path, n_fit: int = 45, n_test: int = 5) -> tuple[list[Path], list[Path]]:
    """Fit files (indices 5-49, the first ``n_fit``) and test files (0-4, the first
    ``n_test``) of every speaker and digit."""
    files = sorted(folder.glob("*.wav"))
    index = {f: int(f.stem.rsplit("_", 1)[1]) for f in files}
    return ([f for f in files if 5 <= index[f] < 5 + n_fit],
            [f for f in files if index[f] < min(n_test, 5)])  # fmt: skip


def spoken(n: int) -> list[np.ndarray]:
    """``n`` sentences spoken by espeak-ng, at 8 kHz, peak-normalised; none without it."""
    if shutil.which("espeak-ng") is None:
        print("no espeak-ng (Debian: apt install espeak-ng): the outside part is left out")
        return []
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for i, sentence in enumerate(SENTENCES[:n]):
            path = Path(folder) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), sentence], check=True)
            wave, rate = read_clip(path)
            wave = resample(wave, rate, RATE)
            out.append(wave / np.abs(wave).max())
    return out


def codec_point(codec: AudioAutoencoder, clips: list[np.ndarray]) -> Point:
    stream = codec.compress(clips)
    return measure(codec.bitrate, len(stream), joined(clips, RATE),
                   joined(codec.decompress(stream), RATE), RATE)  # fmt: skip


def show(name: str, points: list[Point]) -> None:
    for p in points:
        print(f"  {name:24s} {p.setting:>8.4g} {p.kbps:6.2f} kbps  PESQ {p.pesq:.2f}  "
              f"STOI {p.stoi:.3f}")  # fmt: skip


def bd_rates(codecs: list[Point], anchors: dict[str, list[Point]]) -> dict[str, float]:
    out = {}
    for name, points in anchors.items():
        for quality in AXES:
            if any(np.isnan(getattr(p, quality)) for p in [*points, *codecs]):
                print(f"  BD-rate against {name} by {quality.upper()}: no scores (pip install "
                      f"{'pesq' if quality == 'pesq' else 'pystoi'})")  # fmt: skip
                out[f"{name} {quality}"] = float("nan")
                continue
            try:
                out[f"{name} {quality}"] = bd_rate(points, codecs, quality)
            except ValueError as exc:  # no shared range: say so, keep going
                print(f"  BD-rate against {name} by {quality.upper()}: {exc}")
                out[f"{name} {quality}"] = float("nan")
    return out


def plot(panels: dict[str, dict[str, list[Point]]], out: Path) -> None:
    plot_curves(panels, out, "kbps", "kbps", AXES)


def plain_quality(model: AudioAutoencoder, clips: list[np.ndarray]) -> dict[str, float]:
    heard = [np.asarray(w) for w in model.waveforms(clips)]
    rebuilt = model.reconstruct(heard)
    rebuilt = [r[: len(h)] for r, h in zip(rebuilt, heard, strict=True)]
    quality = speech_quality(joined(heard, RATE), joined(rebuilt, RATE), RATE, missing_ok=True)
    return {"pesq": float("nan"), **quality}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-time", type=float, default=1200.0,
                        help="seconds of the first codec")  # fmt: skip
    parser.add_argument("--max-time", type=float, default=300.0,
                        help="seconds of each fine-tune")  # fmt: skip
    parser.add_argument("--bitrates", default="4,2,3,6",
                        help="kbps: the first from scratch, the others from it")  # fmt: skip
    parser.add_argument("--plain-time", type=float, default=600.0,
                        help="seconds of each plain model (0: leave them out)")  # fmt: skip
    parser.add_argument("--fsdd", type=Path, default=FSDD)
    parser.add_argument("--n-fit", type=int, default=45, help="fit clips per speaker and digit")
    parser.add_argument("--n-test", type=int, default=5, help="test clips per speaker and digit")
    parser.add_argument("--n-sentences", type=int, default=len(SENTENCES))
    parser.add_argument("--params", default="{}", help="extra AudioAutoencoder params (JSON)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("audio_compression.png"))
    parser.add_argument("--save", type=Path, help="folder to save the codecs in")
    parser.add_argument("--mp3-kbps", default=",".join(map(str, MP3_KBPS)))
    parser.add_argument("--opus-kbps", default=",".join(map(str, OPUS_KBPS)))
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    fit_files, test_files = fsdd(args.fsdd, args.n_fit, args.n_test)
    test = [w / np.abs(w).max() for w, _ in (read_clip(f) for f in test_files)]
    params = {"bottleneck": "quantized", "sample_rate": RATE, "random_state": 0,
              "device": args.device, **json.loads(args.params)}  # fmt: skip
    reference = joined(test, RATE)
    mp3, opus = ([float(k) for k in v.split(",")] for v in (args.mp3_kbps, args.opus_kbps))
    anchors = {
        "MP3": curve(reference, RATE, "mp3", mp3),
        "Opus": curve(reference, RATE, "opus", opus),
    }  # before any training
    codecs, figures = [], {}
    for kbps in (float(b) for b in args.bitrates.split(",")):
        start = time.perf_counter()
        if codecs:  # a fine-tune of the first codec to this rate
            codec = copy.deepcopy(codecs[0]).set_params(bitrate=kbps, max_time=args.max_time,
                                                        warm_start=True)  # fmt: skip
        else:
            codec = AudioAutoencoder(**params, bitrate=kbps, max_time=args.base_time)
        codec.fit([str(f) for f in fit_files])
        inner = codec.autoencoder_
        print(f"bitrate {kbps:g} kbps: fit {time.perf_counter() - start:.0f}s, "
              f"{len(inner.history_['epoch'])} epochs")  # fmt: skip
        codecs.append(codec)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            codec.save(args.save / f"codec_{kbps:g}kbps.aek")
    codecs.sort(key=lambda c: c.bitrate)

    print(f"FSDD test, {len(test)} clips joined ({len(reference) / RATE:.0f} s)")
    inside = {"aekit": [codec_point(c, test) for c in codecs], **anchors}
    for name, points in inside.items():
        show(name, points)
    in_bd = bd_rates(inside["aekit"], {"MP3": inside["MP3"], "Opus": inside["Opus"]})

    sentences = spoken(args.n_sentences)
    outside, out_bd = {}, {}
    if sentences:
        other = joined(sentences, RATE)
        print(f"espeak-ng (outside the domain), {len(sentences)} sentences "
              f"({len(other) / RATE:.0f} s)")  # fmt: skip
        outside = {"aekit (fit on FSDD)": [codec_point(c, sentences) for c in codecs],
                   "MP3": curve(other, RATE, "mp3", mp3),
                   "Opus": curve(other, RATE, "opus", opus)}  # fmt: skip
        for name, points in outside.items():
            show(name, points)
        out_bd = bd_rates(outside["aekit (fit on FSDD)"],
                          {"MP3": outside["MP3"], "Opus": outside["Opus"]})  # fmt: skip

    if args.plain_time > 0:
        fit = [str(f) for f in fit_files]
        common = {"max_time": args.plain_time, "sample_rate": RATE, "random_state": 0,
                  "device": args.device}  # fmt: skip
        plain = {"waveform": AudioAutoencoder(representation="waveform", **common),
                 "log-mel + Griffin-Lim": AudioAutoencoder(latent_dim=32, **common)}  # fmt: skip
        for name, model in plain.items():
            q = plain_quality(model.fit(fit), test)
            print(f"  plain {name:22s} PESQ {q['pesq']:.2f}  STOI {q['stoi']:.3f}  log-mel "
                  f"distance {q['logmel_distance']:.3f}")  # fmt: skip
            figures.update({f"plain {name} {k}": v for k, v in q.items()})

    middle = codecs[len(codecs) // 2]
    start = time.perf_counter()
    stream = middle.compress(test)
    packed = time.perf_counter() - start
    back = middle.decompress(stream)
    both = time.perf_counter() - start
    assert [len(b) for b in back] == [len(t) for t in test]
    kbps = 8 * len(stream) / (sum(map(len, test)) / RATE) / 1000
    print(f"compress + decompress of {len(test)} test clips: {both:.2f}s (compress "
          f"{packed:.2f}s), {kbps:.2f} kbps")  # fmt: skip

    for where, rates in (("in its domain", in_bd), ("outside it (espeak-ng)", out_bd)):
        for name, value in rates.items():
            print(f"BD-rate of aekit against {name}, {where}: {value:+.1f} %")
    panels = {"FSDD test (its domain)": inside}
    if outside:
        panels["espeak-ng sentences (outside it)"] = outside
    plot(panels, args.out)
    mp3_8 = min(inside["MP3"], key=lambda p: abs(p.kbps - 8))
    low = [p for p in inside["aekit"] if p.kbps <= 4.0]
    figures.update({f"bd {k}": v for k, v in in_bd.items()})
    figures.update({f"outside bd {k}": v for k, v in out_bd.items()})
    figures["seconds"] = both
    met = any(p.pesq >= mp3_8.pesq and p.stoi >= mp3_8.stoi for p in low)
    print(f"target: at <= 4 kbps PESQ and STOI >= MP3 at {mp3_8.kbps:.1f} kbps "
          f"({mp3_8.pesq:.2f}, {mp3_8.stoi:.3f}): {'met' if met else 'NOT met'}")  # fmt: skip
    print(f"target: compress + decompress under 5 s: {'met' if both < 5 else 'NOT met'}")
    return figures


if __name__ == "__main__":
    main()
