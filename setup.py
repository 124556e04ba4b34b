"""The native receive path and relay send side (streaming/native) as optional C extensions;
pyproject.toml holds everything else. Optional: without a C compiler and Python headers the
install still succeeds and Courtcast receives and sends in Python (chosen at start)."""

import runpy
from pathlib import Path

from setuptools import setup

# by path: importing the package would import aiortc, absent from the isolated build env
build = runpy.run_path(str(Path(__file__).parent / "streaming" / "native" / "_build.py"))
extensions = [builder.distutils_extension() for builder in build["builders"]]
for extension in extensions:
    extension.optional = True
setup(ext_modules=extensions)
