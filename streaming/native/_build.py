"""cffi (API mode) builder of `streaming.native._rx`: setup.py builds it as an optional
extension, so a machine without a C compiler still installs (the Python receive path).

Nothing links libsrtp: the SRTP session and `srtp_unprotect` are borrowed at run time from
the pylibsrtp aiortc already uses (streaming/aiortc_hooks/srtp.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from cffi import FFI

HERE = Path(os.path.relpath(Path(__file__).resolve().parent))  # setup() wants relative paths

ffibuilder = FFI()
# the declarations are rx.h's, without its preprocessor lines (cffi parses plain C)
HEADER = (HERE / "rx.h").read_text(encoding="utf-8")
ffibuilder.cdef("\n".join(line for line in HEADER.splitlines() if not line.startswith("#")))
ffibuilder.set_source(
    "streaming.native._rx",
    '#include "rx.h"',
    sources=[str(HERE / "rx.c")],
    include_dirs=[str(HERE)],
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
)
