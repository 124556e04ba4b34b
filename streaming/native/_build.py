"""cffi (API mode) builders of `streaming.native._rx` (the receive path) and
`streaming.native._tx` (the relay's send side): setup.py builds them as optional extensions,
so a machine without a C compiler still installs (and receives and sends in Python).

Nothing links libsrtp: the SRTP session and `srtp_unprotect` / `srtp_protect` are borrowed at
run time from the pylibsrtp aiortc already uses (streaming/aiortc_hooks/borrowed.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from cffi import FFI

HERE = Path(os.path.relpath(Path(__file__).resolve().parent))  # setup() wants relative paths


def _builder(name: str) -> FFI:
    """The extension `_<name>` from `<name>.c`, declared by `<name>.h`."""
    builder = FFI()
    # the header's declarations, without its preprocessor lines (cffi parses plain C)
    header = (HERE / f"{name}.h").read_text(encoding="utf-8")
    builder.cdef("\n".join(line for line in header.splitlines() if not line.startswith("#")))
    builder.set_source(
        f"streaming.native._{name}",
        f'#include "{name}.h"',
        sources=[str(HERE / f"{name}.c")],
        include_dirs=[str(HERE)],
        extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    )
    return builder


builders = [_builder("rx"), _builder("tx")]
