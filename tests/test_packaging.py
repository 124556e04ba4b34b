"""The docker-compose image holds what the app runs: every package pyproject.toml installs, and
hls.js where api/routes/pages.py serves it from (an image missing `court/` failed at import);
its nodes share the keys and keep their own spools."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from api.routes.pages import HLS_DIST

TOP = Path(__file__).resolve().parents[1]
APP_DIR = PurePosixPath("/app")
DATA_DIR = "/var/lib/courtcast"


def courtcast_nodes() -> dict[str, dict[str, Any]]:
    """The compose services that run Courtcast (the ones built from this repository)."""
    compose = yaml.safe_load((TOP / "docker-compose.yml").read_text(encoding="utf-8"))
    return {name: s for name, s in compose["services"].items() if "build" in s}


def image_recipe() -> list[str]:
    """The Dockerfile instructions of the Courtcast nodes (inline in docker-compose.yml), each
    on one line (continuation lines joined)."""
    build = next(iter(courtcast_nodes().values()))["build"]
    joined = build["dockerfile_inline"].replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


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


def test_the_nodes_run_one_image_share_the_keys_and_keep_their_own_spools() -> None:
    """The keys live in the data dir, shared by every node; the spool under it is each node's
    own disk (a node recovers only its own unuploaded footage)."""
    nodes = courtcast_nodes()
    assert len(nodes) >= 2, f"docker-compose.yml runs one Courtcast node: {sorted(nodes)}"
    assert len({yaml.safe_dump(node["build"]) for node in nodes.values()}) == 1
    data_volumes, spools, ids = set(), set(), set()
    for name, node in nodes.items():
        mounts = dict(reversed(volume.split(":")[:2]) for volume in node["volumes"])
        assert node["environment"]["COURTCAST_DATA_DIR"] == DATA_DIR, name
        data_volumes.add(mounts[DATA_DIR])
        spools.add(mounts[f"{DATA_DIR}/spool"])
        ids.add(node["environment"]["COURTCAST_NODE_ID"])
    assert len(data_volumes) == 1, f"the nodes' data dirs (their keys) differ: {data_volumes}"
    assert len(spools) == len(ids) == len(nodes), (spools, ids)


def test_the_image_builds_the_native_receive_path() -> None:
    """setup.py builds streaming/native where a C compiler exists and quietly skips it where
    none does, so the image must bring one, and check the result."""
    final = final_stage(image_recipe())
    assert copied(image_recipe()).get(APP_DIR / "setup.py") == "setup.py", (
        "docker-compose.yml's image does not COPY setup.py: the C receive path is not built"
    )
    recipe = " ".join(final)
    install = recipe.index("pip install")
    assert "gcc" in recipe[:install] and "libc6-dev" in recipe[:install], (
        "the image installs no C compiler before `pip install`: streaming/native is not built"
    )
    checked = recipe[install:]
    for extension in ("streaming.native._rx", "streaming.native._tx", "recorder.native._avc"):
        assert extension in checked, f"the image does not check that {extension} was built"


def test_the_c_sources_are_installed_with_the_package() -> None:
    """An sdist or wheel build needs the C sources and headers (package data), as setup.py
    compiles them."""
    pyproject = tomllib.loads((TOP / "pyproject.toml").read_text(encoding="utf-8"))
    for package, names in (("streaming", ["rx", "tx"]), ("recorder", ["avc"])):
        data = pyproject["tool"]["setuptools"]["package-data"][package]
        sources = sorted(
            p.relative_to(TOP / package).as_posix()
            for name in names
            for p in (TOP / package / "native").glob(f"{name}.[ch]")
        )
        assert sources == [f"native/{name}.{ext}" for name in names for ext in "ch"]
        assert set(sources) <= set(data), f"pyproject.toml package-data misses {sources}"
