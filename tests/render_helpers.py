"""Small builders shared by the xp-render tests, and the one way they run the real CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def crossplane_render(binary: str, argv: list[str], command: str) -> str:
    """stdout of `crossplane render ARGV` run from the repository root; a non-zero exit fails
    the test with `command` (what a user would type) and the CLI's stderr."""
    proc = subprocess.run(
        [binary, "render", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"{command}: {proc.stderr}"
    return proc.stdout


def xrd_version(name: str, spec_properties: dict[str, Any]) -> dict[str, Any]:
    """One XRD version whose XR spec declares `spec_properties`."""
    return {
        "name": name,
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object", "properties": spec_properties}},
            }
        },
    }


def spec_xrd(
    spec_properties: dict[str, Any],
    *,
    version: str = "v1alpha1",
    api_version: str = "apiextensions.crossplane.io/v1",
    earlier: tuple[dict[str, Any], ...] = (),
    **spec: Any,
) -> dict[str, Any]:
    """An XTestPlatformCluster XRD with one version (after `earlier` ones) declaring a spec."""
    return {
        "apiVersion": api_version,
        "kind": "CompositeResourceDefinition",
        "metadata": {"name": "xtestplatformclusters.ci.openshift.org"},
        "spec": {
            "group": "ci.openshift.org",
            "names": {"kind": "XTestPlatformCluster", "plural": "xtestplatformclusters"},
            "versions": [*earlier, xrd_version(version, spec_properties)],
            **spec,
        },
    }
