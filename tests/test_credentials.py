"""Credentials: secretRef / status / auto modes, exact bytes, v1 details, v2 Secret."""

from __future__ import annotations

import base64
from typing import Any

import fnreq as f
import pytest
from conftest import shared_file
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import config, credentials, observed
from scripts import crdschema

DETAILS = {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": f.PASSWORD}
NEW_EC = f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="x-credentials")
OLD_EC = f.ec_manifest(
    phase="Ready", conditions=f.READY_CONDITIONS, kubeconfig=f.KUBECONFIG, password=f.PASSWORD
)
PROVISIONING = f.ec_manifest(phase="Provisioning")
BOTH_EC = f.ec_manifest(
    phase="Ready",
    conditions=f.READY_CONDITIONS,
    secret_ref="x-credentials",
    kubeconfig=b"stale-status-kubeconfig",
)


def _observed(ec: dict[str, Any], creds: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"ec": f.ec_object(ec)}
    if creds:
        out["credentials"] = (f.credentials_object("x-credentials"), DETAILS)
    return out


@pytest.mark.parametrize(
    ("mode", "ec", "object_expected", "details"),
    [
        ("secretRef", NEW_EC, True, DETAILS),
        ("secretRef", PROVISIONING, False, {}),  # never a placeholder Secret
        ("secretRef", OLD_EC, False, {}),
        ("status", OLD_EC, False, DETAILS),
        ("status", PROVISIONING, False, {}),
        ("auto", NEW_EC, True, DETAILS),
        ("auto", OLD_EC, False, DETAILS),
        ("auto", PROVISIONING, False, {}),
        ("auto", BOTH_EC, True, DETAILS),  # secretRef wins over stale status fields
    ],
)
def test_modes(
    mode: str, ec: dict[str, Any], object_expected: bool, details: dict[str, bytes]
) -> None:
    observed = _observed(ec, creds=object_expected)
    rsp = f.run(f.request(f.xr_v1(), observed, fn_input={"credentialsMode": mode}))
    assert f.fatal_messages(rsp) == []
    assert ("credentials" in rsp.desired.resources) is object_expected
    assert dict(rsp.desired.composite.connection_details) == details


def test_credentials_object_observes_the_ec_secret() -> None:
    rsp = f.run(f.request(f.xr_v1(), {"ec": f.ec_object(NEW_EC)}))
    obj = f.desired(rsp, "credentials")
    assert obj["metadata"] == {"name": f"credentials-{f.XR_NAME}"}
    spec = obj["spec"]
    assert spec["managementPolicies"] == ["Observe"]
    assert spec["forProvider"]["manifest"] == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "x-credentials", "namespace": "ephemeral-cluster"},
    }
    assert spec["connectionDetails"] == [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "name": "x-credentials",
            "namespace": "ephemeral-cluster",
            "fieldPath": f"data.{key}",
            "toConnectionSecretKey": key,
        }
        for key in ("kubeconfig", "kubeAdminPassword")
    ]
    assert spec["writeConnectionSecretToRef"] == {
        "name": f"credentials-{f.XR_NAME}",
        "namespace": "crossplane-connections",
    }
    # Not ready until the details hold a kubeconfig.
    assert rsp.desired.resources["credentials"].ready == fnv1.READY_FALSE


def test_connection_secret_namespace_from_input() -> None:
    rsp = f.run(
        f.request(
            f.xr_v1(), {"ec": f.ec_object(NEW_EC)}, fn_input={"connectionSecretNamespace": "conn"}
        )
    )
    assert (
        f.desired(rsp, "credentials")["spec"]["writeConnectionSecretToRef"]["namespace"] == "conn"
    )


@pytest.mark.parametrize("observed_secret", ["x-credentials", "pending"])
def test_an_existing_object_keeps_its_connection_secret(observed_secret: str) -> None:
    """Crossplane reads the Object's connection details from the Secret its spec names: an
    Object created under another input (or by upstream's pipeline, whose placeholder Secret
    is `pending`) keeps that Secret, so a running cluster's details never go missing."""
    existing = f.credentials_object(observed_secret)
    ref = {"name": f"credentials-{f.XR_NAME}", "namespace": "crossplane-connections"}
    existing["spec"]["writeConnectionSecretToRef"] = ref
    rsp = f.run(
        f.request(
            f.xr_v1(),
            {"ec": f.ec_object(NEW_EC), "credentials": (existing, DETAILS)},
            fn_input={"connectionSecretNamespace": "conn"},
        )
    )
    spec = f.desired(rsp, "credentials")["spec"]
    assert spec["writeConnectionSecretToRef"] == ref
    assert spec["forProvider"]["manifest"]["metadata"]["name"] == "x-credentials"
    assert dict(rsp.desired.composite.connection_details) == DETAILS


