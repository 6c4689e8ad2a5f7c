"""What sgdswift runs on: the vector instruction set and the matrix engine it chose, and its threads.

The choice is made once, when sgdswift is imported, from the CPU itself (CPUID): one build runs on any
x86-64 CPU and uses AVX2 + FMA or AVX-512 where the CPU has them. The environment variable
SGDSWIFT_ISA ("baseline", "avx2" or "avx512") asks for a narrower set than the CPU has, e.g. to compare
the paths or to reproduce results from an older machine; it is read, never written. The matrix engine
(a private OpenBLAS, and libxsmm for small products) runs the kernels of the same set and ignores
OPENBLAS_* and LIBXSMM_* variables, which belong to the copies that NumPy and others share.
"""
import os

from . import _core
from .threads import get_num_threads

__all__ = ["INSTRUCTION_SETS", "get_config"]

#: The instruction sets the elementwise kernels are compiled for, narrowest first.
INSTRUCTION_SETS = ("baseline", "avx2", "avx512")


def get_config() -> dict:
    """What this process runs on:

    - ``instruction_set``: the vector instruction set of the core's elementwise kernels (activations,
      optimizer updates, finiteness checks), one of ``INSTRUCTION_SETS``;
    - ``detected_instruction_set``: the widest this CPU has;
    - ``matrix_engine``: the matrix-product library's build (OpenBLAS), and ``matrix_kernels``: the CPU
      family whose kernels it runs;
    - ``small_product_kernels``: the engine of the small products (libxsmm, which generates a kernel for
      each shape) and the CPU it generates them for; with "generic" or "wsm" it generates none and
      OpenBLAS does every product, as it does in a build without libxsmm ("none (built without
      libxsmm)": libxsmm exists for x86-64 only);
    - ``threads``: the threads that share each fit, predict or gradient (``set_num_threads``).
    """
    return {**_core.configuration(), "threads": get_num_threads()}


def _check_requested_instruction_set() -> None:
    """Refuses, at import, an SGDSWIFT_ISA that names no set or one this CPU lacks (the core then fell
    back to the CPU's own choice; a silent fallback would hide the mistake)."""
    requested = os.environ.get("SGDSWIFT_ISA", "")
    if not requested:
        return
    detected = _core.configuration()["detected_instruction_set"]
    usable = INSTRUCTION_SETS[:INSTRUCTION_SETS.index(detected) + 1]
    if requested not in usable:
        raise ValueError(f"SGDSWIFT_ISA: expected one of {', '.join(map(repr, usable))} (this CPU's widest is "
                         f"{detected!r}), got {requested!r}")


_check_requested_instruction_set()
