"""SeriesAutoencoder: windows of a stream and equal-length series, scores per time step."""

import numpy as np
import pandas as pd
import pytest

import aekit

FAST = dict(latent_dim=8, epochs=15, random_state=0, device="cpu")


def sines(n=3000, seed=0):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return np.stack([np.sin(t / 10), np.cos(t / 23)], axis=1) + 0.05 * rng.normal(size=(n, 2))


@pytest.fixture(scope="module")
def stream_model():
    return aekit.SeriesAutoencoder(window=64, **FAST).fit(sines())


@pytest.mark.parametrize("scoring", ["combined", "code_distance", "error"])
def test_an_injected_spike_gets_the_highest_step_scores(stream_model, scoring):
    model = clone_scoring(stream_model, scoring)
    spiked = sines(seed=1)
    spiked[1500:1504, 0] += 5
    scores = model.step_scores(spiked)
    assert scores.shape == (3000,)
    assert 1490 <= np.argmax(scores) <= 1514
    shifted = sines(seed=1)
    shifted[2400:2600, 1] += 2.5  # a level shift scores well above the normal steps
    scores = model.step_scores(shifted)
    assert scores[2450:2550].mean() > 5 * np.r_[scores[200:1400], scores[1700:2300]].mean()


def clone_scoring(model, scoring):
    """The fitted ``model`` scoring by ``scoring`` (a setting read at scoring time)."""
    import copy

    twin = copy.deepcopy(model)
    twin.scoring = scoring
    return twin


def test_step_scores_are_the_squared_errors_over_their_spread_on_the_fit_windows():
    # A new series one window long: each step's score is its squared error
    # (standardised by the fit channels' spread), divided by the mean squared error of
    # that step of the window and channel over every fit window, averaged over channels.
    train, window = sines(600), 50
    model = aekit.SeriesAutoencoder(window=window, scoring="error", **{**FAST, "epochs": 3})
    model.fit(train)
    std = train.std(axis=0)
    model.set_params(stride=1)  # transform: a code for the window at every step

    def squared_errors(series):  # of each window, (n, window, 2), standardised
        windows = np.stack([series[i : i + window] for i in range(len(series) - window + 1)])
        rebuilt = model.inverse_transform(model.transform(series))
        return ((rebuilt - windows) / std) ** 2

    spread = squared_errors(train).mean(axis=0)
    new = sines(window, seed=3)
    by_hand = (squared_errors(new)[0] / spread).mean(axis=1)
    np.testing.assert_allclose(model.error_spread_, spread, rtol=1e-4)
    np.testing.assert_allclose(model.step_scores(new), by_hand, rtol=1e-4)


def test_code_distance_is_the_distance_to_the_nearest_fit_code(stream_model):
    # A series one window long: every step scores its window's distance to the
    # nearest code of the fit windows.
    series = sines(64, seed=5)
    model = clone_scoring(stream_model, "code_distance")
    code = model.transform(series)
    assert code.shape == (1, 8)
    by_hand = np.linalg.norm(model.codes_ - code, axis=1).min()
    np.testing.assert_allclose(model.step_scores(series), by_hand, rtol=1e-5)
    np.testing.assert_allclose(model.score_samples(series), -by_hand, rtol=1e-5)
    # The fit codes are those of every fit window: 3000 - 64 + 1 of them.
    assert model.codes_.shape == (2937, 8)
    # Combined: each term over its 99th percentile on the fit data, summed.
    error = clone_scoring(stream_model, "error").step_scores(series)
    scales = stream_model.score_scales_
    combined = error / scales["error"] + by_hand / scales["code_distance"]
    np.testing.assert_allclose(stream_model.step_scores(series), combined, rtol=1e-5)