def test_exact_bytes_no_double_base64() -> None:
    binary = bytes(range(256))  # not even UTF-8: must arrive untouched
    observed = {
        "ec": f.ec_object(NEW_EC),
        "credentials": (f.credentials_object(), {"kubeconfig": binary, "kubeAdminPassword": b""}),
    }
    rsp = f.run(f.request(f.xr_v1(), observed))
    assert rsp.desired.composite.connection_details["kubeconfig"] == binary
    assert rsp.desired.composite.connection_details["kubeAdminPassword"] == b""


def test_secret_data_in_observed_manifest_is_a_fallback() -> None:
    observed = {"ec": f.ec_object(NEW_EC), "credentials": f.credentials_object(data=True)}
    rsp = f.run(f.request(f.xr_v1(), observed))
    assert dict(rsp.desired.composite.connection_details) == DETAILS
    assert rsp.desired.resources["credentials"].ready == fnv1.READY_TRUE


def test_sanitized_secret_data_is_ignored() -> None:
    creds = f.credentials_object()
    creds["status"]["atProvider"]["manifest"]["data"] = {"redacted": ""}
    rsp = f.run(f.request(f.xr_v1(), {"ec": f.ec_object(NEW_EC), "credentials": creds}))
    assert dict(rsp.desired.composite.connection_details) == {}
    assert rsp.desired.resources["credentials"].ready == fnv1.READY_FALSE


def test_observed_credentials_kept_and_lifted_when_ec_status_is_lost() -> None:
    """A transient EC read without secretRef must not drop the credentials Object."""
    observed = _observed(PROVISIONING)
    rsp = f.run(f.request(f.xr_v1(), observed))
    assert f.desired(rsp, "credentials")["spec"]["managementPolicies"] == ["Observe"]
    assert dict(rsp.desired.composite.connection_details) == DETAILS


def test_v2_composes_a_secret_in_the_xr_namespace() -> None:
    xr = f.xr_v2(namespace="team-c", secret_name="my-kubeconfig")
    observed = {
        # Annotated for team-c: an EC of another tenant delivers nothing (issue 10, point 2).
        "ec": f.ec_object(
            f.ec_manifest(
                phase="Ready",
                conditions=f.READY_CONDITIONS,
                secret_ref="x-credentials",
                tenant="team-c",
            ),
            v2=True,
        ),
        "credentials": (f.credentials_object(), DETAILS),
    }
    rsp = f.run(f.request(xr, observed))
    secret = f.desired(rsp, "connection-secret")
    assert secret == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "my-kubeconfig", "namespace": "team-c"},
        "type": "Opaque",
        "data": {
            "kubeconfig": base64.b64encode(f.KUBECONFIG).decode(),
            "kubeAdminPassword": base64.b64encode(f.PASSWORD).decode(),
        },
    }
    assert base64.b64decode(secret["data"]["kubeconfig"]) == f.KUBECONFIG  # encoded once
    assert len(rsp.desired.composite.connection_details) == 0  # v2 XRs have none
    assert rsp.desired.resources["connection-secret"].ready == fnv1.READY_TRUE
    creds = f.desired(rsp, "credentials")
    assert creds["apiVersion"] == "kubernetes.m.crossplane.io/v1alpha1"
    assert creds["spec"]["writeConnectionSecretToRef"] == {
        "name": "credentials-" + xr["metadata"]["name"]
    }


def test_v2_default_secret_name_and_status_mode() -> None:
    xr = f.xr_v2(secret_name=None)
    rsp = f.run(f.request(xr, {"ec": f.ec_object(OLD_EC, v2=True)}))
    secret = f.desired(rsp, "connection-secret")
    assert secret["metadata"]["name"] == f"{xr['metadata']['name']}-kubeconfig"
    assert base64.b64decode(secret["data"]["kubeconfig"]) == f.KUBECONFIG


def test_v2_secret_not_composed_before_kubeconfig_but_kept_once_observed() -> None:
    xr = f.xr_v2()
    rsp = f.run(f.request(xr, {"ec": f.ec_object(PROVISIONING, v2=True)}))
    assert "connection-secret" not in rsp.desired.resources
    observed_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": f.TENANT, "uid": "u", "resourceVersion": "3"},
        "type": "Opaque",
        "data": {"kubeconfig": base64.b64encode(f.KUBECONFIG).decode()},
    }
    rsp = f.run(
        f.request(
            xr, {"ec": f.ec_object(PROVISIONING, v2=True), "connection-secret": observed_secret}
        )
    )
    kept = f.desired(rsp, "connection-secret")
    assert kept["data"] == observed_secret["data"]
    assert kept["metadata"] == {"name": "s", "namespace": f.TENANT}
    assert rsp.desired.resources["connection-secret"].ready == fnv1.READY_TRUE


