"""The image modality's plug-in: ``--model image``, folders of pictures in and out,
PSNR and SSIM, colour grids and the worst reconstructions in the report.

It is the arrays plug-in for everything an image model shares with a conv
autoencoder (detector flags and scores, ``info``, ONNX); DATA is read as image files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..arrays.plugin import _DETECTOR, Arrays
from ..modality import (
    UsageError,
    about,
    names_beside,
    read_each,
    register_modality,
    stems_beside,
)
from ..plotting.grids import sheet
from ..saving.files import write_atomic
from ..saving.outputs import check_output
from .autoencoder import ImageAutoencoder
from .displays import png_bytes
from .input import SUFFIXES, decoded, sources


class Images(Arrays):
    name = "images"
    estimators = ("ImageAutoencoder",)
    models = {"image": f"image: pictures (DATA: a folder or file of {' '.join(SUFFIXES)})"}
    read_flags = ("skip_bad", "max_pixels")
    report_limit = 1000

    # ------------------------------------------------------------ training
    def parameters(self) -> list[Any]:
        return [p for p in ImageAutoencoder._parameters if p.flag]

    def accepts(self, model: str) -> set[str]:
        own = {p.name for p in ImageAutoencoder._parameters}
        return own | set(_DETECTOR) | set(self.read_flags)

    def refusal(self, model: str, name: str, owners: list[str]) -> str:
        return super(Arrays, self).refusal(model, name, owners)

    def estimator(self, model: str, params: dict[str, Any]) -> Any:
        if len(params.get("image_size", ())) == 1:  # --image-size 64: square
            params["image_size"] = params["image_size"][0]
        if "background" in params and "," in params["background"]:
            params["background"] = tuple(int(v) for v in params["background"].split(","))
        return self._with_detector(ImageAutoencoder, params)

    # ------------------------------------------------------------ data in and out
    def _read(
        self, source: str, skip_bad: bool = False, max_pixels: int | None = None
    ) -> list[Any]:
        """The images of a folder (or one file), decoded, as PIL images that keep their
        file names; with ``skip_bad`` unreadable files are left out and counted."""
        path = Path(source)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{source}: no such file or folder.")
        names = [s.name for s in sources(str(path))]
        images = read_each(names, lambda name: decoded(name, max_pixels), "image", skip_bad)
        if not images:
            raise UsageError(f"{source}: no readable image.")
        return images

    def _beside_codes(self, images: list[Any], out: Path) -> str:
        return names_beside(out, [img.filename for img in images])

    def decode(self, model: Any, codes_source: str, output: str, force: bool) -> str:
        from ..data import read_data

        with about(codes_source):
            images = model.inverse_transform(read_data(codes_source))
        return write_images(output, force, images, stems_beside(codes_source, len(images)))

    def compress(self, model: Any, source: str, out: Path, **read: Any) -> str:
        images = self.read(source, **read)
        with about(source):
            pixels = model.pixels(images)  # read and resized once, for the stream and PNG
            stream = model.compress(pixels)
        write_atomic(out, stream)
        beside = self._beside_codes(images, out)
        n, h, w = pixels.shape[:3]
        png = sum(len(png_bytes(p)) for p in pixels)
        return (f"wrote {n} images in {len(stream)} bytes to {out}{beside}: "
                f"{8 * len(stream) / (n * h * w):.3f} bits per pixel, {png / len(stream):.1f} "
                f"times smaller than PNG ({png} bytes, one file per {h}x{w} image)")  # fmt: skip

    def decompress(self, model: Any, stream: str, output: str, force: bool) -> str:
        path = Path(stream)
        if not path.is_file():
            raise UsageError(f"{stream}: no such file.")
        with about(stream):
            images = model.decompress(path.read_bytes())
        return write_images(output, force, images, stems_beside(stream, len(images)))

    def sample(self, model: Any, draw: Any, output: str, force: bool) -> str:
        out = check_output(output, force, (".png",))
        images = draw()
        write_atomic(out, png_bytes(sheet(images)))
        return f"wrote a grid of {len(images)} samples to {out}"

    def metrics(self, model: Any, data: Any) -> dict[str, Any]:
        from .quality import psnr, ssim

        original = model.pixels(data)
        rebuilt = model.reconstruct(original)
        metrics = {
            "n_samples": len(original),
            "mse": float(np.mean(model.reconstruction_error(original))),  # pixels in [0, 1]
            "psnr_db": float(np.mean(psnr(original, rebuilt))),
            "ssim": float(np.mean(ssim(original, rebuilt))),
            "latent_dim": int(model.latent_dim),
        }
        if model.has_prior:
            metrics["elbo"] = model.score(original)
        if model.bottleneck == "quantized":
            n, h, w = original.shape[:3]
            metrics["bits_per_pixel"] = 8 * len(model.compress(original)) / (n * h * w)
        return metrics

    # ------------------------------------------------------------ info, report
    def describe(self, entry: dict[str, Any]) -> list[str]:
        spec = entry["state"]["image_spec"]
        h, w = spec["size"]
        line = (f"  images      {h}x{w} {spec['channels']}, resize {spec['resize']}, "
                f"background {tuple(spec['background'])}")  # fmt: skip
        return [line, *super().describe(entry)]

    def items(self, data: Any) -> list[Any]:
        from ..data import as_list

        return as_list(data, "images")

    def shape(self, items: Any) -> str:
        return "images"

    def report(self, estimator: Any, images: Any, labels: Any) -> Any:
        from .report import report_parts

        return report_parts(estimator, images, labels)


def write_images(folder: str, force: bool, images: np.ndarray, stems: list[str]) -> str:
    """One PNG per image into ``folder`` (made if missing): the source names when
    known, else 0000.png, 0001.png, ..."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: images are written as one PNG each into a folder, not a file.")
    names = [out / f"{s}.png" for s in stems] or [out / f"{i:04d}.png" for i in range(len(images))]
    taken = [n for n in names if n.exists()]
    if taken and not force:
        raise UsageError(f"{taken[0]} exists; use --force to overwrite.")
    out.mkdir(parents=True, exist_ok=True)
    for name, image in zip(names, images, strict=True):
        write_atomic(name, png_bytes(image))
    return f"wrote {len(images)} PNG files to {out}/"


register_modality(Images())
