"""scripts.deploy.check / render / __main__: deploy/ renders with kubectl, every document is
valid, a broken tree fails with the field named, and the replace-upstream component swaps
crossplane-control-plane's XTestPlatformCluster for this project's without a duplicate."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SHARED, shared_file

from scripts.deploy import __main__ as cli
from scripts.deploy import check, render
from scripts.deploy.schemas import Schemas

needs_kubectl = pytest.mark.skipif(render.kubectl() is None, reason="kubectl is not installed")
XRD = "xrd/xtestplatformclusters.ci.openshift.org.yaml"
COMPOSITION = "compositions/testplatform-ephemeral-cluster.yaml"


def _copy_repo(tmp_path: Path) -> Path:
    """deploy/ and what it loads (xrd/, compositions/) in a scratch repository."""
    repo = tmp_path / "repo"
    for name in ("deploy", "xrd", "compositions"):
        shutil.copytree(ROOT / name, repo / name)
    return repo


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@needs_kubectl
def test_every_kustomization_renders_and_is_valid() -> None:
    shared_file("schemas/crossplane/pkg.crossplane.io_functions.yaml")
    report = check.run(ROOT, SHARED)
    assert report.errors == []
    kustomizations = {
        str(k.path.relative_to(ROOT))
        for k in render.find(ROOT / "deploy")
        if k.kind == "Kustomization"
    }
    assert set(report.rendered) == kustomizations
    assert {"deploy/base", "deploy/overlays/example"} <= kustomizations


@needs_kubectl
def test_xrd_and_composition_are_the_files_themselves() -> None:
    """No second copy: what deploy/ applies is xrd/ and compositions/ plus Argo annotations."""
    docs = render.render(ROOT / "deploy" / "xtestplatformcluster")
    for path, options in (
        (XRD, "SkipDryRunOnMissingResource=true,Prune=false"),  # never pruned: see the patch
        (COMPOSITION, "SkipDryRunOnMissingResource=true"),
    ):
        source = _yaml(ROOT / path)
        [rendered] = [d for d in docs if d["kind"] == source["kind"]]
        annotations = rendered["metadata"].pop("annotations")
        assert annotations == {"argocd.argoproj.io/sync-options": options}
        assert rendered == source


@needs_kubectl
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("package:", "pakage:"), "'pakage' was unexpected"),
        (
            (
                "name: function-ephemeral-cluster\nspec:",
                "name: function-ephemeral-cluster\nspec:\n  revisionHistoryLimit: many",
            ),
            "revisionHistoryLimit: 'many' is not of type 'integer'",
        ),
    ],
    ids=["unknown-field", "wrong-type"],
)
def test_a_broken_document_fails_the_check(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    shared_file("schemas/crossplane/pkg.crossplane.io_functions.yaml")
    repo = _copy_repo(tmp_path)
    path = repo / "deploy" / "function" / "function.yaml"
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    report = check.run(repo, SHARED)
    assert not report.ok
    # Every kustomization that includes the Function reports it, naming the field.
    failing = {e.split(":", 1)[0] for e in report.errors if expected in e}
    assert failing == {"deploy/function", "deploy/base", "deploy/overlays/example"}, report.errors


@needs_kubectl
def test_a_kustomization_that_does_not_render_is_an_error(tmp_path: Path) -> None:
    shared_file("schemas/crossplane/pkg.crossplane.io_functions.yaml")
    repo = _copy_repo(tmp_path)
    (repo / "deploy" / "function" / "runtimeconfig.yaml").unlink()
    report = check.run(repo, SHARED)
    assert any(e.startswith("deploy/function: kubectl kustomize") for e in report.errors)


def test_without_shared_the_check_is_skipped_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(check.SkippedError, match="schemas not found"):
        check.run(ROOT, tmp_path / "no-shared")
    assert cli.main(["check", "--shared", str(tmp_path / "no-shared")]) == 0
    assert "deploy-check: SKIPPED:" in capsys.readouterr().out


@needs_kubectl
def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared_file("schemas/crossplane/pkg.crossplane.io_functions.yaml")
    assert cli.main(["--root", str(ROOT), "check", "--shared", str(SHARED)]) == 0
    assert "kustomizations rendered and valid" in capsys.readouterr().out
    repo = _copy_repo(tmp_path)
    path = repo / "deploy" / "function" / "function.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("package:", "pakage:"))
    assert cli.main(["--root", str(repo), "check", "--shared", str(SHARED)]) == 1
    err = capsys.readouterr().err
    assert "error: deploy/function: Function function-ephemeral-cluster:" in err
    assert "Traceback" not in err


def test_missing_kubectl_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(render.RenderError, match="kubectl kustomize"):
        render.render(ROOT / "deploy" / "function", str(tmp_path / "no-kubectl"))


# --- components/replace-upstream against a stand-in of crossplane-control-plane's config/ ----

STAND_IN = """
apiVersion: v1
kind: Namespace
metadata: {name: crossplane-connections}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: xtestplatformcluster-templates, namespace: crossplane-system}
data: {create-ephemeral-cluster.yaml: ""}
---
apiVersion: pkg.crossplane.io/v1beta1
kind: DeploymentRuntimeConfig
metadata: {name: function-runtime-config}
spec:
  deploymentTemplate:
    spec: {selector: {}, template: {spec: {containers: [{name: package-runtime}]}}}
