"""Assemble the Function package's `/package.yaml` for the Konflux image, from package/.

Crossplane reads a package from one `package.yaml`, a YAML stream, at the root of the image's
flattened filesystem when the image has no `io.crossplane.xpkg: base` layer
(crossplane/crossplane, contributing/specifications/xpkg.md, "Layers"); a Function package's
stream holds exactly one `Function.meta.pkg.crossplane.io` and any number of CRDs, its input
types ("Function Package Requirements"). konflux-ci/crossplane-components builds it with
`sed -s '1i---' package/crossplane.yaml package/input/*.yaml` (functions/
Dockerfile.konflux.function-go-templating): every file, crossplane.yaml first, then the input
CRDs in glob order, each preceded by a `---` line. This does the same in Python so that
Dockerfile.konflux (which runs this file) and tests/test_package.py (which imports it) produce
the same bytes. Standard library only: the image's build stage has no PyYAML.

    python3 scripts/package_stream.py [PACKAGE_ROOT] [-o FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROG = "package_stream"
META = "crossplane.yaml"
INPUTS = "input"


def sources(root: Path) -> list[Path]:
    """The files of the stream, in order: crossplane.yaml, then input/*.yaml sorted by name."""
    return [root / META, *sorted((root / INPUTS).glob("*.yaml"))]


def assemble(root: Path) -> str:
    """The YAML stream: each source file after a `---` line, ending in a newline."""
    parts = []
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        parts.append("---\n" + text + ("" if text.endswith("\n") else "\n"))
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the stream to -o FILE (default stdout); a missing or unreadable file is exit 1."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="package", type=Path, help="package root")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    try:
        stream = assemble(args.root)
        if args.output is None:
            sys.stdout.write(stream)
        else:
            args.output.write_text(stream, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
