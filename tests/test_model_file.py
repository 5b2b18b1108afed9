"""Model files: exact round trips, and clear errors for anything that is not one."""

import json
import pickle
import struct

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save_file

import aekit
from aekit import Autoencoder, ModelFileError
from aekit.saving.model_file import FORMAT_VERSION, read_header

FAST = dict(hidden_dims=(16,), epochs=3, batch_size=32, random_state=0, device="cpu")


@pytest.fixture
def saved(tmp_path, unit_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    path = tmp_path / "model.aek"
    ae.save(path)
    return ae, path


def test_round_trip_is_bit_identical(saved, unit_data):
    ae, path = saved
    loaded = aekit.load(path)
    assert type(loaded) is Autoencoder
    assert loaded.get_params() == ae.get_params()
    Z = ae.transform(unit_data)
    assert np.array_equal(loaded.transform(unit_data), Z)
    assert np.array_equal(loaded.inverse_transform(Z), ae.inverse_transform(Z))
    assert np.array_equal(loaded.score_samples(unit_data), ae.score_samples(unit_data))
    assert loaded.history_ == ae.history_


def test_round_trip_standardised_conv_and_names(tmp_path, table_data):
    rng = np.random.default_rng(0)
    images = rng.normal(size=(30, 2, 6, 5)) * 40 + 3
    conv = Autoencoder(
        latent_dim=2, architecture="conv", hidden_dims=(3,), epochs=2, channels_first=True
    ).fit(images)
    conv.save(tmp_path / "conv.aek")
    twin = aekit.load(tmp_path / "conv.aek")
    assert np.array_equal(
        twin.inverse_transform(twin.transform(images)),
        conv.inverse_transform(conv.transform(images)),
    )
    df = pd.DataFrame(table_data, columns=list("abcdefgh"))
    named = Autoencoder(latent_dim=2, **FAST).fit(df)
    named.save(tmp_path / "named.aek")
    assert list(aekit.load(tmp_path / "named.aek").feature_names_in_) == list("abcdefgh")


def test_the_file_is_plain_safetensors_with_a_versioned_header(saved):
    _, path = saved
    header = read_header(path)
    assert header["format_version"] == FORMAT_VERSION
    assert header["estimator"] == "Autoencoder"
    assert header["params"]["latent_dim"] == 3
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        assert any(k.startswith("network.") for k in f.keys())


def _damaged(tmp_path, saved):
    _, path = saved
    raw = path.read_bytes()
    rng = np.random.default_rng(0)
    cases = {
        "empty": b"",
        "truncated-prefix": raw[:5],
        "truncated-header": raw[:200],
        "truncated-tensors": raw[: len(raw) - 100],
        "random": rng.bytes(5000),
        "text": b"latent_dim,epochs\n3,4\n",
    }
    for name, data in cases.items():
        p = tmp_path / f"{name}.aek"
        p.write_bytes(data)
        yield name, p


def test_damaged_files_give_a_clear_error_naming_the_file(tmp_path, saved):
    for name, path in _damaged(tmp_path, saved):
        with pytest.raises(ModelFileError) as info:
            aekit.load(path)
        assert str(path) in str(info.value), name
        assert isinstance(info.value, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        aekit.load(tmp_path / "nope.aek")


class _Payload:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(_Payload.target),))


def test_pickle_payload_is_never_run(tmp_path):
    _Payload.target = str(tmp_path / "pwned")
    evil = tmp_path / "evil.aek"
    evil.write_bytes(pickle.dumps({"model": _Payload()}))
    with pytest.raises(ModelFileError, match="not an aekit model file"):
        aekit.load(evil)
    torch_file = tmp_path / "evil.pt"
    torch.save({"x": _Payload()}, torch_file, _use_new_zipfile_serialization=True)
    with pytest.raises(ModelFileError):
        aekit.load(torch_file)
    assert not (tmp_path / "pwned").exists()


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(path), metadata={"format": "pt"})
    with pytest.raises(ModelFileError, match="not an aekit model file"):
        aekit.load(path)


def _rewrite_header(path, change):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    meta = json.loads(raw[8 : 8 + n])
    header = json.loads(meta["__metadata__"]["aekit"])
    change(header)
    meta["__metadata__"]["aekit"] = json.dumps(header)
    new = json.dumps(meta).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])


def test_newer_format_asks_for_an_upgrade(saved):
    _, path = saved
    _rewrite_header(path, lambda h: h.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match="Upgrade aekit"):
        aekit.load(path)


def test_unknown_estimator_class_is_refused(saved):
    _, path = saved
    _rewrite_header(path, lambda h: h.update(estimator="os.system"))
    with pytest.raises(ModelFileError, match="unknown estimator"):
        aekit.load(path)


def test_inconsistent_header_is_a_clear_error(saved):
    _, path = saved
    _rewrite_header(path, lambda h: h["state"]["network"]["config"].update(latent_dim=7))
    with pytest.raises(ModelFileError, match="inconsistent"):
        aekit.load(path)


def test_save_before_fit(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Autoencoder().save(tmp_path / "m.aek")
    assert not (tmp_path / "m.aek").exists()


def test_saved_file_has_the_usual_permissions(saved):
    import os

    _, path = saved
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_model_trained_for_the_gpu_loads_where_there_is_none(saved, unit_data):
    ae, path = saved
    _rewrite_header(path, lambda h: h["params"].update(device="cuda"))
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    loaded = aekit.load(path)
    assert loaded.device == "cuda"
    assert np.array_equal(loaded.transform(unit_data), ae.transform(unit_data))


def test_missing_header_fields_are_a_clear_error(saved, capsys):
    from aekit.cli import main

    _, path = saved
    _rewrite_header(path, lambda h: h.update(state={"loss": "mse"}))
    with pytest.raises(ModelFileError, match="inconsistent"):
        aekit.load(path)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and str(path) in err
