"""`make deploy-pin DIGEST=sha256:...`: the one place the function's package digest lives.

deploy/function/function.yaml's `spec.package` is `<image>@sha256:<digest>`; this rewrites
that line (comments and layout stay) after checking the digest's form, and refuses a file
whose Function does not have exactly one such line.
"""

from __future__ import annotations

import re
from pathlib import Path

FUNCTION_FILE = Path("deploy") / "function" / "function.yaml"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
IMAGE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+$")
_LINE = re.compile(
    r"^(?P<indent>\s+package:\s*)(?P<image>[^@\s]+)@sha256:[0-9a-f]{64}\s*$", re.MULTILINE
)


class PinError(ValueError):
    """A digest, image or file that cannot be pinned (the message names which)."""


def pin(text: str, digest: str, image: str | None = None) -> str:
    """`text` with the package line's digest (and, if given, image) replaced."""
    if not DIGEST.match(digest):
        raise PinError(f"DIGEST {digest!r} is not sha256: followed by 64 lowercase hex digits")
    if image is not None and not IMAGE.match(image):
        raise PinError(f"IMAGE {image!r} is not an image reference without tag or digest")
    lines = _LINE.findall(text)
    if len(lines) != 1:
        raise PinError(f"expected one `package: <image>@sha256:<digest>` line, found {len(lines)}")

    def replace(match: re.Match[str]) -> str:
        return f"{match['indent']}{image or match['image']}@{digest}"

    return _LINE.sub(replace, text)


def pin_file(root: Path, digest: str, image: str | None = None) -> str:
    """Rewrite deploy/function/function.yaml under `root`; returns the new package value."""
    path = root / FUNCTION_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PinError(f"{FUNCTION_FILE}: cannot read: {err.strerror or err}") from None
    new = pin(text, digest, image)
    path.write_text(new, encoding="utf-8")
    return _LINE.findall(new)[0][1] + "@" + digest
