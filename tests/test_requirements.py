"""requirements.txt and requirements-build.txt: the locks the images install, from pyproject.toml.

`make requirements` writes both with `uv pip compile --universal --generate-hashes` (one lock
for Python 3.11 to 3.13; Konflux's hermetic build prefetches exactly these files). These tests
fail when a lock drifts from pyproject.toml: a direct pin it lacks or pins differently, a
package the pins need that it lacks (followed through the installed distributions' metadata,
markers evaluated for each supported Python), a package nothing needs, an entry without a hash.
The fix is always `make requirements`.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import re
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ROOT
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYTHONS = ("3.11", "3.12", "3.13")
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
HASH = re.compile(r"^\s+--hash=sha256:[0-9a-f]{64}")


@dataclasses.dataclass
class Pin:
    version: str
    hashes: int = 0


def parse_lock(text: str) -> dict[str, Pin]:
    """Name -> pin of a `pip-compile`/`uv pip compile` requirements file with hashes."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for line in text.splitlines():
        if match := ENTRY.match(line):
            current = pins[canonicalize_name(match.group(1))] = Pin(match.group(2))
        elif HASH.match(line) and current is not None:
            current.hashes += 1
        elif line.strip() and not line.lstrip().startswith("#"):
            raise AssertionError(f"unexpected lock line: {line!r}")
    return pins


def installed_requires(name: str, version: str) -> list[str] | None:
    """Requires-Dist of the installed `name`, when it is the locked `version`."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return dist.requires or [] if dist.version == version else None


def drift(
    pyproject: dict[str, Any],
    lock: dict[str, Pin],
    requires: Callable[[str, str], list[str] | None] = installed_requires,
) -> list[str]:
    """Every way `lock` is not the hashed closure of pyproject.toml's pinned dependencies."""
    problems = [
        f"{name}=={pin.version} has no hash" for name, pin in lock.items() if not pin.hashes
    ]
    todo = [(Requirement(d), "pyproject.toml") for d in pyproject["project"]["dependencies"]]
    needed: set[str] = set()
    while todo:
        req, by = todo.pop()
        name = canonicalize_name(req.name)
        pin = lock.get(name)
        if pin is None:
            problems.append(f"lacks {req} (needed by {by})")
            continue
        if not req.specifier.contains(pin.version, prereleases=True):
            problems.append(f"pins {name}=={pin.version}, {by} needs {req}")
        if name in needed:
            continue
        needed.add(name)
        deps = requires(name, pin.version)
        if deps is None:
            problems.append(f"{name}=={pin.version} is not installed here: run make setup")
            continue
        for dep in map(Requirement, deps):
            extras = ["", *req.extras]
            if dep.marker is None or any(
                dep.marker.evaluate({**_env(py), "extra": extra})
                for py in PYTHONS
                for extra in extras
            ):
                todo.append((dep, name))
    problems += [f"has {name}, which nothing needs" for name in sorted(set(lock) - needed)]
    return problems


def _env(python: str) -> dict[str, str]:
    env = {key: str(value) for key, value in default_environment().items()}
    return {**env, "python_version": python, "python_full_version": python}


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _lock(name: str = "requirements.txt") -> dict[str, Pin]:
    return parse_lock((ROOT / name).read_text(encoding="utf-8"))


def test_runtime_lock_is_pyprojects_pins_and_their_closure_with_hashes() -> None:
    lock = _lock()
    assert drift(_pyproject(), lock) == [], "requirements.txt drifted: run `make requirements`"
    for dep in map(Requirement, _pyproject()["project"]["dependencies"]):
        assert str(dep.specifier).startswith("=="), f"{dep} is not pinned exactly"


def test_build_lock_is_the_pinned_build_backend() -> None:
    requires = [Requirement(r) for r in _pyproject()["build-system"]["requires"]]
    lock = _lock("requirements-build.txt")
    assert {canonicalize_name(r.name): str(r.specifier) for r in requires} == {
        name: f"=={pin.version}" for name, pin in lock.items()
    }
    assert all(pin.hashes for pin in lock.values())


def test_locks_say_how_they_are_made_and_make_makes_them() -> None:
    for name in ("requirements.txt", "requirements-build.txt"):
        head = (ROOT / name).read_text(encoding="utf-8").splitlines()[:2]
        assert head[1].strip("# ") == "make requirements", name
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrequirements:", 1)[1].split("\n\n", 1)[0]
    assert "-o requirements.txt" in recipe
    assert "-o requirements-build.txt" in recipe
    compile_flags = makefile.split("UV_COMPILE :=", 1)[1].split("\n\n", 1)[0]
    assert "--generate-hashes" in compile_flags
    assert "--universal" in compile_flags


def _deps(**graph: list[str]) -> Callable[[str, str], list[str] | None]:
    return lambda name, _version: graph.get(name.replace("-", "_"), [])


GRAPH = _deps(app=["lib>=1", "tool; python_version < '3.12'"], lib=[])
PYPROJECT = {"project": {"dependencies": ["app==1.0"]}}
LOCK = {"app": Pin("1.0", 2), "lib": Pin("1.5", 1), "tool": Pin("3.0", 1)}


@pytest.mark.parametrize(
    ("pyproject", "lock", "expected"),
    [
        (PYPROJECT, LOCK, None),
        ({"project": {"dependencies": ["app==2.0"]}}, LOCK, "pins app==1.0, pyproject.toml needs"),
        ({"project": {"dependencies": ["app==1.0", "new==1"]}}, LOCK, "lacks new==1"),
        (PYPROJECT, {k: v for k, v in LOCK.items() if k != "lib"}, "lacks lib>=1 (needed by app)"),
        (PYPROJECT, {**LOCK, "stale": Pin("1", 1)}, "has stale, which nothing needs"),
        (PYPROJECT, {**LOCK, "lib": Pin("0.9", 1)}, "pins lib==0.9, app needs lib>=1"),
        (PYPROJECT, {**LOCK, "lib": Pin("1.5", 0)}, "lib==1.5 has no hash"),
        # `tool` is needed on 3.11 only: the one lock must still hold it.
        (PYPROJECT, {k: v for k, v in LOCK.items() if k != "tool"}, "lacks tool"),
    ],
    ids=[
        "good",
        "pin-bumped",
        "dependency-added",
        "closure-gap",
        "unneeded",
        "too-old",
        "no-hash",
        "marker-311",
    ],
)
def test_drift_is_named(
    pyproject: dict[str, Any], lock: dict[str, Pin], expected: str | None
) -> None:
    problems = drift(pyproject, lock, GRAPH)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_lock_parser_reads_entries_hashes_and_refuses_garbage() -> None:
    text = (
        "# header\nfoo-bar==1.2 \\\n    --hash=sha256:"
        + "a" * 64
        + " \\\n    --hash=sha256:"
        + "b" * 64
        + "\n    # via x\nbaz==3 ; python_version < '3.12' \\\n    --hash=sha256:"
        + "c" * 64
        + "\n"
    )
    assert parse_lock(text) == {"foo-bar": Pin("1.2", 2), "baz": Pin("3", 1)}
    with pytest.raises(AssertionError, match="unexpected lock line"):
        parse_lock("foo>=1\n")
