"""Shared fixtures: project paths and the optional ../shared reference files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def shared_file(relative: str) -> Path:
    """Path of an upstream reference file in ../shared; skip the test when it is absent."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(
            f"reference file ../shared/{relative} is absent (only CI and dev machines have "
            "../shared); this conformance test needs it"
        )
    return path


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def function_target() -> Iterator[str]:
    """The real function served over gRPC on a free loopback port, once per test session
    (per xdist worker); stopped by PID when the session ends."""
    from scripts.render.launcher import FunctionProcess

    with FunctionProcess() as fn:
        yield fn.address


@pytest.fixture(scope="session")
def functions_file(tmp_path_factory: pytest.TempPathFactory, function_target: str) -> str:
    """examples/functions.yaml pointed at the session's function (for xp-render and for
    `crossplane render`, which reaches a Development-runtime function at that target)."""
    import yaml

    from scripts.examples import FUNCTIONS
    from scripts.render.runner import ANNOTATION_TARGET

    fns = list(yaml.safe_load_all((ROOT / FUNCTIONS).read_text(encoding="utf-8")))
    for fn in fns:
        fn["metadata"]["annotations"][ANNOTATION_TARGET] = function_target
    path = tmp_path_factory.mktemp("functions") / "functions.yaml"
    path.write_text(yaml.safe_dump_all(fns), encoding="utf-8")
    return str(path)
