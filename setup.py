"""The native receive path (streaming/native) as an optional C extension; pyproject.toml holds
everything else. Optional: without a C compiler and Python headers the install still succeeds
and Courtcast receives in Python (streaming/receive_path.py chooses at start)."""

import runpy
from pathlib import Path

from setuptools import setup

# by path: importing the package would import aiortc, absent from the isolated build env
build = runpy.run_path(str(Path(__file__).parent / "streaming" / "native" / "_build.py"))
extension = build["ffibuilder"].distutils_extension()
extension.optional = True
setup(ext_modules=[extension])
