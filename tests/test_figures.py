"""PNG image grids: grey, colour and any value range."""

import numpy as np
import pytest

from aekit.figures import image_shape_of, save_image_grid


@pytest.mark.parametrize("shape", [(6, 4), (1, 6, 4), (3, 6, 4), (6, 4, 3), (2, 6, 4)])
def test_image_grid_writes_a_png(tmp_path, shape):
    images = np.random.default_rng(0).normal(size=(7, int(np.prod(shape))))  # not in [0, 1]
    save_image_grid(tmp_path / "g.png", images, shape)
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


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