def test_v2_secret_keeps_the_name_it_was_created_with() -> None:
    """Crossplane keeps a composed resource's name (composition_functions.go): after the tenant
    renames `spec.writeConnectionSecretToRef.name`, the function sends the observed name, so its
    desired state is what Crossplane applies."""
    xr = f.xr_v2(secret_name="renamed-later")
    observed_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "first-name", "namespace": f.TENANT},
        "type": "Opaque",
        "data": {"kubeconfig": base64.b64encode(b"old").decode()},
    }
    observed = {
        "ec": f.ec_object(NEW_EC, v2=True),
        "credentials": (f.credentials_object(), DETAILS),
        "connection-secret": observed_secret,
    }
    secret = f.desired(f.run(f.request(xr, observed)), "connection-secret")
    assert secret["metadata"] == {"name": "first-name", "namespace": f.TENANT}
    assert base64.b64decode(secret["data"]["kubeconfig"]) == f.KUBECONFIG


def test_credentials_object_validates(tmp_path: Any) -> None:
    crd = crdschema.load_crd(
        shared_file("schemas/provider-kubernetes/kubernetes.crossplane.io_objects.yaml")
    )
    rsp = f.run(f.request(f.xr_v1(), {"ec": f.ec_object(NEW_EC)}))
    assert crdschema.validate(f.desired(rsp, "credentials"), crd) == []


@pytest.mark.parametrize("bad", ["Bad_Name", "x" * 254, "-leading"])
def test_bad_secret_ref_from_app_ci_is_a_condition_not_a_fatal(bad: str) -> None:
    """A FATAL would block every later call, including the one that forwards teardown."""
    ec = f.ec_manifest(phase="Ready", secret_ref=bad, tear_down=None)
    xr = f.xr_v1(spec={"ciOperator": f.CI_OPERATOR, "tearDownCluster": True})
    rsp = f.run(f.request(xr, {"ec": f.ec_object(ec)}))
    assert f.fatal_messages(rsp) == []
    assert "credentials" not in rsp.desired.resources
    cond = f.conditions(rsp)["CredentialsAvailable"]
    assert (cond.status, cond.reason) == (fnv1.STATUS_CONDITION_FALSE, "InvalidSecretRef")
    assert cond.message.startswith("status.secretRef:")
    assert f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]["spec"]["tearDownCluster"]


def test_fragments_cover_password_kubeconfig_and_token() -> None:
    found = credentials.fragments(DETAILS)
    assert f.PASSWORD.decode() in found
    assert "sha256~S3CR3T-T0KEN-do-not-leak" in found
    assert credentials.redact("x sha256~S3CR3T-T0KEN-do-not-leak y", found) == "x [redacted] y"
    assert credentials.fragments({"kubeAdminPassword": b""}) == ()


def test_a_v2_object_does_not_keep_an_edited_connection_secret() -> None:
    """A v2 Object lives in the tenant's namespace: its Secret name stays the function's."""
    existing = f.credentials_object()
    existing["apiVersion"] = "kubernetes.m.crossplane.io/v1alpha1"
    existing["spec"]["writeConnectionSecretToRef"] = {"name": "somewhere-else"}
    xr = f.xr_v2()
    observed = {"ec": f.ec_object(NEW_EC, v2=True), "credentials": (existing, DETAILS)}
    rsp = f.run(f.request(xr, observed))
    assert f.desired(rsp, "credentials")["spec"]["writeConnectionSecretToRef"] == {
        "name": "credentials-" + xr["metadata"]["name"]
    }


@pytest.mark.parametrize("withheld", [False, True])
def test_resolve_settles_the_final_credentials_once(withheld: bool) -> None:
    """resolve returns what the XR gets (nothing while withheld), whether the kubeconfig is
    there, and the fragments to redact either way; an unread secretRef falls back to the
    observed Object's details (no second read in fn)."""
    req = f.request(
        f.xr_v1(), {"ec": f.ec_object(NEW_EC), "credentials": (f.credentials_object(), DETAILS)}
    )
    xr = observed.composite(req)
    got = credentials.resolve(
        req, xr, config.DEFAULT, observed.ephemeral_cluster(req), withheld=withheld
    )
    assert got.has_kubeconfig is not withheld
    assert got.details == ({} if withheld else DETAILS)
    assert (got.obj is None) is withheld
    assert f.PASSWORD.decode() in got.secrets  # known for redaction even when withheld
