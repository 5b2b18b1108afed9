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
    class Fitted:
        input_shape_ = None
        image_shape_ = None
        n_features_in_ = 64

    model = Fitted()
    assert image_shape_of(model) == (8, 8)  # a square width: a square grey image
    model.n_features_in_ = 10
    assert image_shape_of(model) is None
    model.image_shape_ = (3, 2, 5)
    assert image_shape_of(model) == (3, 2, 5)
    model.input_shape_ = (2, 5, 3)
    assert image_shape_of(model) == (2, 5, 3)  # the shape the data came in wins
