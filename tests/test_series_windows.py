"""Windows of a series: cut with a stride, every step covered, stitched back by averaging."""

import numpy as np
import pytest

from aekit.series.windows import cut, starts, stitch


def test_windows_start_every_stride_and_the_last_ends_at_the_last_step():
    np.testing.assert_array_equal(starts(10, 4, 3), [0, 3, 6])  # 6 + 4 = 10: lands there
    np.testing.assert_array_equal(starts(11, 4, 3), [0, 3, 6, 7])  # one more, flush
    np.testing.assert_array_equal(starts(4, 4, 1), [0])


def test_jittered_starts_stay_within_their_stride_and_cover_the_end():
    at = starts(1000, 64, 16, np.random.default_rng(0))
    regular = np.arange(0, 1000 - 64 + 1, 16)  # 0 ... 928; the last start is 936 in both
    assert at[-1] == 1000 - 64 and len(regular) <= len(at) <= len(regular) + 1
    offsets = at[: len(regular) - 1] - regular[:-1]
    assert offsets.min() >= 0 and offsets.max() <= 15 and len(set(offsets)) > 8


def test_cut_windows_hold_the_series_values():
    series = np.arange(22, dtype=float).reshape(11, 2)  # 11 steps, 2 channels
    windows, at = cut(series, 4, 3)
    assert windows.shape == (4, 4, 2)
    for w, start in zip(windows, at, strict=True):
        np.testing.assert_array_equal(w, series[start : start + 4])


def test_stitching_the_windows_gives_the_series_back():
    series = np.random.default_rng(0).normal(size=(50, 3))
    windows, at = cut(series, 8, 3)
    np.testing.assert_allclose(stitch(windows, at, len(series)), series)


def test_stitch_averages_the_windows_that_cover_a_step():
    # Two windows of 3 over 4 steps, ones and threes: the shared steps get 2.
    values = np.stack([np.ones(3), 3 * np.ones(3)])
    np.testing.assert_allclose(stitch(values, np.array([0, 1]), 4), [1, 2, 2, 3])


def test_a_series_shorter_than_a_window_names_both_lengths():
    with pytest.raises(ValueError, match="has 5 steps, fewer than one window of 8"):
        starts(5, 8, 2)
