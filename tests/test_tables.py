"""Mixed-type tables: numeric and categorical columns in, the same DataFrame back."""

import numpy as np
import pandas as pd
import pytest

from aekit import Autoencoder, VariationalAutoencoder, load
from aekit.arrays.tables import TableEncoding
from aekit.cli import main

FAST = dict(latent_dim=3, epochs=60, batch_size=64, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 500))
    return pd.DataFrame(
        {
            "amount": a * 10 + 5,
            "count": (b * 3).round().astype("int64"),
            "colour": pd.Series(np.where(a > 0, "red", "blue"), dtype=object),
            "size": pd.Categorical(
                np.where(b > 0.5, "L", np.where(b < -0.5, "S", "M")),
                categories=["S", "M", "L"],
                ordered=True,
            ),
            "member": a + b > 0,
        }
    )


@pytest.fixture(scope="module")
def model(frame):
    return Autoencoder(**FAST).fit(frame)


def test_round_trip_keeps_columns_dtypes_and_categories(model, frame):
    out = model.inverse_transform(model.transform(frame))
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(frame.columns)
    assert out.dtypes.to_dict() == frame.dtypes.to_dict()
    assert out["size"].cat.categories.tolist() == ["S", "M", "L"] and out["size"].cat.ordered
    for column in ("colour", "size", "member"):
        assert (out[column] == frame[column]).mean() > 0.95, column
    assert np.corrcoef(out["amount"], frame["amount"])[0, 1] > 0.95
    assert model.transform(frame).shape == (500, 3)
    assert list(model.feature_names_in_) == list(frame.columns) and model.n_features_in_ == 5


def test_table_loss_by_hand():
    """Two numeric values and two categorical columns (2 and 3 categories), one row."""
    import math

    import torch

    from aekit.arrays.tables import table_loss

    x = torch.tensor([[0.5, -1.0, 0.0, 1.0, 0.0, 0.0, 1.0]])
    logits = torch.tensor([[1.0, -1.5, 2.0, 0.0, 0.0, 0.0, 0.0]])
    squared = (1.0 - 0.5) ** 2 + (-1.5 + 1.0) ** 2
    first = -math.log(math.exp(0.0) / (math.exp(2.0) + math.exp(0.0)))  # category 1 of 2
    second = math.log(3.0)  # uniform logits over 3 categories
    expected = (squared + first + second) / 4  # averaged over the 4 values and columns
    got = table_loss(logits, x, [0, 1], [(2, 4), (4, 7)])
    assert got.shape == (1,) and math.isclose(float(got[0]), expected, rel_tol=1e-6)


def test_loss_is_squared_error_plus_cross_entropy(model, frame):
    """The model's error, recomputed in numpy from its decoded logits and the encoded table."""
    import torch

    errors = model.reconstruction_error(frame)
    assert errors.shape == (500,) and (errors >= 0).all()
    np.testing.assert_allclose(model.score_samples(frame), -errors)
    assert model.loss_ == "table"
    target = model.table_.transform(frame)
    with torch.no_grad():
        logits = model.network_.decode(torch.from_numpy(model.transform(frame).astype("float32")))
    logits = logits.numpy().astype(np.float64)
    numeric, groups = model.table_.slices()
    total = ((logits[:, numeric] - target[:, numeric]) ** 2).sum(axis=1)
    for start, stop in groups:
        z = logits[:, start:stop]
        log_p = z - z.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        total -= log_p[np.arange(len(z)), target[:, start:stop].argmax(axis=1)]
    np.testing.assert_allclose(errors, total / (len(numeric) + len(groups)), rtol=1e-4, atol=1e-6)


def test_columns_are_taken_by_name(model, frame):
    shuffled = frame[["member", "size", "amount", "colour", "count"]]
    np.testing.assert_array_equal(model.transform(shuffled), model.transform(frame))


