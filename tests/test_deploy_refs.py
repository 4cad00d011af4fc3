"""scripts.deploy.refs: a rendering whose documents are each valid but do not fit together."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from conftest import ROOT

from scripts.deploy import refs

Docs = list[dict[str, Any]]


def _load(*paths: str) -> Docs:
    return [
        doc
        for path in paths
        for doc in yaml.safe_load_all((ROOT / path).read_text(encoding="utf-8"))
        if doc
    ]


# What deploy/overlays/example renders, read from the files themselves (no kubectl needed).
EXAMPLE = _load(
    "deploy/base/namespace.yaml",
    "deploy/function/function.yaml",
    "deploy/function/runtimeconfig.yaml",
    "deploy/provider-kubernetes/provider.yaml",
    "deploy/provider-kubernetes/runtimeconfig.yaml",
    "xrd/xtestplatformclusters.ci.openshift.org.yaml",
    "compositions/testplatform-ephemeral-cluster.yaml",
    "deploy/overlays/example/environmentconfig.yaml",
    "deploy/overlays/example/providerconfig.yaml",
)


def _find(docs: Docs, kind: str, name: str | None = None) -> dict[str, Any]:
    return next(
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    )


def _step_input(docs: Docs) -> dict[str, Any]:
    return _find(docs, "Composition")["spec"]["pipeline"][0]["input"]


def _provider_args(docs: Docs) -> list[str]:
    drc = _find(docs, "DeploymentRuntimeConfig", "provider-kubernetes")
    return drc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]


def test_the_example_rendering_fits_together() -> None:
    assert refs.errors(copy.deepcopy(EXAMPLE)) == []


def _by_tag(d: Docs) -> None:
    _find(d, "Function")["spec"]["package"] = "quay.io/org/function-ephemeral-cluster:v0.1.0"


def _no_runtime_config(d: Docs) -> None:
    _find(d, "Function")["spec"]["runtimeConfigRef"]["name"] = "missing"


def _no_watches(d: Docs) -> None:
    _provider_args(d).remove("--enable-watches")


def _missing_function(d: Docs) -> None:
    _find(d, "Composition")["spec"]["pipeline"][0]["functionRef"]["name"] = "function-typo"


def _other_xr_type(d: Docs) -> None:
    _find(d, "Composition")["spec"]["compositeTypeRef"]["kind"] = "XOther"


def _bad_input(d: Docs) -> None:
    _step_input(d)["credentialsMode"] = "maybe"


def _connection_namespace(d: Docs) -> None:
    _step_input(d)["connectionSecretNamespace"] = "nowhere"


def _xr_secret_namespace(d: Docs) -> None:
    _find(d, "Composition")["spec"]["writeConnectionSecretsToNamespace"] = "crossplane-system"


def _provider_config(d: Docs) -> None:
    _find(d, "ProviderConfig")["metadata"]["name"] = "other"


def _environment_config(d: Docs) -> None:
    _find(d, "EnvironmentConfig")["metadata"]["name"] = "other"


def _empty_cluster_name(d: Docs) -> None:
    _find(d, "EnvironmentConfig")["data"] = {}


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (_by_tag, "is not pinned by @sha256 digest"),
        (_no_runtime_config, "runtimeConfigRef names no DeploymentRuntimeConfig 'missing'"),
        (_no_watches, "does not pass --enable-watches"),
        (_missing_function, "names no Function 'function-typo'"),
        (_other_xr_type, "no XRD here serves ci.openshift.org/v1alpha1 XOther"),
        (_bad_input, "the function would reject its input: input.credentialsMode"),
        (_connection_namespace, "input connectionSecretNamespace 'nowhere' is not a Namespace"),
        (_xr_secret_namespace, "writeConnectionSecretsToNamespace 'crossplane-system' is not"),
        (_provider_config, "providerConfigName 'testplatform-kubernetes-provider-config' is not"),
        (_environment_config, "environmentConfigName 'envcfg' is not an EnvironmentConfig"),
        (_empty_cluster_name, "data.clusterName is empty"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_each_broken_reference_is_named(break_it: Callable[[Docs], None], expected: str) -> None:
    docs = copy.deepcopy(EXAMPLE)
    break_it(docs)
    errors = refs.errors(docs)
    assert any(expected in e for e in errors), errors


def test_watches_through_the_environment_count() -> None:
    docs = copy.deepcopy(EXAMPLE)
    _provider_args(docs).remove("--enable-watches")
    drc = _find(docs, "DeploymentRuntimeConfig", "provider-kubernetes")
    container = drc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "ENABLE_WATCHES", "value": "true"}]
    assert refs.errors(docs) == []


def test_references_are_checked_only_against_kinds_the_rendering_has() -> None:
    """deploy/xtestplatformcluster alone has the Composition but not the Function."""
    partial = [d for d in EXAMPLE if d["kind"] in ("CompositeResourceDefinition", "Composition")]
    assert refs.errors(copy.deepcopy(partial)) == []


def test_the_placeholder_digest_is_a_note_not_an_error() -> None:
    docs = copy.deepcopy(EXAMPLE)
    _find(docs, "Function")["spec"]["package"] = "quay.io/x/f@sha256:" + "0" * 64
    assert refs.errors(docs) == []
    assert any("placeholder digest" in n for n in refs.notes(docs))
    _find(docs, "Function")["spec"]["package"] = "quay.io/x/f@sha256:" + "ab" * 32
    assert refs.notes(docs) == []