def test_fit_codes_and_scales_by_hand(stream_model):
    """``codes_`` are the codes of the fit windows at every step (as ``transform`` with
    stride 1 gives them), and ``score_scales_`` the 99th percentiles of each term over
    the fit windows' steps: the error over its spread, and the distance of each fit code
    to the nearest code of a window that does not overlap it (brute force here)."""
    train = sines()
    twin = clone_scoring(stream_model, "combined")
    twin.set_params(stride=1)
    codes = twin.transform(train)
    np.testing.assert_allclose(stream_model.codes_, codes, rtol=1e-4, atol=1e-5)
    assert list(stream_model.code_starts_) == list(range(len(codes)))
    windows = np.stack([train[i : i + 64] for i in range(len(codes))])
    std = np.asarray(stream_model.series_spec_.scale)
    squared = ((twin.inverse_transform(codes) - windows) / std) ** 2
    np.testing.assert_allclose(stream_model.error_spread_, squared.mean(axis=0), rtol=1e-3)
    error = (squared / stream_model.error_spread_).mean(axis=2)
    distances = np.sqrt(((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=2))
    starts = np.arange(len(codes))
    distances[np.abs(starts[:, None] - starts[None, :]) < 64] = np.inf  # overlapping windows
    nearest = distances.min(axis=1)
    scales = stream_model.score_scales_
    assert scales["error"] == pytest.approx(np.percentile(error, 99), rel=1e-3)
    by_hand = np.percentile(np.repeat(nearest[:, None], 64, axis=1), 99)
    assert scales["code_distance"] == pytest.approx(by_hand, rel=1e-3)


def test_nearest_excludes_the_zone_around_each_query_over_several_blocks():
    from aekit.series.nearest import nearest

    rng = np.random.default_rng(0)
    codes = rng.normal(size=(3000, 4))  # more than one block of 2,048 queries
    starts = np.arange(3000)
    got = nearest(codes, codes, starts, 10)
    d = np.sqrt(((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=2))
    d[np.abs(starts[:, None] - starts[None, :]) < 10] = np.inf
    np.testing.assert_allclose(got, d.min(axis=1), rtol=1e-12)
    plain = nearest(codes[:5] + 0.01, codes)  # no exclusion: the code itself is nearest
    np.testing.assert_allclose(plain, np.full(5, 0.02), rtol=1e-9)


def test_reconstruct_stitches_every_window_back_into_the_series(stream_model):
    series = sines(seed=2)
    back = stream_model.reconstruct(series)
    assert back.shape == series.shape
    # A fitted model tracks the sines: far closer to them than their own spread.
    assert np.mean((back - series) ** 2) < 0.1 * series.var()


def test_codes_per_window_and_windows_back(stream_model):
    series = sines(seed=3)
    codes = stream_model.transform(series)
    # Every window // 4 = 16 steps from 0 to 2928, then one flush with the end (2936).
    starts = len(range(0, 3000 - 64 + 1, 16)) + 1
    assert codes.shape == (starts, 8)
    windows = stream_model.inverse_transform(codes)
    assert windows.shape == (starts, 64, 2)
    assert stream_model.score_samples(series).shape == (starts,)


def test_a_dataframe_with_a_datetime_index_comes_back_with_it():
    index = pd.date_range("2024-01-01", periods=1000, freq="min")
    frame = pd.DataFrame(sines(1000), index=index, columns=["a", "b"])
    model = aekit.SeriesAutoencoder(window=32, **{**FAST, "epochs": 2}).fit(frame)
    back = model.reconstruct(frame)
    assert isinstance(back, pd.DataFrame) and list(back.columns) == ["a", "b"]
    assert back.index.equals(index)
    timed = frame.reset_index(names="t")
    model = aekit.SeriesAutoencoder(window=32, time_column="t", **{**FAST, "epochs": 1})
    assert model.fit(timed).reconstruct(timed).index.equals(pd.Index(index, name="t"))


def test_equal_length_series_get_one_code_each():
    rng = np.random.default_rng(0)
    X = np.sin(np.arange(50) / 5 + rng.uniform(0, 6, size=(40, 1)))
    model = aekit.SeriesAutoencoder(**{**FAST, "epochs": 2}).fit(X)
    assert model.transform(X).shape == (40, 8)
    assert model.inverse_transform(model.transform(X)).shape == (40, 50)
    assert model.step_scores(X).shape == (40, 50)


def test_save_and_load_give_the_same_scores(stream_model, tmp_path):
    stream_model.save(tmp_path / "s.aek")
    twin = aekit.load(tmp_path / "s.aek")
    series = sines(500, seed=4)
    np.testing.assert_array_equal(twin.step_scores(series), stream_model.step_scores(series))
    np.testing.assert_array_equal(twin.transform(series), stream_model.transform(series))


def test_a_constant_channel_is_centred_not_divided_by_zero():
    series = np.c_[sines(600)[:, 0], np.full(600, 7.0)]
    model = aekit.SeriesAutoencoder(window=32, **{**FAST, "epochs": 1}).fit(series)
    assert np.all(np.isfinite(model.step_scores(series)))
    spec = model.series_spec_
    assert spec.mean[1] == pytest.approx(7.0) and spec.scale[1] == 1.0  # centred, kept
    assert spec.mean[0] == pytest.approx(series[:, 0].mean())
    assert spec.scale[0] == pytest.approx(series[:, 0].std())
    back = model.reconstruct(series)[:, 1]
    assert np.abs(back - 7.0).max() < 1.0  # back in its units, near its level


@pytest.mark.parametrize(
    ("X", "params", "message"),
    [
        (np.zeros(20), {"window": 64}, "has 20 steps, fewer than one window of 64"),
        (
            pd.DataFrame({"a": np.arange(100.0), "b": ["x"] * 100}),
            {"window": 8},
            r"non-numeric column\(s\) \['b'\]",
        ),
        (
            pd.DataFrame({"t": [3, 1, 2] * 30, "a": np.arange(90.0)}),
            {"window": 8, "time_column": "t"},
            "has duplicated steps",
        ),
        (
            pd.DataFrame({"t": np.arange(90)[::-1], "a": np.arange(90.0)}),
            {"window": 8, "time_column": "t"},
            "not sorted",
        ),
        (
            np.r_[np.zeros(50), np.nan, np.zeros(49)],
            {"window": 8},
            r"1 missing or infinite value\(s\), the first at \(50, 0\)",
        ),
        (
            pd.DataFrame({"a": np.arange(90.0)}),
            {"window": 8, "time_column": "when"},
            "time_column='when' is not a column",
        ),
        (np.zeros((4, 5, 6, 7)), {}, r"\(n_series, length\) or \(n_series, length, n_channels\)"),
        (
            np.zeros(150),  # two windows fit, but the middle one has no partner
            {"window": 64},
            "hold 150 steps, fewer than the 192 that scoring='combined'",
        ),
    ],
)
def test_bad_series_are_refused_by_name(X, params, message):
    with pytest.raises(ValueError, match=message):
        aekit.SeriesAutoencoder(epochs=1, **params).fit(X)


def test_a_model_refuses_data_with_other_channels(stream_model):
    with pytest.raises(ValueError, match=r"fitted on 2 channel\(s\); X has 3"):
        stream_model.step_scores(np.zeros((200, 3)))


def test_a_detector_flags_the_spike_per_window_and_per_step(tmp_path):
    train, test = sines(seed=0), sines(seed=1)
    test[1500:1504, 0] += 5
    detector = aekit.AnomalyDetector(
        aekit.SeriesAutoencoder(window=64, **FAST), contamination=0.01
    ).fit(train)
    steps = detector.predict_steps(test)
    assert steps.shape == (3000,) and set(np.unique(steps)) <= {-1, 1}
    assert np.all(steps[1500:1504] == -1)  # the spike is flagged ...
    assert np.mean(steps[:1400] == -1) < 0.05  # ... and few of the normal steps
    windows = detector.predict(test)
    assert len(windows) == len(detector.autoencoder_.transform(test))
    # Windows of 64 every 16 steps: those starting at 1440, 1456, 1472 and 1488 cover
    # the spike (steps 1500-1503); they are flagged, and few of the others.
    starts = np.r_[np.arange(0, 3000 - 64 + 1, 16), 3000 - 64]
    covering = (starts <= 1500) & (starts + 64 > 1503)
    assert list(starts[covering]) == [1440, 1456, 1472, 1488]
    assert np.all(windows[covering] == -1)
    assert np.mean(windows[~covering] == -1) < 0.05
    detector.save(tmp_path / "d.aek")
    np.testing.assert_array_equal(aekit.load(tmp_path / "d.aek").predict_steps(test), steps)


def test_predict_steps_needs_a_series_model():
    X = np.random.default_rng(0).normal(size=(40, 5))
    detector = aekit.AnomalyDetector(aekit.Autoencoder(2, epochs=1)).fit(X)
    with pytest.raises(ValueError, match="predict_steps needs a series model inside"):
        detector.predict_steps(X)


def test_gaps_are_filled_along_time_by_linear_interpolation():
    from aekit.series.input import read

    values = sines(300)
    gappy = values.copy()
    gappy[100:110, 0] = np.nan
    gappy[:3, 1] = np.nan  # an end: the nearest value
    filled = read(gappy, 64, interpolate=True).values
    by_hand = np.interp(np.arange(100, 110), [99, 110], values[[99, 110], 0])
    np.testing.assert_allclose(filled[100:110, 0], by_hand)
    np.testing.assert_array_equal(filled[:3, 1], values[3, 1])
    np.testing.assert_array_equal(filled[110:], values[110:])
    model = aekit.SeriesAutoencoder(window=64, handle_missing="interpolate", **FAST)
    assert np.all(np.isfinite(model.fit(gappy).step_scores(gappy)))
    with pytest.raises(
        ValueError,
        match=r"13 missing or infinite value\(s\), the first at \(0, 1\): fill them first, or set "
        "handle_missing='interpolate'",
    ):
        model.set_params(handle_missing="error").fit(gappy)


@pytest.mark.parametrize(
    ("X", "params", "message"),
    [
        (np.c_[np.zeros(300), np.full(300, np.nan)], {"window": 64},
         "channel 1 holds no value at all"),
        (np.r_[np.zeros(299), np.inf], {"window": 64}, "infinite values are not gaps"),
        (np.where(np.eye(5, 50) > 0, np.nan, 1.0), {},  # each series one gap: fine
         None),
    ],
)  # fmt: skip
def test_interpolation_refuses_what_it_cannot_fill(X, params, message):
    model = aekit.SeriesAutoencoder(handle_missing="interpolate", scoring="error", epochs=1,
                                    **params)  # fmt: skip
    if message is None:
        assert np.all(np.isfinite(model.fit(X).transform(X)))
        return
    with pytest.raises(ValueError, match=message):
        model.fit(X)


def test_columns_pick_the_channels_of_a_dataframe():
    frame = pd.DataFrame(sines(600), columns=["a", "b"]).assign(label="x", c=1.0)
    model = aekit.SeriesAutoencoder(window=64, columns=["b", "a"], **FAST).fit(frame)
    assert model.n_features_in_ == 2 and model.series_spec_.columns == ["b", "a"]
    rebuilt = model.reconstruct(frame)
    assert list(rebuilt.columns) == ["b", "a"]
    with pytest.raises(ValueError, match=r"columns \['a'\] are not in X"):
        model.transform(frame.drop(columns=["a"]))


def test_a_time_column_of_text_is_read_as_dates():
    frame = pd.DataFrame({"t": ["2026-01-02", "2026-01-10", "2026-01-03"] * 100,
                          "a": np.arange(300.0)})  # fmt: skip
    with pytest.raises(ValueError, match="has duplicated steps"):
        aekit.SeriesAutoencoder(window=8, time_column="t").fit(frame)
    days = pd.date_range("2026-01-01", periods=300).strftime("%Y-%m-%d").tolist()
    days[5], days[50] = days[50], days[5]  # "2026-01-06" < "2026-02-20" as text and date
    frame = pd.DataFrame({"t": days, "a": np.arange(300.0)})
    with pytest.raises(ValueError, match="not sorted"):
        aekit.SeriesAutoencoder(window=8, time_column="t").fit(frame)
    frame = pd.DataFrame({"t": ["soon"] * 300, "a": np.arange(300.0)})
    with pytest.raises(ValueError, match="holds neither numbers nor dates"):
        aekit.SeriesAutoencoder(window=8, time_column="t").fit(frame)


@pytest.mark.parametrize(
    "params",
    [{"architecture": "series-gru", "epochs": 6}, {"bottleneck": "gaussian", "epochs": 30}],
    ids=["series-gru", "vae"],
)
def test_the_gru_network_and_the_vae_find_the_spike(params):
    model = aekit.SeriesAutoencoder(window=64, **{**FAST, **params}).fit(sines())
    spiked = sines(seed=1)
    spiked[1500:1504, 0] += 5
    assert 1490 <= np.argmax(model.step_scores(spiked)) <= 1514
    if "bottleneck" not in params:
        with pytest.raises(ValueError, match='fit it with bottleneck="gaussian"'):
            model.sample(2)
        return
    windows = model.sample(5, random_state=0)  # a VAE draws new windows
    assert windows.shape == (5, 64, 2) and np.all(np.isfinite(windows))
    np.testing.assert_array_equal(windows, model.sample(5, random_state=0))
