"""Switching the Composition from upstream's five-step pipeline to this function loses no
cluster (docs/migration.md).

For every phase of a cluster's life (examples/cases.yaml), the observed state is built exactly
as upstream's pipeline composed it (tests/upstream_pipeline.py: `managed-<XR>` with upstream's
CEL query, `credentials-<XR>` on the placeholder Secret `pending` until the EC names its
Secret, connection Secret in crossplane-connections) and sent through the function with the
input deploy/ ships. Crossplane deletes every observed composed resource whose
composition-resource-name the response omits, keeps a composed resource's name, and
provider-kubernetes creates a new remote object when an Object's manifest names another one
(crossplane v1.20.11 internal/controller/apiextensions/composite/composition_functions.go:
FunctionComposer.Compose, DeletingComposedResourceGarbageCollector). So: every key stays,
every name stays, nothing that identifies the remote object or where its credentials go
changes, and the spec changes are exactly the ones docs/migration.md lists.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import fnreq as f
import pytest
import upstream_pipeline as up
import yaml
from conftest import ROOT, shared_file
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import status
from scripts import crdschema

COMPOSITION = yaml.safe_load(
    (ROOT / "compositions/testplatform-ephemeral-cluster.yaml").read_text()
)
STEP_INPUT = COMPOSITION["spec"]["pipeline"][0]["input"]
ENVCFG = yaml.safe_load((ROOT / "examples/environmentconfig.yaml").read_text())
CASES = [
    c
    for c in yaml.safe_load((ROOT / "examples/cases.yaml").read_text())
    if c["composition"] == "compositions/testplatform-ephemeral-cluster.yaml"
]
#: What identifies the remote object, its cluster, its policies and where its credentials go:
#: a change in any of these is a new EphemeralCluster (or a lost kubeconfig), not an update.
IDENTITY = (
    ("apiVersion",),
    ("kind",),
    ("metadata", "name"),
    ("spec", "forProvider", "manifest", "apiVersion"),
    ("spec", "forProvider", "manifest", "kind"),
    ("spec", "forProvider", "manifest", "metadata", "name"),
    ("spec", "forProvider", "manifest", "metadata", "namespace"),
    ("spec", "providerConfigRef"),
    ("spec", "managementPolicies"),
    ("spec", "deletionPolicy"),
    ("spec", "writeConnectionSecretToRef"),
)
TASK_RUN = (
    "spec.forProvider.manifest.metadata.annotations.ephemeralcluster.ci.openshift.io/task-run-name"
)
#: The only spec changes the switch makes (docs/migration.md, "What changes at the switch").
EXPECTED_CHANGES = {"ec": {"spec.readiness.celQuery"}, "credentials": set()}


@functools.cache
def object_crd() -> dict[str, Any]:
    return crdschema.load_crd(
        shared_file("schemas/provider-kubernetes/kubernetes.crossplane.io_objects.yaml")
    )


def _read(path: Path) -> dict[str, Any] | None:
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def upstream_observed(case: dict[str, Any], xr: dict[str, Any]) -> dict[str, Any]:
    """The composed resources upstream's pipeline left for this phase, keyed as Crossplane
    observes them (by their crossplane.io/composition-resource-name annotation)."""
    folder = ROOT / case["observed"] if case.get("observed") else None
    ec_example = _read(folder / "ec.yaml") if folder else None
    creds_example = _read(folder / "credentials.yaml") if folder else None
    resources: list[tuple[dict[str, Any], dict[str, bytes]]] = []
    secret_ref = None
    if ec_example is not None or case.get("required"):
        example = ec_example or {"status": {}}
        ec = up.observed_ec(xr, ENVCFG["data"]["clusterName"], example, object_crd())
        resources.append((ec, {}))
        manifest = (example["status"].get("atProvider") or {}).get("manifest") or {}
        secret_ref = (manifest.get("status") or {}).get("secretRef")
    resources.append(up.observed_credentials(xr, secret_ref, creds_example, object_crd()))
    return {obj["metadata"]["annotations"][up.CROSSPLANE_KEY]: (obj, d) for obj, d in resources}


def switch(
    case: dict[str, Any], xr: dict[str, Any] | None = None, fn_input: dict | None = None
) -> tuple[dict[str, Any], fnv1.RunFunctionResponse]:
    """One reconcile after the switch: the observed upstream state through the function."""
    xr = xr or yaml.safe_load((ROOT / case["xr"]).read_text())
    observed = upstream_observed(case, xr)
    req = f.request(
        xr,
        observed,
        env=ENVCFG if case.get("required") else None,
        fn_input=fn_input or STEP_INPUT,
    )
    return observed, f.run(req)


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def _with_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    return crdschema.apply_defaults(obj, crdschema.version_schema(object_crd(), "v1alpha2"))


def _diff(old: Any, new: Any, path: str = "") -> set[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: set[str] = set()
        for key in old.keys() | new.keys():
            out |= _diff(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    return set() if old == new else {path}


def problems(observed: dict[str, Any], rsp: fnv1.RunFunctionResponse) -> list[str]:
    """Everything in a response that would delete or replace something upstream composed."""
    found = [f"FATAL: {m}" for m in f.fatal_messages(rsp)]
    for key, (obj, _) in observed.items():
        if key not in rsp.desired.resources:
            found.append(f"{key}: omitted, so Crossplane deletes {obj['metadata']['name']}")
            continue
        desired = _with_defaults(f.desired(rsp, key))
        found.extend(
            f"{key}: {'.'.join(path)} {_get(obj, path)!r} -> {_get(desired, path)!r}"
            for path in IDENTITY
            if _get(desired, path) != _get(obj, path)
        )
    if rsp.desired.composite.resource.fields.get("spec") is not None:
        found.append("the XR's spec (and its writeConnectionSecretToRef) would change")
    return found


def spec_changes(observed: dict[str, Any], rsp: fnv1.RunFunctionResponse) -> dict[str, set[str]]:
    """Paths under spec that the switch changes, per key."""
    return {
        key: _diff(obj["spec"], _with_defaults(f.desired(rsp, key))["spec"], "spec")
        for key, (obj, _) in observed.items()
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_nothing_upstream_composed_is_deleted_or_replaced(case: dict[str, Any]) -> None:
    observed, rsp = switch(case)
    assert problems(observed, rsp) == []
    changes = spec_changes(observed, rsp)
    for key, paths in changes.items():
        assert paths == EXPECTED_CHANGES[key], (key, paths)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_the_claim_reads_what_it_read_before(case: dict[str, Any]) -> None:
    """The provision task's compatibility conditions keep their meaning, and the kubeconfig
    upstream delivered still reaches the XR's connection details."""
    observed, rsp = switch(case)
    conditions = f.conditions(rsp)
    if "ec" not in observed or not observed["ec"][0]["status"]:
        # Nothing reported yet: no phase for the task to read (a made-up one could read Failed).
        assert status.PHASE_CONDITION not in conditions
        assert status.URL_CONDITION not in conditions
    else:
        ec = observed["ec"][0]["status"]["atProvider"]["manifest"]["status"]
        assert conditions[status.PHASE_CONDITION].message == ec["phase"]
        assert conditions[status.URL_CONDITION].message == ec["prowJobURL"]
    details = observed["credentials"][1]
    if details.get("kubeconfig"):
        assert rsp.desired.composite.connection_details["kubeconfig"] == details["kubeconfig"]


