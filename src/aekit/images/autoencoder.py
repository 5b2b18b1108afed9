"""``aekit.ImageAutoencoder``: images as users hold them, in and out as pictures."""

from __future__ import annotations

import math
import sys
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..arrays.autoencoder import Autoencoder
from ..arrays.family import NETWORK, REGULARISERS
from ..arrays.input import RowInput, check_rows
from ..codec.model import CodecTables, model_digest
from ..codec.stream import read, write
from ..networks import build_network, config_fields
from ..objective.penalties import Rate
from ..params import CODE, LATENT_DIM, RATE_WEIGHT, TRAINING, WARM_START, Param, parameters
from ..saving.model_file import register_estimator
from .input import CHANNELS, RESIZE, ImageSpec, Source, batch, sources, stack

IMAGE = (
    Param(
        "image_size",
        None,
        [None, Interval(Integral, 1, None, closed="left"), tuple, list],
        "int or (height, width)",
        "Size every image is brought to (by resize); None: the most common size among "
        "the fit images.",
        {
            "type": int,
            "nargs": "+",
            "metavar": "N",
            "help": "H [W]: the size images are brought to (default: the most common)",
        },
        int | tuple[int, int] | None,
    ),
    Param(
        "resize",
        "crop",
        [StrOptions(set(RESIZE))],
        '{"crop", "pad", "stretch"}',
        'How an image of another size or aspect is brought to image_size: "crop" keeps '
        'the aspect and cuts the centre; "pad" keeps the aspect and fills the margins '
        'with the background; "stretch" scales each axis on its own.',
        {"choices": list(RESIZE)},
        str,
    ),
    Param(
        "channels",
        "auto",
        [StrOptions({"auto", *CHANNELS})],
        '{"auto", "L", "RGB", "RGBA"}',
        'Colour channels the network sees: "auto" is RGB when any fit image has colour '
        '(by its mode: RGB, palette, CMYK ...) and L (grey) otherwise; "RGBA" keeps '
        "transparency as a fourth channel.",
        {"choices": ["auto", *CHANNELS]},
        str,
    ),
    Param(
        "background",
        "white",
        [str, tuple, list],
        "str or (r, g, b)",
        "Colour transparent pixels are laid on (and pad fills with), by name or 0-255 "
        "values; RGBA models keep alpha instead.",
        {"help": "colour under transparent pixels (default white)"},
        str | tuple | None,
    ),
)
LATENT_SHAPE = Param(
    "latent_shape", None, [None, tuple, list], "(channels, h, w)",
    "A spatial code (architecture='resconv'): channels at each position of an h x w grid, "
    "one of the grids that halving image_size reaches; latent_dim must then be "
    "channels * h * w. None: a dense code of latent_dim values.",
    {"type": int, "nargs": 3, "metavar": ("C", "H", "W")}, tuple[int, int, int] | None)  # fmt: skip
HYPERPRIOR = Param(
    "hyperprior", 0, [Interval(Integral, 0, None, closed="left")], "int >= 0",
    'With bottleneck="quantized" and a latent_shape: channels of a side code on the '
    "half-size grid from which a hyperprior predicts each code value's mean and scale "
    "(Ballé et al. 2018), so each image is coded under its own probabilities. 0: one "
    "learned density per code value, the same for every image.",
    {"type": int, "metavar": "C", "help": "side-code channels of a codec's hyperprior"},
    int)  # fmt: skip

_NETWORK = tuple(p for p in NETWORK if p.name != "image_shape")


