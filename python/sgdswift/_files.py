"""Model files: .npz archives without pickles, written atomically and read field by field with checks
that name the file and the field, so that a damaged or foreign file is a ValueError, never a crash."""
from __future__ import annotations

import os
import tempfile
from typing import Any, BinaryIO, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from ._checks import INT64_MAX

PathLike = Union[str, "os.PathLike[str]"]


def write_npz(path: PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """Writes `arrays` to `path` as an .npz archive, atomically (see `write_atomically`)."""
    contents: dict[str, Any] = dict(arrays)  # (NumPy's stub would take a key "allow_pickle" for its flag)
    write_atomically(path, lambda file: np.savez(file, **contents))


def write_atomically(path: PathLike, write: Callable[[BinaryIO], Any]) -> None:
    """Calls `write` with a binary file that becomes `path` atomically: a temporary file in the same
    directory, flushed to disk and given the permissions the umask gives new files, then renamed over
    `path`; the directory is flushed last so that the rename itself survives a crash."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".sgdswift-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)  # the only way to read the umask is to set it
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp made it 0o600
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)


class Fields:
    """The fields of a model file, read as the types they must have."""

    def __init__(self, path: str, arrays: dict[str, np.ndarray]):
        self.path = path
        self._arrays = arrays

    def __contains__(self, key: str) -> bool:
        return key in self._arrays

    def text(self, key: str) -> str:
        """A str field (a 0-d Unicode array)."""
        value = self._arrays[key]
        if value.dtype.kind != "U" or value.shape != ():
            raise ValueError(f"{self.path}: field {key!r} is not a string")
        return str(value[()])

    def integer(self, key: str, low: int = 0, high: int = INT64_MAX) -> int:
        """An integer field (a 0-d int or uint array) from low to high."""
        value = self._arrays[key]
        if value.dtype.kind not in "iu" or value.shape != ():
            raise ValueError(f"{self.path}: field {key!r} is not an integer")
        number = int(value[()])
        if not low <= number <= high:
            raise ValueError(f"{self.path}: field {key!r} is {number}, expected {low} to {high}")
        return number

    def array(self, key: str, kinds: Optional[str] = None, ndim: Optional[int] = None,
              description: str = "an array") -> np.ndarray:
        """An array field, of a dtype kind among `kinds` and with `ndim` dimensions when they are given
        (the caller checks what depends on other fields)."""
        value = self._arrays[key]
        if (kinds is not None and value.dtype.kind not in kinds) or (ndim is not None and value.ndim != ndim):
            raise ValueError(f"{self.path}: field {key!r} is not {description}")
        return value


def read_npz(path: PathLike, required: Sequence[str], optional: Sequence[str] = (),
             added: Sequence[str] = ()) -> Fields:
    """The fields `required` of the .npz file at `path`, the group `optional` when the file has its
    first field (then all of it), and each of the fields `added` (by later versions) that the file has.
    Nothing is unpickled; anything that is not such a file is a ValueError, except a missing file
    (FileNotFoundError)."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as error:
        raise ValueError(f"{path}: not a sgdswift model file ({type(error).__name__}: {error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):  # np.load reads a single .npy array as well
        raise ValueError(f"{path}: not a sgdswift model file (a single .npy array, not an .npz archive)")
    with archive:
        try:
            keys = list(required) + (list(optional) if optional and optional[0] in archive.files else [])
            keys += [key for key in added if key in archive.files]
            return Fields(path, {key: archive[key] for key in keys})
        except Exception as error:
            raise ValueError(f"{path}: not a sgdswift model file ({type(error).__name__}: {error})") from None
