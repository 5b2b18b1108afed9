"""PNG image grids: grey, colour and any value range."""

import numpy as np
import pytest

from aekit.arrays.layout import image_shape_of
from aekit.plotting.grids import save_image_grid


@pytest.mark.parametrize(
    "shape, colour",
    [((6, 4), False), ((1, 6, 4), False), ((3, 6, 4), True), ((6, 4, 3), True), ((2, 6, 4), False)],
)
def test_image_grid_writes_a_png(tmp_path, shape, colour):
    from matplotlib.image import imread

    images = np.random.default_rng(0).normal(size=(7, int(np.prod(shape))))  # not in [0, 1]
    save_image_grid(tmp_path / "g.png", images, shape)
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    rgb = imread(tmp_path / "g.png")[..., :3]
    spread = np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max()  # 0 for grey pixels
    assert spread > 0.1 if colour else spread < 1e-6
    assert rgb.min() < 0.1 and rgb.max() > 0.9  # any range is stretched to the full scale


def test_image_shape_of_models():
    import pandas as pd

    import aekit

    rng = np.random.default_rng(0)

    def fit(X, **params):
        return aekit.Autoencoder(latent_dim=2, epochs=1, device="cpu", **params).fit(X)

    assert image_shape_of(fit(rng.random((20, 64)))) == (8, 8)  # square width: square grey
    assert image_shape_of(fit(rng.random((20, 10)))) is None
    conv = fit(rng.random((20, 48)), architecture="conv", image_shape=(3, 4, 4), hidden_dims=(2,))
    assert image_shape_of(conv) == (3, 4, 4)
    assert image_shape_of(fit(rng.random((20, 2, 5, 3)))) == (2, 5, 3)  # as the data came
    table = pd.DataFrame({"a": rng.random(20), "b": ["x", "y"] * 10, "c": rng.random(20),
                          "d": rng.random(20)})  # fmt: skip
    assert image_shape_of(fit(table)) is None  # four columns are no 2 x 2 picture
