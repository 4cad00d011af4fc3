"""What schemas cannot see: the rendered objects must fit together.

Each document can be valid and the whole still broken: a Function whose runtimeConfigRef
names no DeploymentRuntimeConfig, a Composition step naming a Function that is not there, an
XR type no XRD serves, a function input Crossplane would pass but the function rejects on
every call, provider-kubernetes without `--enable-watches` (the composed Objects ask for
`watch: true`, which it then ignores: the claim learns of its cluster every 10 minutes), a
package by tag (it can change under the same name). A reference is checked when the rendering
holds objects of the kind it points to: a partial kustomization (only the XRD and the
Composition, say) is not failed for what a sibling provides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from function import config
from function.errors import FatalError

FUNCTION_NAME = "function-ephemeral-cluster"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
PROVIDER_KUBERNETES = re.compile(r"/provider-kubernetes(@|:|$)")
WATCHES_FLAG = "--enable-watches"

Doc = dict[str, Any]


def _of(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def _label(doc: Doc) -> str:
    return f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}"


def _package(doc: Doc) -> str:
    return str((doc.get("spec") or {}).get("package", ""))


def pinned(docs: list[Doc]) -> Iterator[str]:
    """Packages are pulled by digest, never by a tag that can move."""
    for doc in docs:
        if doc.get("kind") in ("Function", "Provider"):
            package = _package(doc)
            if not DIGEST.search(package):
                yield f"{_label(doc)}: spec.package {package!r} is not pinned by @sha256 digest"


def runtime_configs(docs: list[Doc]) -> Iterator[str]:
    """Every runtimeConfigRef resolves; provider-kubernetes runs with watches on."""
    configs = _of(docs, "DeploymentRuntimeConfig")
    if not configs:
        return
    for doc in docs:
        if doc.get("kind") not in ("Function", "Provider"):
            continue
        name = ((doc.get("spec") or {}).get("runtimeConfigRef") or {}).get("name", "default")
        drc = configs.get(name)
        if drc is None:
            yield f"{_label(doc)}: runtimeConfigRef names no DeploymentRuntimeConfig {name!r}"
            continue
        watched = doc["kind"] != "Provider" or not PROVIDER_KUBERNETES.search(_package(doc))
        if not watched and not _has_watches(drc):
            yield (
                f"{_label(doc)}: DeploymentRuntimeConfig {drc['metadata']['name']} does not "
                f"pass {WATCHES_FLAG}; the composed Objects' watch: true would be ignored"
            )


def _has_watches(drc: Doc) -> bool:
    spec = ((drc.get("spec") or {}).get("deploymentTemplate") or {}).get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    for container in containers:
        if container.get("name") != "package-runtime":
            continue
        args = [str(a) for a in container.get("args") or []]
        if WATCHES_FLAG in args or f"{WATCHES_FLAG}=true" in args:
            return True
        env = {e.get("name"): str(e.get("value", "")) for e in container.get("env") or []}
        if env.get("ENABLE_WATCHES", "").lower() == "true":
            return True
    return False


def _serves(xrd: Doc, api_version: str, kind: str) -> bool:
    spec = xrd.get("spec") or {}
    versions = {v.get("name") for v in spec.get("versions") or [] if v.get("referenceable")}
    group, _, version = api_version.rpartition("/")
    return spec.get("group") == group and version in versions and spec["names"]["kind"] == kind


def compositions(docs: list[Doc]) -> Iterator[str]:
    """Steps name Functions that are there; the XR type is served by an XRD that is there."""
    functions, xrds = _of(docs, "Function"), _of(docs, "CompositeResourceDefinition")
    for comp in _of(docs, "Composition").values():
        spec = comp.get("spec") or {}
        ref = spec.get("compositeTypeRef") or {}
        if xrds and not any(
            _serves(x, ref.get("apiVersion", ""), ref.get("kind", "")) for x in xrds.values()
        ):
            yield f"{_label(comp)}: no XRD here serves {ref.get('apiVersion')} {ref.get('kind')}"
        for step in spec.get("pipeline") or []:
            name = (step.get("functionRef") or {}).get("name")
            if functions and name not in functions:
                yield f"{_label(comp)}: step {step.get('step')!r} names no Function {name!r}"
            if name == FUNCTION_NAME:
                yield from _function_input(comp, step, docs)


def _function_input(comp: Doc, step: Doc, docs: list[Doc]) -> Iterator[str]:
    """The step input as the function validates it, and what it names exists."""
    where = f"{_label(comp)}: step {step.get('step')!r}"
    try:
        cfg = config.parse(dict(step.get("input") or {}))
    except FatalError as err:
        yield f"{where}: the function would reject its input: {err}"
        return
    namespaces = _of(docs, "Namespace")
    wanted = {
        "input connectionSecretNamespace": cfg.connection_secret_namespace,
        "writeConnectionSecretsToNamespace": (comp.get("spec") or {}).get(
            "writeConnectionSecretsToNamespace"
        ),
    }
    for what, namespace in wanted.items():
        if namespaces and namespace and namespace not in namespaces:
            yield f"{where}: {what} {namespace!r} is not a Namespace here"
    configs = _of(docs, "ProviderConfig")
    if configs and cfg.provider_config_name not in configs:
        name = cfg.provider_config_name
        yield f"{where}: providerConfigName {name!r} is not a ProviderConfig here"
    envs = _of(docs, "EnvironmentConfig")
    if envs and cfg.konflux_cluster_name is None:
        env = envs.get(cfg.environment_config_name)
        if env is None:
            yield (
                f"{where}: environmentConfigName {cfg.environment_config_name!r} "
                "is not an EnvironmentConfig here"
            )
        elif not (env.get("data") or {}).get(cfg.environment_config_key):
            yield (
                f"{_label(env)}: data.{cfg.environment_config_key} is empty; the function "
                "would never request an EphemeralCluster"
            )


def errors(docs: list[Doc]) -> list[str]:
    """Every broken reference in one rendering."""
    return [
        *pinned(docs),
        *runtime_configs(docs),
        *compositions(docs),
    ]


def notes(docs: list[Doc]) -> list[str]:
    """Not errors, but worth a line: a digest of zeros is the placeholder before a release."""
    return [
        f"{_label(d)}: spec.package has the placeholder digest; run `make deploy-pin DIGEST=...`"
        for d in docs
        if d.get("kind") in ("Function", "Provider") and _package(d).endswith("@sha256:" + "0" * 64)
    ]
