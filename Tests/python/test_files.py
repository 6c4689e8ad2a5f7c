"""save/load: an exact round trip through a pickle-free .npz, written atomically."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import sgdswift as sg


def trained_network(dtype="float32"):
    rng = np.random.default_rng(2)
    net = sg.Network([5, 6, 3], hidden="relu", output="softmax", loss="cross_entropy", dtype=dtype, seed=9)
    net.fit(rng.random((50, 5)), rng.integers(0, 3, 50), epochs=2, batch_size=8, lr=0.1, verbose=False)
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_exact(tmp_path, dtype):
    net = trained_network(dtype)
    path = tmp_path / "model.npz"
    net.save(path)
    copy = sg.load(path)
    assert copy.sizes == net.sizes and copy.dtype == net.dtype
    assert (copy.hidden, copy.output, copy.loss_name, copy.seed) == (net.hidden, net.output, net.loss_name, net.seed)
    assert copy.parameters.tobytes() == net.parameters.tobytes()
    X = np.random.default_rng(3).random((10, 5))
    np.testing.assert_array_equal(copy.predict(X), net.predict(X))


def test_training_continues_identically_after_a_round_trip(tmp_path):
    net = trained_network()
    net.save(tmp_path / "m.npz")
    copy = sg.load(tmp_path / "m.npz")
    rng = np.random.default_rng(4)
    X, y = rng.random((40, 5)), rng.integers(0, 3, 40)
    for model in (net, copy):
        model.fit(X, y, epochs=2, batch_size=4, lr=0.1, verbose=False)
    assert copy.parameters.tobytes() == net.parameters.tobytes()  # same shuffles: the fit counter was saved


def test_save_replaces_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    trained_network().save(str(path))
    assert sg.load(path).sizes == [5, 6, 3]
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    trained_network().save(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        trained_network().save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_corrupted_and_foreign_files_raise_value_errors(tmp_path):
    good = tmp_path / "good.npz"
    trained_network().save(good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a sgdswift model file"):
        sg.load(truncated)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    with pytest.raises(ValueError, match="not a sgdswift model file"):
        sg.load(other)
    single_array = tmp_path / "array.npy"
    np.save(single_array, np.arange(3))
    with pytest.raises(ValueError, match=r"array\.npy: not a sgdswift model file \(a single \.npy array"):
        sg.load(single_array)
    with pytest.raises(FileNotFoundError):
        sg.load(tmp_path / "missing.npz")


def test_wrong_parameter_shape_is_rejected(tmp_path):
    path = tmp_path / "m.npz"
    trained_network().save(path)
    with np.load(path) as archive:
        fields = dict(archive)
    fields["parameters"] = fields["parameters"][:-1]
    np.savez(path, **fields)
    with pytest.raises(ValueError, match="parameters have dtype"):
        sg.load(path)


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch EXPLOITED",))


@pytest.mark.filterwarnings("ignore:Duplicate name")  # the hostile entry shadows the genuine one
def test_a_pickled_object_is_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "hostile.npz"
    trained_network().save(path)
    with zipfile.ZipFile(path, "a") as archive:  # replace the parameters with an object array
        archive.writestr("hidden.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (), }"
                         .ljust(127, b" ") + b"\n" + pickle.dumps(Exploit()))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        sg.load(path)
    assert not (tmp_path / "EXPLOITED").exists()
