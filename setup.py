"""Builds sgdswift._core: the C extension with the Swift core linked in statically.

`swift build` makes the static library SGDSwift (core + @_cdecl exports); the extension links it with
the Swift runtime's static libraries and swiftrt.o (without which protocol conformances are not
registered), so the resulting .so needs nothing from the Swift toolchain at run time (nor OpenBLAS, when
its static archive is there). Nothing is compiled for the building CPU: the elementwise kernels are built
for three instruction sets and chosen at run time (Package.swift).
"""
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent


def find_swift() -> Path:
    candidate = os.environ.get("SWIFT") or shutil.which("swift") or "/opt/swift/usr/bin/swift"
    if not Path(candidate).exists():
        raise RuntimeError("the Swift toolchain was not found: put `swift` on PATH or set SWIFT=/path/to/swift")
    return Path(candidate)


def static_stdlib_flags(lnk: Path) -> list[str]:
    """static-stdlib-args.lnk is written for swiftc (`-Xlinker X`); gcc wants `-Wl,X`."""
    words = lnk.read_text().split()
    flags, i = [], 0
    while i < len(words):
        if words[i] == "-Xlinker":
            flags.append("-Wl," + words[i + 1])
            i += 2
        else:
            flags.append(words[i])
            i += 1
    return flags


def openblas_flags() -> list[str]:
    """OpenBLAS linked statically when its archive is there (Debian's libopenblas-dev ships it): the
    extension then has its own OpenBLAS, whose thread setting (the core runs it single-threaded and
    splits the work itself) cannot reach a NumPy that links the system's libopenblas.so.0, as
    Debian's python3-numpy does. Its symbols stay private (--exclude-libs ALL), and so do its settings:
    with --wrap=getenv it reads the environment through python/sgdswift/_engine.c, which keeps NumPy's
    OPENBLAS_* variables from it and names the kernels of the instruction set sgdswift selected."""
    libdir = subprocess.run(["pkg-config", "--variable=libdir", "openblas"], check=True, capture_output=True,
                            text=True).stdout.strip()
    archive = Path(libdir) / "libopenblas.a"
    if archive.is_file():
        return [str(archive), "-Wl,--wrap=getenv", "-lpthread", "-lm"]
    return subprocess.run(["pkg-config", "--libs", "openblas"], check=True, capture_output=True,
                          text=True).stdout.split()


def libxsmm_flags() -> list[str]:
    """libxsmm (Debian's libxsmm-dev ships only the static archive), before OpenBLAS, which provides the
    BLAS it falls back on; private to the extension like OpenBLAS. None when it is not installed (it
    exists for x86-64 only): every product then goes to OpenBLAS."""
    if subprocess.run(["pkg-config", "--exists", "libxsmm"]).returncode != 0:
        return []
    libdir = subprocess.run(["pkg-config", "--variable=libdir", "libxsmm"], check=True, capture_output=True,
                            text=True).stdout.strip()
    return [str(Path(libdir) / "libxsmm.a"), "-ldl", "-lrt"]


class BuildSwiftExtension(build_ext):
    def run(self):
        swift = find_swift()
        toolchain = swift.resolve().parent.parent  # .../usr; `swift` itself must keep its name
        build = [str(swift), "build", "-c", "release", "--package-path", str(ROOT)]
        bin_path = Path(subprocess.run(build + ["--show-bin-path"], check=True, capture_output=True,
                                       text=True).stdout.strip())
        archive = bin_path / "libSGDSwift.a"
        # SwiftPM adds members to an existing archive but never removes them: the object of a deleted or
        # renamed Swift file would stay in it and clash with its successor at link time.
        archive.unlink(missing_ok=True)
        subprocess.run(build + ["--product", "SGDSwift"], check=True)
        static = toolchain / "lib" / "swift_static" / "linux"
        autolink = subprocess.run([str(toolchain / "bin" / "swift-autolink-extract"), str(archive), "-o", "-"],
                                  check=True, capture_output=True, text=True).stdout.split()
        autolink = [flag for flag in autolink if flag not in ("-lopenblas", "-lxsmm")]
        for extension in self.extensions:
            extension.extra_objects = [str(archive), str(static / platform.machine() / "swiftrt.o")]
            extension.extra_link_args = (["-L" + str(static)] + autolink
                                         + static_stdlib_flags(static / "static-stdlib-args.lnk") + libxsmm_flags()
                                          + openblas_flags())
            extension.depends = [str(archive)]
        print("linking the Swift core:", shlex.join(extension.extra_link_args))
        super().run()

    def build_extensions(self):
        # Python's own link command may name its library directory as a run path (pyenv's builds do). The
        # extension loads nothing from there, and a wheel must carry no path of the machine that built it.
        self.compiler.linker_so = [word for word in self.compiler.linker_so if not word.startswith("-Wl,-rpath")]
        super().build_extensions()


class SourceDistribution(sdist):
    def make_release_tree(self, base_dir, files):
        """Sources/SGDKernelsAVX2 and Sources/SGDKernelsAVX512 are links to Sources/SGDKernels (one source
        folder compiled three times, Package.swift). setuptools lists a file reachable by several paths
        once, under one of them, so the release tree would get one folder of the three: put the real
        folder and its links back as the repository has them."""
        super().make_release_tree(base_dir, files)
        release = Path(base_dir)
        for link in sorted((ROOT / "Sources").iterdir()):
            if not link.is_symlink():
                continue
            target = link.resolve()
            if not (release / target.relative_to(ROOT)).is_dir():
                shutil.copytree(target, release / target.relative_to(ROOT))
            released_link = release / link.relative_to(ROOT)
            if released_link.is_dir() and not released_link.is_symlink():
                shutil.rmtree(released_link)
            released_link.symlink_to(os.readlink(link))


# From CPython 3.11 on, the limited API has the buffer protocol, which is all _core.c needs beyond it: one
# abi3 build then serves 3.11 and every later CPython. 3.10 gets a build of its own.
LIMITED_API = sys.version_info >= (3, 11)

setup(
    ext_modules=[
        Extension(
            "sgdswift._core",
            sources=["python/sgdswift/_core.c", "python/sgdswift/_engine.c"],
            include_dirs=["Sources/CSGDSwift/include", "Sources/CInstructionSet/include"],
            extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-unused-parameter"],
            define_macros=[("Py_LIMITED_API", "0x030B0000")] if LIMITED_API else [],
            py_limited_api=LIMITED_API,
        )
    ],
    cmdclass={"build_ext": BuildSwiftExtension, "sdist": SourceDistribution},
    options={"bdist_wheel": {"py_limited_api": "cp311"}} if LIMITED_API else {},
)