def test_unseen_categories_go_to_the_unknown_slot(model, frame):
    changed = frame.copy()
    changed["colour"] = changed["colour"].astype(object)
    changed.loc[0, "colour"] = "green"
    codes = model.transform(changed)
    np.testing.assert_array_equal(codes[1:], model.transform(frame)[1:])
    out = model.inverse_transform(codes[:1])
    assert out.loc[0, "colour"] in {"red", "blue"}  # decoded to a known category


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda f: f.drop(columns="amount"), "missing column"),
        (lambda f: f.assign(extra=1.0), "unexpected column"),
        (lambda f: f.to_numpy(), "pass a DataFrame"),
        (lambda f: f.assign(amount="lots"), "was numeric"),
        (lambda f: f.assign(member=["yes"] * len(f)), "expected bool"),
    ],
)
def test_mismatched_tables_are_clear_errors(model, frame, change, match):
    with pytest.raises(ValueError, match=match):
        model.transform(change(frame))


def test_missing_values_error_or_impute(frame):
    gappy = frame.copy()
    gappy["colour"] = gappy["colour"].astype(object)
    gappy.loc[3, "amount"] = np.nan
    gappy.loc[5, "colour"] = None
    with pytest.raises(ValueError, match="handle_missing='impute'"):
        Autoencoder(epochs=1).fit(gappy)
    model = Autoencoder(handle_missing="impute", **FAST).fit(gappy)
    out = model.inverse_transform(model.transform(gappy))
    assert not out.isna().any().any()  # imputed
    encoding = model.table_
    assert [c.name for c in encoding.columns if c.missing_flag] == ["amount"]  # flagged
    # amount + its flag, count, colour (2 + unknown), size (3 + unknown), member (bool)
    assert encoding.width == 2 + 1 + 3 + 4 + 2


def test_numeric_dataframe_with_gaps_and_impute(frame):
    numeric = frame[["amount", "count"]].astype(float)
    numeric.iloc[::7, 0] = np.nan
    model = Autoencoder(handle_missing="impute", **FAST).fit(numeric)
    assert (
        model.table_ is not None
        and not model.inverse_transform(model.transform(numeric)).isna().any().any()
    )


def test_save_load_round_trip(tmp_path, model, frame):
    model.save(tmp_path / "m.aek")
    twin = load(tmp_path / "m.aek")
    pd.testing.assert_frame_equal(
        twin.inverse_transform(twin.transform(frame)),
        model.inverse_transform(model.transform(frame)),
    )


def test_encoding_survives_json(frame):
    encoding = TableEncoding.fit(frame)
    import json

    again = TableEncoding.from_dict(json.loads(json.dumps(encoding.to_dict())))
    np.testing.assert_array_equal(again.transform(frame), encoding.transform(frame))


def test_unsupported_settings_are_clear(frame):
    with pytest.raises(ValueError, match="architecture='dense'"):
        Autoencoder(architecture="conv", epochs=1).fit(frame)
    with pytest.raises(ValueError, match="categorical columns"):
        VariationalAutoencoder(epochs=1).fit(frame)
    odd = frame.assign(when=pd.Series([object()] * len(frame)))
    with pytest.raises(ValueError, match="categories must"):
        Autoencoder(epochs=1).fit(odd)


def test_cli_reads_mixed_csv_and_parquet(tmp_path, frame, capsys):
    csv, model, codes, out = (tmp_path / n for n in ("t.csv", "m.aek", "c.npy", "out.csv"))
    frame.to_csv(csv, index=False)
    argv = ["--latent-dim", "3", "--epochs", "30", "--seed", "0", "--quiet"]
    assert main(["train", str(csv), "-o", str(model), *argv]) == 0
    assert main(["encode", str(model), str(csv), "-o", str(codes)]) == 0
    assert main(["decode", str(model), str(codes), "-o", str(out)]) == 0
    assert main(["decode", str(model), str(codes), "-o", str(tmp_path / "out.npy")]) == 2
    assert "write .csv" in capsys.readouterr().err
    back = pd.read_csv(out)
    assert list(back.columns) == list(frame.columns)
    assert set(back["colour"]) <= {"red", "blue"}
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "t.parquet"
    frame.to_parquet(parquet)
    assert main(["evaluate", str(model), str(parquet)]) == 0
