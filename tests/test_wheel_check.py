"""scripts/wheel_check.py: the runtime wheel built from the repository root is the function only.

The full check (install alone into a clean venv of any Python, answer a RunFunction) is
`make wheel-check PYTHON=...`, run by the GitHub test workflow on 3.11, 3.12 and 3.13; here the
wheel itself is built and inspected, and each kind of problem is shown to be caught.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from scripts import wheel_check

PYPROJECT_DEPS = '[project]\ndependencies = ["pyyaml==6.0.3", "click==8.5.1"]\n'


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheel_check.build_wheel(tmp_path_factory.mktemp("wheel"))


def test_runtime_wheel_is_the_function_and_only_the_function(wheel: Path) -> None:
    assert wheel_check.wheel_problems(wheel) == []
    assert wheel_check.console_scripts(wheel) == {"function-ephemeral-cluster": "function.main:cli"}
    with zipfile.ZipFile(wheel) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"function"}


def _fake_wheel(
    path: Path, files: dict[str, str], scripts: dict[str, str], requires: list[str]
) -> Path:
    info = "fake-0.1.0.dist-info"
    entry_points = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
    metadata = "Metadata-Version: 2.4\nName: fake\nVersion: 0.1.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        zf.writestr(f"{info}/entry_points.txt", entry_points)
        zf.writestr(f"{info}/METADATA", metadata)
    return path


@pytest.mark.parametrize(
    ("files", "scripts", "requires", "expected"),
    [
        # What the wheel was before: the tools' console scripts without their code, and
        # a generic top-level package when `scripts` was shipped.
        ({}, {"xrd-gen": "scripts.xrdgen.cli:main"}, [], "xrd-gen runs scripts.xrdgen.cli:main"),
        ({"scripts/__init__.py": ""}, {}, [], "top-level 'scripts'"),
        ({"tests/conftest.py": ""}, {}, [], "top-level 'tests'"),
        ({}, {}, [], "no console script function-ephemeral-cluster"),
        ({}, {}, ["pyyaml==6.0.3"], "Requires-Dist lacks click==8.5.1"),
        ({}, {}, ["pyyaml==6.0.3", "click==8.5.1", "pytest==9.2.0"], "Requires-Dist has pytest"),
        ({}, {}, ["pyyaml==6.0.2", "click==8.5.1"], "Requires-Dist lacks pyyaml==6.0.3"),
    ],
    ids=[
        "script-without-code",
        "scripts-package",
        "tests-package",
        "no-function-script",
        "missing-dependency",
        "extra-dependency",
        "other-pin",
    ],
)
def test_each_problem_is_named(
    tmp_path: Path,
    files: dict[str, str],
    scripts: dict[str, str],
    requires: list[str],
    expected: str,
) -> None:
    base = {"function/__init__.py": "", "function/main.py": ""}
    fake = _fake_wheel(tmp_path / "fake.whl", {**base, **files}, scripts, requires)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PYPROJECT_DEPS)
    problems = wheel_check.wheel_problems(fake, pyproject)
    assert any(expected in p for p in problems), problems


def test_a_clean_fake_wheel_has_no_problem(tmp_path: Path) -> None:
    fake = _fake_wheel(
        tmp_path / "fake.whl",
        {"function/__init__.py": "", "function/main.py": ""},
        {"function-ephemeral-cluster": "function.main:cli"},
        ["click==8.5.1", "pyyaml==6.0.3"],
    )
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PYPROJECT_DEPS)
    assert wheel_check.wheel_problems(fake, pyproject) == []