def test_the_pending_object_is_kept_until_the_ec_names_its_secret() -> None:
    case = next(c for c in CASES if c["name"] == "provisioning")
    observed, rsp = switch(case)
    assert observed["credentials"][0]["spec"]["forProvider"]["manifest"]["metadata"]["name"] == (
        up.PENDING
    )
    kept = f.desired(rsp, "credentials")
    assert kept["spec"] == observed["credentials"][0]["spec"]
    assert rsp.desired.resources["credentials"].ready == fnv1.READY_FALSE


def test_task_run_name_printed_as_no_value_is_dropped() -> None:
    """Upstream printed Go's `<no value>` when the XR had annotations but no task-run-name;
    the function writes only what the XR has, so that annotation goes (an update)."""
    case = next(c for c in CASES if c["name"] == "ready")
    xr = yaml.safe_load((ROOT / case["xr"]).read_text())
    xr["metadata"]["annotations"].pop(up.ANNOTATIONS + "task-run-name")
    observed, rsp = switch(case, xr)
    manifest = observed["ec"][0]["spec"]["forProvider"]["manifest"]
    assert manifest["metadata"]["annotations"][up.ANNOTATIONS + "task-run-name"] == up.GO_NO_VALUE
    assert problems(observed, rsp) == []
    assert spec_changes(observed, rsp)["ec"] == EXPECTED_CHANGES["ec"] | {TASK_RUN}


