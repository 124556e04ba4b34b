"""The C extensions, all optional: the receive path and relay send side (streaming/native)
and the recorder's start-code scan (recorder/native). pyproject.toml holds everything else.
Without a C compiler and Python headers the install still succeeds and Courtcast does the
same work in Python (chosen at start)."""

from pathlib import Path

from cffi import FFI
from setuptools import setup


def cffi_extension(directory: str, name: str) -> FFI:
    """cffi (API mode) builder of `<package>._<name>` from `<directory>/<name>.c`, declared by
    `<name>.h`. Nothing links libsrtp: streaming/native borrows the SRTP session and its
    `srtp_unprotect` / `srtp_protect` at run time from the pylibsrtp aiortc already uses
    (streaming/aiortc_hooks/borrowed.py)."""
    builder = FFI()
    # the header's declarations, without its preprocessor lines (cffi parses plain C)
    header = (Path(directory) / f"{name}.h").read_text(encoding="utf-8")
    builder.cdef("\n".join(line for line in header.splitlines() if not line.startswith("#")))
    builder.set_source(
        f"{directory.replace('/', '.')}._{name}",
        f'#include "{name}.h"',
        sources=[f"{directory}/{name}.c"],  # setup() wants relative paths
        include_dirs=[directory],
        extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    )
    return builder


builders = [
    cffi_extension("streaming/native", "rx"),
    cffi_extension("streaming/native", "tx"),
    cffi_extension("recorder/native", "avc"),
]
extensions = [builder.distutils_extension() for builder in builders]
for extension in extensions:
    extension.optional = True
setup(ext_modules=extensions)
