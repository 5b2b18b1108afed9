"""Parameters declared once: name, default, constraint, docstring text and CLI flag.

An estimator lists its :class:`Param` declarations in ``_parameters``; from them
:class:`Declared` makes its ``__init__`` (which only stores the arguments, as
scikit-learn requires, with a real signature for ``get_params``), its
``_parameter_constraints`` table and the "Parameters" section of its docstring, and
``aekit train`` makes its flags. Groups that several estimators share (the training
parameters) are declared here; the others in the module of the estimator that owns them.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    constraints: list[Any]  # scikit-learn's parameter constraints
    kind: str  # the type, as the docstring states it
    doc: str  # what it does (docstring text; its first sentence is the flag's help)
    flag: dict[str, Any] | None = field(default=None, compare=False)  # argparse kwargs
    annotation: Any = Any

    def entry(self) -> str:
        """The numpydoc entry for this parameter."""
        body = textwrap.fill(self.doc, 80, initial_indent="    ", subsequent_indent="    ")
        return f"{self.name} : {self.kind}, default={self.default!r}\n{body}"

    def help(self) -> str:
        if self.flag and "help" in self.flag:
            return self.flag["help"]
        first = self.doc.split(". ")[0].rstrip(".")
        return first[:1].lower() + first[1:]


def parameters(*groups: Param | Iterable[Param], **defaults: Any) -> tuple[Param, ...]:
    """One estimator's parameters in order, with some defaults changed (``name=value``)."""
    out: list[Param] = []
    for group in groups:
        out.extend([group] if isinstance(group, Param) else group)
    names = [p.name for p in out]
    unknown = set(defaults) - set(names)
    if unknown or len(set(names)) != len(names):
        raise TypeError(f"bad parameter table: unknown {sorted(unknown)} or a duplicate in {names}")
    return tuple(
        dataclasses.replace(p, default=defaults[p.name]) if p.name in defaults else p for p in out
    )


def inherited(group: Iterable[Param], owner: str) -> tuple[Param, ...]:
    """``group`` for a wrapper estimator: each default None, meaning ``owner``'s own."""
    return tuple(
        dataclasses.replace(
            p,
            default=None,
            constraints=[None, *(c for c in p.constraints if c is not None)],
            kind=f"{p.kind} or None",
            doc=f"{p.doc} None: the {owner}'s own.",
            annotation=p.annotation | None,
        )
        for p in group
    )


def _make_init(params: tuple[Param, ...], positional: int) -> Any:
    kinds = [inspect.Parameter.POSITIONAL_OR_KEYWORD] * positional
    kinds += [inspect.Parameter.KEYWORD_ONLY] * (len(params) - positional)
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(p.name, kind, default=p.default, annotation=p.annotation)
            for p, kind in zip(params, kinds, strict=True)
        ]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


