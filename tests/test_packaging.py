"""The docker-compose image holds what the app runs: every package pyproject.toml installs, and
hls.js where api/routes/pages.py serves it from (an image missing `court/` failed at import)."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path, PurePosixPath

import yaml

from api.routes.pages import HLS_DIST

TOP = Path(__file__).resolve().parents[1]
APP_DIR = PurePosixPath("/app")


def image_recipe() -> list[str]:
    """The Dockerfile lines of the courtcast service (inline in docker-compose.yml)."""
    compose = yaml.safe_load((TOP / "docker-compose.yml").read_text(encoding="utf-8"))
    build = compose["services"]["courtcast"]["build"]
    return [line.strip() for line in build["dockerfile_inline"].splitlines() if line.strip()]


def final_stage(lines: list[str]) -> list[str]:
    starts = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
    return lines[starts[-1] :]


def copied(lines: list[str]) -> dict[PurePosixPath, str]:
    """Where each COPY of the final stage lands in the image -> its source (`stage:path`
    for a COPY --from)."""
    workdir = PurePosixPath("/")
    landed: dict[PurePosixPath, str] = {}
    for line in final_stage(lines):
        instruction, *args = shlex.split(line)
        if instruction.upper() == "WORKDIR":
            workdir = workdir / args[0]
        if instruction.upper() != "COPY":
            continue
        stage = next((a.split("=", 1)[1] for a in args if a.startswith("--from=")), None)
        *sources, destination = [a for a in args if not a.startswith("--")]
        target = workdir / destination
        for source in sources:
            where = f"{stage}:{source}" if stage else source
            if destination.endswith("/"):
                landed[target / PurePosixPath(source).name] = where
            else:
                landed[target] = where
    return landed


def installed_packages() -> list[str]:
    """The top-level packages of [tool.setuptools.packages.find] include."""
    pyproject = tomllib.loads((TOP / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(pattern.rstrip("*").rstrip(".") for pattern in patterns)


def test_the_image_copies_every_installed_package() -> None:
    image = copied(image_recipe())
    missing = [p for p in installed_packages() if image.get(APP_DIR / p) != p]
    assert not missing, (
        f"docker-compose.yml's image does not COPY {missing} to {APP_DIR}/<package>, "
        "though pyproject.toml installs them: add `COPY <package> ./<package>`"
    )


def test_the_image_has_hls_js_where_the_pages_serve_it_from() -> None:
    served_from = APP_DIR / HLS_DIST.relative_to(TOP).as_posix()
    image = copied(image_recipe())
    assert served_from in image, (
        f"docker-compose.yml's image has no hls.js at {served_from} "
        f"(api/routes/pages.py HLS_DIST); it copies {sorted(map(str, image))}"
    )
    assert image[served_from].endswith(HLS_DIST.relative_to(TOP).as_posix()), image[served_from]


def test_the_image_runs_the_packages_from_beside_node_modules() -> None:
    """pages.py finds hls.js next to the packages: installed into site-packages it would not."""
    installs = [line for line in final_stage(image_recipe()) if "pip install" in line]
    assert installs and all("--editable" in shlex.split(line) for line in installs), (
        f"the image must install the packages with `pip install --editable .`: {installs}"
    )
