"""The argument parser: one sub-command per verb, flags named like the Python API."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from .. import __version__
from .train import cmd_train
from .verbs import (
    cmd_decode,
    cmd_demo,
    cmd_encode,
    cmd_evaluate,
    cmd_export,
    cmd_info,
    cmd_report,
    cmd_sample,
    cmd_score,
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (with where to look), like every error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aekit", description="Autoencoders as an everyday tool.")
    parser.add_argument("--version", action="version", version=f"aekit {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def add(name: str, func, help: str) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    def skip_bad(p: Any) -> None:
        p.add_argument(
            "--skip-bad", action="store_true", help="audio: skip unreadable files, count them"
        )

    def model_and_data(p: Any) -> None:
        """MODEL DATA and how DATA is read: the verbs that run a model over data."""
        p.add_argument("model", metavar="MODEL")
        p.add_argument("data", metavar="DATA")
        p.add_argument("--column", help="text models: the text column of a .csv/.tsv")
        skip_bad(p)

    def progress_flags(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--quiet", action="store_true", help="no progress bar")
        group.add_argument("--verbose", action="store_true", help="progress bar even when piped")

    p = add("demo", cmd_demo, "train on scikit-learn's digits and compare with PCA")
    p.add_argument(
        "-o", "--output", default=None, help="output folder (default: a new aekit-demo*)"
    )
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--max-time", type=float, default=30.0, help="training budget in seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    progress_flags(p)

    p = add("train", cmd_train, "train an autoencoder on DATA and save it")
    p.add_argument(
        "data", metavar="DATA", help="file (.npy .npz .csv .parquet IDX) or data set name"
    )
    p.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write")
    p.add_argument("--latent-dim", type=int, help="code width")
    p.add_argument(
        "--model",
        choices=["dense", "conv", "vae", "text", "audio"],
        help="dense (default), conv, vae, text (DATA: .txt, one text per line, or .csv/.tsv) "
        "or audio (DATA: a folder of .wav/.flac/.ogg)",
    )
    p.add_argument("--column", help="text: the column of a .csv/.tsv that holds the texts")
    p.add_argument(
        "--architecture", choices=["dense", "conv"], help="network of a vae (default dense)"
    )
    p.add_argument("--hidden-dims", type=int, nargs="+", metavar="N")
    p.add_argument("--image-shape", type=int, nargs="+", metavar="N", help="H W or C H W")
    family = p.add_argument_group("variants (combine freely)")
    family.add_argument("--noise", type=float, help="denoising: corruption level while training")
    family.add_argument("--noise-type", choices=["gaussian", "masking", "salt_pepper"])
    family.add_argument("--sparsity", type=float, help="weight of the L1 (or KL) code penalty")
    family.add_argument("--sparsity-target", type=float, help="target mean activation (KL form)")
    family.add_argument("--contractive", type=float, help="weight of the Jacobian penalty")
    family.add_argument("--beta", type=float, help="vae: weight of the KL term")
    family.add_argument("--kl-warmup", type=float, help="vae: share of the run to ramp beta")
    family.add_argument("--free-bits", type=float, help="vae: KL nats per unit left unpenalised")
    text = p.add_argument_group("text models (--model text)")
    text.add_argument("--tokenizer", choices=["bpe", "word", "char"], help="default bpe")
    text.add_argument("--vocab-size", type=int, help="largest vocabulary (bpe, word)")
    text.add_argument("--max-length", type=int, help="tokens kept per text")
    text.add_argument("--variational", action="store_true", help="a VAE (text, audio)")
    text.add_argument("--word-dropout", type=float, help="share of decoder inputs hidden")
    text.add_argument("--synthetic", type=int, help="extra random-word training texts")
    audio = p.add_argument_group("audio models (--model audio)")
    audio.add_argument("--sample-rate", type=int, help="Hz (default: the data's)")
    audio.add_argument("--duration", type=float, help="seconds per clip (default: the data's)")
    audio.add_argument("--n-mels", type=int, help="mel bands (default 40)")
    audio.add_argument("--n-fft", type=int, help="FFT window in samples (default ~32 ms)")
    audio.add_argument("--hop-length", type=int, help="samples between frames")
    audio.add_argument("--standardize", choices=["bands", "clip"], help="default bands")
    audio.add_argument(
        "--augment", type=float, nargs="+", metavar="F", help="also learn clips at these speeds"
    )
    skip_bad(audio)
    p.add_argument(
        "--contamination",
        metavar="auto|F",
        help="save an AnomalyDetector: expected share of outliers in DATA, or auto",
    )
    p.add_argument(
        "--window",
        metavar="auto|N",
        help="detector: side of the pixel neighbourhood the error is averaged over",
    )
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--max-time", type=float, help="training budget in seconds")
    p.add_argument("--validation-fraction", type=float)
    p.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    p.add_argument("--precision", choices=["fp32", "bf16"], help="bf16: autocast (GPUs)")
    p.add_argument(
        "--checkpoint-dir", help="write a checkpoint there after every epoch (and on SIGINT)"
    )
    p.add_argument(
        "--on-divergence", choices=["raise", "skip"], help="a NaN or inf loss: stop or skip"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on from the checkpoint (--checkpoint-dir, default MODEL.checkpoint)",
    )
    p.add_argument("--seed", type=int, dest="random_state", metavar="N", help="reproducible on CPU")
    p.add_argument("--force", action="store_true", help="overwrite MODEL if it exists")
    progress_flags(p)

    p = add("encode", cmd_encode, "write the codes of DATA")
    model_and_data(p)
    p.add_argument("-o", "--output", required=True, help="codes file (.npy or .csv)")
    p.add_argument("--force", action="store_true")

    p = add("decode", cmd_decode, "write the reconstructions decoded from CODES")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("codes", metavar="CODES", help="codes file (.npy .npz .csv)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file (.npy or .csv; .txt for text; a folder of WAVs for audio)",
    )
    p.add_argument("--force", action="store_true")

    p = add("evaluate", cmd_evaluate, "reconstruction error of MODEL on DATA")
    model_and_data(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("score", cmd_score, "normality score of each row of DATA (higher is more normal)")
    model_and_data(p)
    p.add_argument("-o", "--output", required=True, help="scores.csv (or .npy)")
    p.add_argument(
        "--threshold",
        type=float,
        help="scores below it are outliers (label -1); default: a detector's offset_",
    )
    p.add_argument("--force", action="store_true")

    p = add("sample", cmd_sample, "generate data from a variational MODEL")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="samples.png (image grid), .npy or .csv; .txt for text; a folder for audio",
    )
    p.add_argument("--seed", type=int, default=None, help="reproducible samples")
    p.add_argument("--force", action="store_true")

    p = add("report", cmd_report, "write a self-contained HTML report on MODEL and DATA")
    model_and_data(p)
    p.add_argument(
        "--labels",
        metavar="COL_OR_FILE",
        help="classes of DATA: a column of it, a file (.npy .txt .csv), or 'target' for a "
        "built-in data set",
    )
    p.add_argument("-o", "--output", required=True, help="report.html")
    p.add_argument("--force", action="store_true")

    p = add("export", cmd_export, "write MODEL as encoder.onnx and decoder.onnx")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the files")
    p.add_argument("--force", action="store_true", help="replace existing .onnx files")

    p = add("info", cmd_info, "describe a model file without loading its weights")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--json", action="store_true", help="print the whole header as JSON")
    return parser