class Declared:
    """Mixin: ``__init__``, constraints and the docstring's parameter list from
    ``_parameters`` (the first ``_positional`` of them may be passed by position)."""

    _parameters: ClassVar[tuple[Param, ...]] = ()
    _positional: ClassVar[int] = 1

    @classmethod
    def _params_from_file(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Parameters as a model file holds them, made current (a spelling that has
        changed since the file was written is translated here)."""
        return params

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_parameters" not in cls.__dict__:
            return
        cls.__init__ = _make_init(cls._parameters, cls._positional)
        cls.__init__.__qualname__ = f"{cls.__qualname__}.__init__"
        cls._parameter_constraints = {p.name: p.constraints for p in cls._parameters}
        if cls.__doc__ and "{parameters}" in cls.__doc__:
            text = "\n".join(p.entry() for p in cls._parameters)
            cls.__doc__ = cls.__doc__.replace("{parameters}", textwrap.indent(text, "    ")[4:])


def positive_int(name: str, default: Any, kind: str, doc: str, **flag: Any) -> Param:
    return Param(name, default, [Interval(Integral, 1, None, closed="left")], kind, doc,
                 {"type": int, **flag}, int)  # fmt: skip


def one_of(
    name: str, default: str, choices: Sequence[str], doc: str, *, cli: bool = True, **flag: Any
) -> Param:
    """A parameter that takes one of ``choices``: its constraint, its type in the
    docstring and (with ``cli``) its flag's choices, all from the one list."""
    kind = "{" + ", ".join(f'"{c}"' for c in choices) + "}"
    return Param(name, default, [StrOptions(set(choices))], kind, doc,
                 {"choices": list(choices), **flag} if cli else None, str)  # fmt: skip


# ---------------------------------------------------------------- shared model settings
LATENT_DIM = positive_int("latent_dim", 32, "int", "Width of the code.", help="code width")
BOTTLENECK = one_of(
    "bottleneck", "deterministic", ("deterministic", "gaussian", "quantized"),
    'The code: "deterministic", the encoder\'s output; "gaussian", a variational '
    "autoencoder (a posterior per sample, a KL term to the prior N(0, I) weighted by beta, "
    "ramped up over kl_warmup of the run, with free_bits), which can sample; "
    '"quantized" (ImageAutoencoder), a codec: integer codes with a learned density, '
    "written as real bits by compress (the rate weighted by rate_weight).")  # fmt: skip
BETA = Param(
    "beta",
    1.0,
    [Interval(Real, 0, None, closed="left")],
    "float",
    'With bottleneck="gaussian": the weight of the KL term (beta-VAE); 1 gives the plain ELBO.',
    {"type": float, "help": "variational: weight of the KL term"},
    float,
)
KL_WARMUP = Param(
    "kl_warmup", 0.1, [Interval(Real, 0, 1, closed="both")], "float in [0, 1]",
    'With bottleneck="gaussian": the share of the training run over which the KL weight '
    "ramps linearly from 0 to beta, so the decoder learns to use the code before the prior "
    "pulls it in (against posterior collapse). 0 turns the warm-up off.",
    {"type": float, "help": "variational: share of the run to ramp beta"}, float)  # fmt: skip
FREE_BITS = Param(
    "free_bits", 0.0, [Interval(Real, 0, None, closed="left")], "float",
    'With bottleneck="gaussian": nats of KL per code unit (batch mean) that training does '
    "not penalise, which keeps units from collapsing onto the prior. Validation and score "
    "use the plain ELBO.",
    {"type": float, "help": "variational: KL nats per unit left unpenalised"}, float)  # fmt: skip
# The bottleneck axis as every estimator takes it (the one place these are declared).
CODE = (BOTTLENECK, BETA, KL_WARMUP, FREE_BITS)
RATE_WEIGHT = Param(
    "rate_weight", 0.01, [Interval(Real, 0, None, closed="left")], "float >= 0",
    'With bottleneck="quantized": the weight of the rate against the distortion: bits per '
    "pixel against the squared error of pixels in [0, 1] (images), kbps against the "
    "waveform loss (sound); larger gives smaller files and worse reconstructions.",
    {"type": float, "help": "a codec's weight of the rate (larger: fewer bits)"},
    float)  # fmt: skip
# The old spelling of bottleneck="gaussian" (text, series; --variational for audio too).
VARIATIONAL = Param(
    "variational", "deprecated", ["boolean", StrOptions({"deprecated"})], "bool",
    'Deprecated: use bottleneck="gaussian" (CLI: --bottleneck gaussian), which this '
    "sets; True warns (FutureWarning) and will stop working in a later release.",
    {"action": "store_true", "help": "deprecated: --bottleneck gaussian"},
    bool | str)  # fmt: skip

HANDLE_MISSING = one_of(
    "handle_missing", "error", ("error", "impute", "interpolate"),
    "Missing values (NaN): an error naming the first, or filled. \"impute\" (tables): "
    "numeric gaps take the column mean, plus an indicator input per column with gaps at "
    'fit, categorical ones the "unknown" category. "interpolate" (series): linearly along '
    "time (by position; the ends by the nearest value); a channel with no value at all is "
    "an error either way.",
    help="missing values: error, impute (tables), interpolate (series)")  # fmt: skip

# ---------------------------------------------------------------- training parameters
# Every neural estimator takes these, with its own defaults where it says so.
TRAINING: tuple[Param, ...] = (
    positive_int("epochs", 100, "int", "Maximum number of passes over the data."),
    positive_int("batch_size", 256, "int", "Samples per optimisation step."),
    Param("learning_rate", 5e-3, [Interval(Real, 0, None, closed="neither")], "float",
          "Peak learning rate of Adam; it warms up, then decays on a cosine to zero.",
          {"type": float}, float),
    Param("max_time", None, [None, Interval(Real, 0, None, closed="neither")], "float",
          "Training budget in seconds. The learning-rate schedule is fitted to whichever "
          "budget ends first, and training stops cleanly when the time is spent.",
          {"type": float, "help": "training budget in seconds"}, float | None),
    Param("validation_fraction", 0.1, [Interval(Real, 0, 1, closed="left")], "float",
          "Share of the samples held out for early stopping. 0 turns validation and early "
          "stopping off.", {"type": float}, float),
    positive_int("patience", 10, "int", "Epochs without validation improvement before "
                 "training stops; the best weights are kept."),
    Param("random_state", None, ["random_state"], "int, RandomState instance or None",
          "Seed for weight initialisation, shuffling and the validation split. Without "
          "max_time, the same seed gives the same model on CPU.",
          {"type": int, "flags": ("--seed",), "metavar": "N", "help": "reproducible on CPU"},
          int | np.random.RandomState | None),
    Param("device", "auto", [str], "str", '"auto" (CUDA when present), "cpu", "cuda" or '
          '"cuda:N".', {"help": "auto (default), cpu, cuda or cuda:N"}, str),
    one_of("precision", "fp32", ("fp32", "bf16"),
           '"bf16" runs the forward passes of training under bfloat16 autocast (weights and '
           "optimiser stay float32): faster on GPUs with bfloat16 units.",
           help="bf16: autocast (GPUs)"),
    Param("checkpoint_dir", None, [None, str, os.PathLike], "str or path",
          "Folder for a training checkpoint written (atomically) after every epoch: "
          "weights, optimiser, random generators, history. See resume.",
          {"help": "write a checkpoint there after every epoch (and on SIGINT)"},
          str | os.PathLike | None),
    Param("resume", False, ["boolean"], "bool", "Go on from the checkpoint in checkpoint_dir "
          "(same data and settings): the result is the uninterrupted run's, bit for bit on "
          "CPU without max_time. Without a checkpoint there, training starts from the "
          "beginning (a warning says so).",
          {"action": "store_true",
           "help": "go on from the checkpoint (--checkpoint-dir, default MODEL.checkpoint)"},
          bool),
    one_of("on_divergence", "raise", ("raise", "skip"),
           'A NaN or infinite loss: "raise" stops training, restores the last good weights '
          'and raises TrainingDiverged (a ValueError); "skip" leaves that batch out and '
           'counts it in history_["skipped_batches"].',
           help="a NaN or inf loss: stop or skip"),
    Param("callbacks", (), [list, tuple], "list of aekit.callbacks.Callback",
          "Objects called around the training loop (see aekit.callbacks), e.g. "
          "aekit.callbacks.TensorBoard(log_dir). Not saved in model files.",
          None, list | tuple),
    Param("verbose", False, ["verbose"], "bool", "Show a progress bar with the running loss.",
          None, bool),
)  # fmt: skip
# Estimators that build their own network from the data (not wrappers, which clone a
# fresh inner model every fit) can start from their previous fit's.
WARM_START = Param(
    "warm_start", False, ["boolean"], "bool",
    "Start from the network of the previous fit (its weights) instead of a fresh one: go "
    "on training, or fine-tune to other settings (a codec to another rate_weight). The "
    "data and settings must make the same network; the learning-rate schedule, max_time "
    "and history_ start again.", None, bool)  # fmt: skip
# What the training loop itself reads (the estimator uses the others before it).
LOOP_NAMES = ("epochs", "batch_size", "learning_rate", "max_time", "patience", "precision",
              "checkpoint_dir", "resume", "on_divergence", "callbacks", "verbose")  # fmt: skip