@register_estimator
class ImageAutoencoder(CodecTables, Autoencoder):
    """Autoencoder for images given as files, PIL images or arrays.

    Images come as a folder (searched recursively for .png .jpg .jpeg .webp .bmp .tif
    .tiff and the first frame of .gif), a list of paths or PIL images, or arrays
    ``(n, H, W)`` / ``(n, H, W, C)`` (channels-last; uint8 0-255 or float 0-1). Each
    is decoded to 8 bits (16-bit grey scaled, palettes and CMYK made RGB), given the
    model's channels (transparent pixels laid on ``background``) and brought to
    ``image_size`` by ``resize``; the network reads pixels in [0, 1]: ``"conv"`` (two
    stride-2 convolutions and a dense code, the best measured at a few minutes on a
    CPU) or ``"resconv"`` (residual blocks with GroupNorm and SiLU, depth from the
    image size, and the option of a spatial code, ``latent_shape``). The loss is each
    image's log squared error (``loss="psnr"``) unless a VAE is asked for.
    ``transform`` gives ``(n, latent_dim)`` codes and ``inverse_transform`` uint8
    images ``(n, H, W, C)``. Every setting of the family applies: ``noise``, ``sparsity``,
    ``contractive``, and ``bottleneck="gaussian"`` for a VAE that can ``sample``.
    ``bottleneck="quantized"`` makes a codec: integer codes priced in bits by a learned
    density (weighted by ``rate_weight``), which :meth:`compress` writes as bytes and
    :meth:`decompress` reads back.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    image_spec_ : aekit.images.input.ImageSpec
        The size, channels, resize rule and background every image is brought to.
    n_features_in_ : int
        Values per image (height * width * channels).
    history_, network_, input_, loss_, training_time_
        As in :class:`Autoencoder`.

    Examples
    --------
    >>> import numpy as np, aekit
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, size=(40, 16, 16, 3), dtype=np.uint8)
    >>> img = aekit.ImageAutoencoder(latent_dim=8, epochs=2, random_state=0).fit(images)
    >>> img.transform(images[:2]).shape
    (2, 8)
    >>> img.inverse_transform(img.transform(images[:2])).dtype
    dtype('uint8')
    """

    _parameters = parameters(LATENT_DIM, IMAGE, _NETWORK, LATENT_SHAPE, CODE, RATE_WEIGHT,
                             HYPERPRIOR, REGULARISERS, TRAINING, WARM_START,
                             latent_dim=128, architecture="conv", batch_size=64)  # fmt: skip
    _bottlenecks = ("deterministic", "gaussian", "quantized")  # a codec too
    _no_prior = (
        "this ImageAutoencoder cannot sample: its code space has no prior to draw from. "
        'Train it with bottleneck="gaussian" (CLI: --bottleneck gaussian) to generate images.'
    )

    def fit(self, X: Any, y: Any = None) -> ImageAutoencoder:
        """Train on the images of ``X`` (see the class docstring for its forms)."""
        return super().fit(X)

    def _check_settings(self) -> None:
        super()._check_settings()
        if self.hyperprior and (self.bottleneck != "quantized" or self.latent_shape is None):
            raise ValueError(
                f"hyperprior={self.hyperprior} needs a codec with a spatial code: "
                "bottleneck='quantized' and a latent_shape (channels, h, w)."
            )
        if self.latent_shape is not None:
            shape = tuple(self.latent_shape)
            if len(shape) != 3 or not all(
                isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in shape
            ):
                raise ValueError(f"latent_shape must be (channels, h, w) of positive ints; "
                                 f"got {self.latent_shape!r}.")  # fmt: skip
            if "latent_shape" not in config_fields(self.architecture):
                raise ValueError(f"latent_shape is a setting of architecture='resconv'; "
                                 f"{self.architecture!r} makes dense codes only.")  # fmt: skip
            if math.prod(shape) != self.latent_dim:
                raise ValueError(
                    f"latent_shape={shape} holds {math.prod(shape)} values per image but "
                    f"latent_dim={self.latent_dim}: set latent_dim={math.prod(shape)}."
                )

    # ------------------------------------------------------------------ images to pixels
    def _items(self, X: Any) -> list[Source] | np.ndarray:
        if isinstance(X, np.ndarray):
            return batch(X, self.channels_first)
        return sources(X)

    def pixels(self, X: Any) -> np.ndarray:
        """The images of ``X`` as the model sees them: in the fitted size and channels,
        ``(n, H, W, C)``, uint8 (float in [0, 1] for float arrays)."""
        check_is_fitted(self)
        return stack(self._items(X), self.image_spec_)

    def _network_pixels(self, X: Any) -> np.ndarray:
        """``X``'s pixels in the dtype the model was fitted on (uint8 0-255, or float in
        [0, 1]), which is how its front end reads them."""
        pixels = self.pixels(X)
        if self.input_.pixels == "uint8" and pixels.dtype != np.uint8:
            return pixels * np.float32(255)
        if self.input_.pixels != "uint8" and pixels.dtype == np.uint8:
            return pixels.astype(np.float32) / np.float32(255)
        return pixels

    def _fit_input(self, X: Any) -> Any:
        items = self._items(X)
        if len(items) == 0:
            raise ValueError("no images to fit: X is empty.")
        self.image_spec_, resized = ImageSpec.fit(
            items, self.image_size, self.channels, self.resize, self.background
        )
        if resized and self.verbose:
            h, w = self.image_spec_.size
            print(f"{resized} of {len(items)} images are not {h}x{w}: brought to it by "
                  f"resize={self.resize!r}", file=sys.stderr)  # fmt: skip
        pixels = stack(items, self.image_spec_)
        X, sample_shape = check_rows(self, pixels, reset=True, keep=pixels.dtype == np.uint8)
        self.input_, rows = RowInput.fit(
            X, sample_shape, images="image_shape" in config_fields(self.architecture),
            layout=self.image_spec_.layout,  # the spec knows: no second guess
        )  # fmt: skip
        self._check_unit_data(X)
        self.loss_ = self._resolve_loss()
        return rows

    def _network_config(self) -> dict[str, Any]:
        config = super()._network_config()
        if self.latent_shape is not None:
            config["latent_shape"] = tuple(int(s) for s in self.latent_shape)
        return config

    def _build_network(self) -> torch.nn.Module:
        if self.bottleneck != "quantized":
            return super()._build_network()
        channels, positions = self._code_grid()
        config = self._network_config()
        return build_network("entropy-coded", network=self.architecture, network_config=config,
                             channels=channels, positions=positions,
                             latent_shape=config.get("latent_shape"),
                             hyper_channels=self.hyperprior)  # fmt: skip

    def _code_grid(self) -> tuple[int, int]:
        """The code as channels x positions of a density each: every value of the code
        has its own. A model's images have one size, and where a value sits says much
        about it (a Fashion-MNIST image's border is black): in 300 s, 28.67 dB at 0.969
        bits per pixel against 28.38 dB at 1.043 with one density per channel of a
        (16, 7, 7) code, shared by its 49 positions as in Ballé et al."""
        return self.latent_dim, 1

    # ------------------------------------------------------------------ the axes
    def _penalties(self) -> list[Any]:
        own = super()._penalties()
        if self.bottleneck == "quantized":
            h, w = self.image_spec_.size
            own.append(Rate(self.rate_weight, h * w))
        return own

    def _resolve_loss(self) -> str:
        if self.loss == "auto":
            # A VAE needs a likelihood: Bernoulli for pixels in [0, 1]; a codec's rate
            # is traded against the squared error, as rate_weight says. Otherwise each
            # image's log error: emoji, 300 s, held-out PSNR 26.3 dB against 25.0-25.4
            # with "mse"; Fashion-MNIST, 60 s: test MSE 3 % higher, mean PSNR higher.
            if self.bottleneck == "quantized":
                return "mse"
            return "bce" if self.has_prior else "psnr"
        return super()._resolve_loss()

    # ------------------------------------------------------------------ real bits
    def compress(self, X: Any) -> bytes:
        """The images of ``X`` as bytes: their integer codes range-coded under the
        learned density (``bottleneck="quantized"``). :meth:`decompress` with this
        model gives back exactly ``inverse_transform(transform(X))``."""
        self._check_codec("compress")
        codes = np.rint(self.transform(X)).astype(np.int64)
        model_id = self.model_id()  # a hash of every weight: once per call
        return write(self.network_, codes, model_id, self._coding_tables(model_id))

    def decompress(self, data: bytes) -> np.ndarray:
        """Images, uint8 (n, H, W, C), from bytes :meth:`compress` wrote with this model.
        Bytes of another model, cut short or damaged are a ValueError that says which."""
        self._check_codec("decompress")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"decompress takes bytes; got {type(data).__name__}.")
        model_id = self.model_id()
        codes = read(self.network_, bytes(data), model_id, self._coding_tables(model_id))
        return self.inverse_transform(codes.astype(np.float32))

    def _check_codec(self, verb: str) -> None:
        check_is_fitted(self)
        if self.bottleneck != "quantized":
            raise ValueError(
                f"{verb} needs a codec: this ImageAutoencoder has bottleneck="
                f"{self.bottleneck!r}; fit one with bottleneck='quantized' (CLI: "
                "--bottleneck quantized)."
            )

    def model_id(self) -> bytes:
        """8 bytes of the SHA-256 of the weights and the image rule: a stream names the
        model that can read it."""
        return model_digest(self.image_spec_.to_dict(), self.network_)

    # ------------------------------------------------------------------ inference
    def transform(self, X: Any) -> np.ndarray:
        """Codes of the images of ``X``, shape (n_images, latent_dim)."""
        return super().transform(self._network_pixels(X))

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Images decoded from codes: uint8 of shape (n, H, W, C)."""
        out = super().inverse_transform(Z)
        if out.dtype != np.uint8:  # fitted on float pixels
            out = np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
        return out

    def reconstruction_error(self, X: Any, *, window: int = 1) -> np.ndarray:
        """Mean squared error of each image's pixels (in [0, 1]) after the round trip;
        ``window``: see :meth:`Autoencoder.reconstruction_error`."""
        return super().reconstruction_error(self._network_pixels(X), window=window)

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative reconstruction error per image; the ELBO for a variational model."""
        if self.has_prior:
            return self._per_sample(self._network_pixels(X), "elbo")
        return -self.reconstruction_error(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    # ------------------------------------------------------------------ files
    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        state, tensors = super()._own_file_state()
        state = {**state, "image_spec": self.image_spec_.to_dict()}
        if self.bottleneck == "quantized":
            own, own_tensors = self._tables_state()
            state, tensors = {**state, **own}, {**tensors, **own_tensors}
        return state, tensors

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        super()._load_own_file_state(state, tensors)
        self.image_spec_ = ImageSpec.from_dict(state["image_spec"])
        self._load_tables_state(state, tensors)