---
apiVersion: pkg.crossplane.io/v1
kind: Function
metadata: {name: function-go-templating}
spec:
  package: quay.io/konflux-ci/crossplane-components/function-go-templating@sha256:DIGEST
  runtimeConfigRef: {name: function-runtime-config}
---
apiVersion: pkg.crossplane.io/v1beta1
kind: DeploymentRuntimeConfig
metadata: {name: provider-kubernetes-runtime-config}
spec:
  deploymentTemplate:
    spec:
      selector: {}
      template:
        spec:
          containers: [{name: package-runtime, args: [--sanitize-secrets, --enable-watches]}]
---
apiVersion: pkg.crossplane.io/v1
kind: Provider
metadata: {name: provider-kubernetes}
spec:
  package: quay.io/konflux-ci/crossplane-components/provider-kubernetes@sha256:DIGEST
  runtimeConfigRef: {name: provider-kubernetes-runtime-config}
---
apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata: {name: testplatform-ephemeral-cluster}
spec:
  compositeTypeRef: {apiVersion: ci.openshift.org/v1alpha1, kind: XTestPlatformCluster}
  writeConnectionSecretsToNamespace: crossplane-connections
  mode: Pipeline
  pipeline:
  - step: create-ephemeral-cluster
    functionRef: {name: function-go-templating}
""".replace("DIGEST", "ab" * 32)


def _stand_in(repo: Path, *, with_xrd: bool = True) -> Path:
    upstream = repo / "upstream-config"
    upstream.mkdir()
    docs = STAND_IN
    if with_xrd:  # upstream's real XRD (../shared), hand-copied there from the CRD
        docs += (
            "---\n"
            + shared_file("upstream/xtestplatformclusters.ci.openshift.org.xrd.yaml").read_text()
        )
    (upstream / "config.yaml").write_text(docs, encoding="utf-8")
    (upstream / "kustomization.yaml").write_text("resources: [config.yaml]\n", encoding="utf-8")
    overlay = repo / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "resources:\n- ../upstream-config\n- ../deploy/function\n"
        "- ../deploy/overlays/example/environmentconfig.yaml\n"
        "- ../deploy/overlays/example/providerconfig.yaml\n"
        "components:\n- ../deploy/components/replace-upstream\n",
        encoding="utf-8",
    )
    return overlay


@needs_kubectl
def test_replace_upstream_swaps_only_xtestplatformcluster(tmp_path: Path) -> None:
    shared_file("schemas/crossplane/pkg.crossplane.io_functions.yaml")
    repo = _copy_repo(tmp_path)
    # Overlays may load files from their own root only; the example's two files move in.
    overlay = _stand_in(repo)
    for name in ("environmentconfig.yaml", "providerconfig.yaml"):
        shutil.copy(repo / "deploy/overlays/example" / name, overlay / name)
    text = (overlay / "kustomization.yaml").read_text().replace("../deploy/overlays/example/", "")
    (overlay / "kustomization.yaml").write_text(text)
    docs = render.render(overlay)
    ids = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(ids) == len(set(ids))
    [xrd] = [d for d in docs if d["kind"] == "CompositeResourceDefinition"]
    assert xrd["spec"] == _yaml(ROOT / XRD)["spec"]  # ours, with its status schema
    [comp] = [d for d in docs if d["kind"] == "Composition"]
    assert comp["spec"] == _yaml(ROOT / COMPOSITION)["spec"]
    # Upstream's other objects stay: the templates ConfigMap its DRC mounts, its provider.
    assert ("ConfigMap", "xtestplatformcluster-templates") in ids
    assert ("Provider", "provider-kubernetes") in ids
    assert ("Function", "function-go-templating") in ids
    assert ("Function", "function-ephemeral-cluster") in ids
    errors, _ = check.check_documents("overlay", docs, Schemas.from_directory(SHARED / "schemas"))
    assert errors == []


@needs_kubectl
def test_replace_upstream_fails_loudly_when_upstream_has_no_such_xrd(tmp_path: Path) -> None:
    shared_file("schemas/crossplane/pkg.crossplane.io_functions.yaml")
    repo = _copy_repo(tmp_path)
    overlay = _stand_in(repo, with_xrd=False)
    text = (overlay / "kustomization.yaml").read_text()
    lines = [line for line in text.splitlines() if "overlays/example" not in line]
    (overlay / "kustomization.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(render.RenderError, match="CompositeResourceDefinition"):
        render.render(overlay)
