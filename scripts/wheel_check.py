"""The runtime wheel is the function, whole and alone.

Built from the repository root, the wheel must hold the package `function` and no other
top-level package (no `scripts`, no `tests`), declare only console scripts whose code it
carries, and require exactly pyproject.toml's dependencies. `smoke()` then installs it the way
the images do (requirements.txt hash-checked, then the wheel without dependencies) alone into a
clean venv of any interpreter, runs every console script's --help, serves the function on a
free loopback port and renders the `ready` example through it (RunFunction over gRPC).

    python -m scripts.wheel_check [--python PYTHON]     (make wheel-check PYTHON=python3.13)
"""

from __future__ import annotations

import argparse
import configparser
import email
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "function"
PROG = "wheel-check"


def build_wheel(dest: Path) -> Path:
    """Build the runtime wheel into `dest` from what the Dockerfiles copy into their build stage
    (pyproject.toml, README.md, function/), with this venv's pinned setuptools."""
    src = dest / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / PACKAGE, src / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(dest), str(src)],
        check=True,
    )
    [wheel] = dest.glob("function_ephemeral_cluster-*.whl")
    return wheel


def console_scripts(wheel: Path) -> dict[str, str]:
    """Console script name -> `module:attr`, from the wheel's entry_points.txt."""
    with zipfile.ZipFile(wheel) as zf:
        [name] = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser(delimiters=("=",))
        parser.read_string(zf.read(name).decode())
    return dict(parser["console_scripts"]) if parser.has_section("console_scripts") else {}


def wheel_problems(wheel: Path, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """Everything that keeps `wheel` from being the function and only the function."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        [meta] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(zf.read(meta))
    problems = [
        f"top-level {top!r} is not the function package"
        for top in sorted({n.split("/", 1)[0] for n in names})
        if top != PACKAGE and not top.endswith((".dist-info", ".data"))
    ]
    scripts = console_scripts(wheel)
    if "function-ephemeral-cluster" not in scripts:
        problems.append("no console script function-ephemeral-cluster")
    for script, target in sorted(scripts.items()):
        module = target.split(":", 1)[0].strip().replace(".", "/")
        if not {f"{module}.py", f"{module}/__init__.py"} & names:
            problems.append(f"console script {script} runs {target}, which the wheel lacks")
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    wanted = {str(Requirement(d)) for d in declared}
    shipped = {str(Requirement(r)) for r in metadata.get_all("Requires-Dist") or []}
    problems += [f"Requires-Dist lacks {r}" for r in sorted(wanted - shipped)]
    problems += [f"Requires-Dist has {r}, not in pyproject.toml" for r in sorted(shipped - wanted)]
    return problems


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)


def smoke(wheel: Path, python: str, workdir: Path) -> list[str]:
    """Install `wheel` alone into a clean venv of `python` and have it answer a RunFunction."""
    from scripts import examples  # noqa: PLC0415 - pulls in gRPC; keep `wheel_problems` light
    from scripts.render.launcher import FunctionProcess  # noqa: PLC0415

    env_dir = workdir / "venv"
    bin_dir = env_dir / "bin"
    made = _run([python, "-m", "venv", str(env_dir)], workdir)
    if made.returncode != 0:
        return [f"cannot create a venv with {python}: {made.stderr.strip()}"]
    pip = [str(bin_dir / "python"), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    for step in (
        ["install", "--require-hashes", "-r", str(ROOT / "requirements.txt")],
        ["install", "--no-deps", str(wheel)],
        ["check"],
    ):
        done = _run([*pip, *step], workdir)
        if done.returncode != 0:
            return [f"pip {' '.join(step[:2])}: {(done.stderr or done.stdout).strip()}"]
    # Run from workdir: the checkout is not on sys.path there.
    problems = [
        f"the clean venv can import {module!r}"
        for module in ("scripts", "tests")
        if _run([str(bin_dir / "python"), "-c", f"import {module}"], workdir).returncode == 0
    ]
    problems += [
        f"console script {script} --help fails"
        for script in console_scripts(wheel)
        if _run([str(bin_dir / script), "--help"], workdir).returncode != 0
    ]
    with FunctionProcess([str(bin_dir / "function-ephemeral-cluster")]) as fn:
        docs = examples.render_case(examples.case("ready"), fn.address)
    ready = {c["type"]: c["status"] for c in docs[0]["status"]["conditions"]}.get("Ready")
    objects = [d for d in docs[1:] if d.get("kind") == "Object"]
    if ready != "True" or len(objects) != len(("ec", "credentials")):
        problems.append(f"the ready example rendered Ready={ready} with {len(objects)} Objects")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build, inspect and smoke-test the wheel; one line per problem, exit 1 if any."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter of the clean venv")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wheel-check-") as tmp:
        wheel = build_wheel(Path(tmp))
        problems = wheel_problems(wheel) or smoke(wheel, args.python, Path(tmp))
    for problem in problems:
        print(f"{PROG}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{PROG}: {wheel.name} installs alone with {args.python} and answers RunFunction")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
