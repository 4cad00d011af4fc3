"""The examples through the real crossplane CLI's `crossplane beta validate`.

Every example input (XR, claim, observed Objects, the Composition's step input) and every
resource `crossplane render -x` makes from each case is validated against the generated XRD,
the function's input CRD and provider-kubernetes' CRDs (the package's, which validate pulls).
The v1 (claims) and v2 (namespaced XR) XRDs are checked apart: both define a
TestPlatformCluster in ci.openshift.org/v1alpha1 (the v1 claim, the v2 XR), as a cluster has
one or the other. Skips where `crossplane` is not on PATH; the release workflow's `examples`
job installs CLI v2.2.4 and fails on a skip. What validate prints and when it exits non-zero:
crossplane/crossplane v2.2.4, cmd/crank/beta/validate/validate.go (SchemaValidation) and
manager.go (PrepExtensions: CRDs, XRDs with their claim CRDs, Provider packages).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from render_helpers import crossplane_render

from scripts import examples

ROOT = Path(__file__).resolve().parent.parent
CASES = examples.load()
# The provider-kubernetes release whose CRDs the shared conformance schemas follow (v1.2.x).
PROVIDER_KUBERNETES = "xpkg.crossplane.io/crossplane-contrib/provider-kubernetes:v1.2.1"
SCOPES = {
    "v1-claims": (
        "xrd/xtestplatformclusters.ci.openshift.org.yaml",
        "compositions/testplatform-ephemeral-cluster.yaml",
        ["examples/claim.yaml"],
        {"Kind=XTestPlatformCluster", "Kind=TestPlatformCluster", "Kind=Object", "Kind=Input"},
    ),
    "v2-namespaced": (
        "xrd/testplatformclusters.ci.openshift.org.yaml",
        "compositions/testplatform-ephemeral-cluster-v2.yaml",
        [],
        {"Kind=TestPlatformCluster", "Kind=Object", "Kind=Input"},
    ),
}
# Kinds no extension given here describes: Crossplane's own Composition and core v1 Secret.
NO_SCHEMA = ("apiextensions.crossplane.io/v1, Kind=Composition", "/v1, Kind=Secret")


def crossplane() -> str:
    binary = shutil.which("crossplane")
    if binary is None:
        pytest.skip(
            "crossplane CLI not on PATH: the release workflow runs `crossplane beta validate` "
            "of the examples with CLI v2.2.4"
        )
    return binary


def render_full(binary: str, case: examples.Case, functions: str) -> str:
    """`crossplane render -x` of one case (full XR, no Results: they have no schema)."""
    argv = [a for a in case.args(functions) if a != "-r"]
    return crossplane_render(binary, [*argv, "--include-full-xr"], case.command())


def resources(scope: str, rendered_dir: Path, binary: str, functions: str) -> list[str]:
    """The scope's example inputs and, per case, its rendered resources in one file each."""
    _, composition, extra, _ = SCOPES[scope]
    cases = [c for c in CASES if c.composition == composition]
    assert cases, f"no example case uses {composition}"
    files = {composition, *extra, *(c.xr for c in cases)}
    files |= {
        str(p.relative_to(ROOT))
        for c in cases
        if c.observed
        for p in sorted((ROOT / c.observed).glob("*.yaml"))
    }
    for case in cases:
        out = rendered_dir / f"{case.name}.yaml"
        out.write_text(render_full(binary, case, functions), encoding="utf-8")
        files.add(str(out))
    return sorted(files)


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_examples_validate_against_xrd_input_crd_and_provider_crds(
    scope: str, tmp_path: Path, functions_file: str
) -> None:
    binary = crossplane()
    xrd, _, _, must_validate = SCOPES[scope]
    provider = tmp_path / "provider-kubernetes.yaml"
    provider.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "pkg.crossplane.io/v1",
                "kind": "Provider",
                "metadata": {"name": "provider-kubernetes"},
                "spec": {"package": PROVIDER_KUBERNETES},
            }
        ),
        encoding="utf-8",
    )
    extensions = [
        xrd,
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "package/input").glob("*.yaml")),
        str(provider),
    ]
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    proc = subprocess.run(
        [
            binary,
            "beta",
            "validate",
            "--cache-dir",
            str(tmp_path / "cache"),
            ",".join(extensions),
            ",".join(resources(scope, rendered, binary, functions_file)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"crossplane beta validate failed:\n{out}\n{proc.stderr}"
    lines = out.splitlines()
    assert not [line for line in lines if line.startswith("[x]")], out
    missing = [line for line in lines if line.startswith("[!] could not find CRD/XRD for:")]
    assert all(line.endswith(NO_SCHEMA) for line in missing), out
    validated = " ".join(line for line in lines if line.endswith("validated successfully"))
    assert all(kind in validated for kind in must_validate), out
