"""Shared fixtures: fresh module caches for every test, the optional ../shared reference
files, the function served once per session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def present(value: T | None) -> T:
    """`value`, which the test expects to exist: a None fails the test right there."""
    assert value is not None, "expected a value, found None"
    return value


def shared_file(relative: str) -> Path:
    """Path of an upstream reference file in ../shared; skip the test when it is absent."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(
            f"reference file ../shared/{relative} is absent (only CI and dev machines have "
            "../shared); this conformance test needs it"
        )
    return path


# The function's module-level state besides its memoized functions (found below by their
# `cache_clear`): module name, attribute, how to reset it.
_MODULE_STATE = (
    ("function.config", "_cache", dict.clear),  # validated inputs, by serialized input
    ("function.mapping", "_templates", dict.clear),  # Object templates, by input
    ("function.calllog", "_state", lambda state: state.update(debug=False)),  # --debug
)


def reset_function_caches() -> None:
    """Empty every module-level cache of the function (`function.*` modules imported so far):
    the lru_caches (config.seconds, credentials._fragments, status._valid_reason, ...) and the
    state in `_MODULE_STATE`."""
    for name, module in list(sys.modules.items()):
        if name != "function" and not name.startswith("function."):
            continue
        for value in vars(module).values():
            if getattr(value, "__module__", None) == name and callable(
                getattr(value, "cache_clear", None)
            ):
                value.cache_clear()
    for name, attribute, reset in _MODULE_STATE:
        holder = sys.modules.get(name)
        if holder is not None:
            reset(getattr(holder, attribute))


@pytest.fixture(autouse=True)
def _fresh_function_caches() -> None:
    """Tests run in random order (pytest-randomly): none may pass or fail because of what an
    earlier one left in the function's caches."""
    reset_function_caches()


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
