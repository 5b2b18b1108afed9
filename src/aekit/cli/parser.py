"""The argument parser: one sub-command per verb, flags named like the Python API."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ..modality import models, plugins
from ..version import __version__
from .train import add_train_flags, cmd_train
from .verbs import (
    cmd_compress,
    cmd_decode,
    cmd_decompress,
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

    _add_training_verbs(add)
    _add_model_verbs(add)
    return parser


def _skip_bad(p: Any) -> None:
    p.add_argument(
        "--skip-bad", action="store_true", help="audio, images: skip unreadable files, count them"
    )
    p.add_argument("--max-pixels", type=int, metavar="N",
                   help="images: refuse files that declare more pixels (default: Pillow's "
                        "89,478,485)")  # fmt: skip


def _model_and_data(p: Any) -> None:
    """MODEL DATA and how DATA is read: the verbs that run a model over data."""
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--column", help="text models: the text column of a .csv/.tsv")
    _skip_bad(p)


def _progress_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--quiet", action="store_true", help="no progress bar")
    group.add_argument("--verbose", action="store_true", help="progress bar even when piped")


def _add_training_verbs(add: Any) -> None:
    """``demo`` and ``train``, whose model flags come from the plug-ins' declarations."""
    p = add("demo", cmd_demo, "train on scikit-learn's digits and compare with PCA")
    p.add_argument(
        "-o", "--output", default=None, help="output folder (default: a new aekit-demo*)"
    )
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--max-time", type=float, default=30.0, help="training budget in seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    _progress_flags(p)

    p = add("train", cmd_train, "train an autoencoder on DATA and save it")
    p.add_argument(
        "data", metavar="DATA", help="file (.npy .npz .csv .parquet IDX) or data set name"
    )
    p.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write")
    choices = models()
    p.add_argument(
        "--model",
        choices=list(choices),
        default=next(iter(choices)),
        help="; ".join(help for plugin in plugins() for help in plugin.models.values()),
    )
    p.add_argument(
        "--architecture",
        help="network of a vae or audio model: dense, conv or a registered name",
    )
    p.add_argument("--column", help="text: the column of a .csv/.tsv that holds the texts")
    _skip_bad(p)
    p.set_defaults(train_flags=add_train_flags(p))
    p.add_argument("--force", action="store_true", help="overwrite MODEL if it exists")
    _progress_flags(p)


def _add_model_verbs(add: Any) -> None:
    """The verbs that read a model file."""
    p = add("encode", cmd_encode, "write the codes of DATA")
    _model_and_data(p)
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

    p = add("compress", cmd_compress, "write the images of DATA as bytes with a codec MODEL")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA", help="an image file or a folder of them")
    _skip_bad(p)
    p.add_argument("-o", "--output", required=True, help="the stream (.aekz)")
    p.add_argument("--force", action="store_true")

    p = add("decompress", cmd_decompress, "write the images of a STREAM that MODEL compressed")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("stream", metavar="STREAM", help="a .aekz file from aekit compress")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the PNGs")
    p.add_argument("--force", action="store_true")

    p = add("evaluate", cmd_evaluate, "reconstruction error of MODEL on DATA")
    _model_and_data(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("score", cmd_score, "normality score of each row of DATA (higher is more normal)")
    _model_and_data(p)
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
    _model_and_data(p)
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