def test_existing_credentials_keep_their_connection_secret_namespace() -> None:
    """A cluster overlay that moves connectionSecretNamespace moves only new Objects."""
    case = next(c for c in CASES if c["name"] == "ready")
    observed, rsp = switch(case, fn_input={**STEP_INPUT, "connectionSecretNamespace": "elsewhere"})
    assert problems(observed, rsp) == []


def test_new_xrs_keep_the_connection_secret_namespace_of_upstream() -> None:
    """Crossplane sets an XR's writeConnectionSecretToRef once, from the Composition
    (crossplane v1.20.11 composite/api.go APIConfigurator.Configure): XRs made after the switch
    keep their Secrets where upstream's did."""
    assert COMPOSITION["spec"]["writeConnectionSecretsToNamespace"] == "crossplane-connections"
    assert STEP_INPUT["connectionSecretNamespace"] == "crossplane-connections"


# --- the checker catches each way a switch could lose a cluster (negative controls) --------


def _rename_key(rsp: fnv1.RunFunctionResponse) -> None:
    res = rsp.desired.resources.pop("ec")
    rsp.desired.resources["ephemeral-cluster"].CopyFrom(res)


def _set(key: str, path: tuple[str, ...], value: Any) -> Any:
    def mutate(rsp: fnv1.RunFunctionResponse) -> None:
        body = f.desired(rsp, key)
        node = body
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        rsp.desired.resources[key].resource.CopyFrom(f.structs_of(body))

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_rename_key, "ec: omitted"),
        (_set("ec", ("metadata", "name"), "ec-new"), "ec: metadata.name"),
        (_set("ec", ("spec", "forProvider", "manifest", "metadata", "name"), "x"), "manifest"),
        (_set("ec", ("spec", "providerConfigRef"), {"name": "other"}), "providerConfigRef"),
        (_set("credentials", ("spec", "managementPolicies"), ["*"]), "managementPolicies"),
        (
            _set("credentials", ("spec", "writeConnectionSecretToRef", "namespace"), "x"),
            "writeConnectionSecretToRef",
        ),
    ],
    ids=["key", "name", "remote-name", "provider-config", "policies", "connection-secret"],
)
def test_the_checker_catches_a_replacement(mutate: Any, expected: str) -> None:
    case = next(c for c in CASES if c["name"] == "ready")
    observed, rsp = switch(case)
    broken = copy.deepcopy(rsp)
    mutate(broken)
    assert any(expected in p for p in problems(observed, broken)), problems(observed, broken)


def _fields(schema: dict[str, Any], path: str = "") -> dict[str, tuple[Any, ...]]:
    out = {path: (schema.get("type"), tuple(sorted(schema.get("required") or [])))}
    for name, child in (schema.get("properties") or {}).items():
        out |= _fields(child, f"{path}.{name}")
    for key, suffix in (("additionalProperties", ".*"), ("items", "[]")):
        if isinstance(schema.get(key), dict):
            out |= _fields(schema[key], path + suffix)
    return out


def test_the_xrd_replaces_upstreams_without_breaking_existing_claims() -> None:
    """Same names, scope and version; every field upstream's XRD had keeps its type and
    nothing new is required (a removed or retyped field, or a new required one, would make
    existing claims invalid on their next write)."""
    theirs = yaml.safe_load(
        shared_file("upstream/xtestplatformclusters.ci.openshift.org.xrd.yaml").read_text()
    )
    ours = yaml.safe_load((ROOT / "xrd/xtestplatformclusters.ci.openshift.org.yaml").read_text())
    for key in ("group", "names", "claimNames", "connectionSecretKeys"):
        assert ours["spec"][key] == theirs["spec"][key]
    assert ours["spec"].get("scope", "LegacyCluster") == theirs["spec"].get(
        "scope", "LegacyCluster"
    )
    [old], [new] = theirs["spec"]["versions"], ours["spec"]["versions"]
    assert (new["name"], new["served"], new["referenceable"]) == (old["name"], True, True)
    old_fields = _fields(old["schema"]["openAPIV3Schema"])
    new_fields = _fields(new["schema"]["openAPIV3Schema"])
    assert {p: new_fields.get(p) for p in old_fields} == old_fields


def test_docs_list_every_change_the_switch_makes() -> None:
    text = (ROOT / "docs" / "migration.md").read_text(encoding="utf-8")
    for paths in EXPECTED_CHANGES.values():
        for path in paths:
            assert f"`{path}`" in text, path
    assert "`task-run-name`" in text
    assert "`pending`" in text
