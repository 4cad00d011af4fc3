"""Property tests: arbitrary XRs and observed states never break the function's promises."""

from __future__ import annotations

from typing import Any

import fnreq as f
import strategies
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from function import structs

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELDS = ("input.", "spec.", "metadata.", "status.", "spec:", "metadata:")

json_values = strategies.json_values()
names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True), st.text(max_size=70)
)
phases = st.sampled_from(["", "Provisioning", "Ready", "Deprovisioning", "Deprovisioned", "Failed"])
conditions = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["ClusterReady", "ProwJobCompleted", "Ready", "_X", "T"]),
            "status": st.sampled_from(["True", "False", "Unknown", "maybe"]),
        },
        optional={
            "reason": st.text(max_size=10),
            "message": st.text(max_size=20),
            "lastTransitionTime": st.text(max_size=5),
        },
    ),
    max_size=4,
)


@st.composite
def xrs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = draw(st.dictionaries(st.text(max_size=8), json_values, max_size=3))
    if draw(st.booleans()):
        spec["ciOperator"] = draw(st.one_of(json_values, st.just(f.CI_OPERATOR)))
    if draw(st.booleans()):
        spec["tearDownCluster"] = draw(st.one_of(st.booleans(), json_values))
    if draw(st.booleans()):
        spec["claimRef"] = {"namespace": draw(names)}
    if draw(st.booleans()):
        spec["writeConnectionSecretToRef"] = {"name": draw(names)}
    metadata: dict[str, Any] = {"name": draw(names)}
    if draw(st.booleans()):
        metadata["namespace"] = draw(names)
    metadata["labels"] = draw(
        st.dictionaries(st.sampled_from(["crossplane.io/claim-namespace", "x"]), names, max_size=2)
    )
    metadata["annotations"] = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "ephemeralcluster.ci.openshift.io/task-run-name",
                    "ephemeralcluster.ci.openshift.io/konflux-tenant",
                    "y",
                ]
            ),
            st.text(max_size=10),
            max_size=3,
        )
    )
    return {
        "apiVersion": "ci.openshift.org/v1alpha1",
        "kind": "XTestPlatformCluster",
        "metadata": metadata,
        "spec": spec,
    }


@st.composite
def observed_states(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        status: dict[str, Any] = {"phase": draw(phases), "conditions": draw(conditions)}
        for key in ("secretRef", "kubeconfig", "kubeAdminPassword", "prowJobURL"):
            if draw(st.booleans()):
                status[key] = draw(st.one_of(names, json_values))
        manifest = f.ec_manifest(
            cluster=draw(st.one_of(st.just(f.CLUSTER), st.text(max_size=5))),
            tenant=draw(st.one_of(st.just(f.TENANT), st.text(max_size=5))),
            tear_down=draw(st.one_of(st.none(), st.booleans())),
        )
        manifest["status"] = draw(st.one_of(st.just(status), json_values))
        obj = f.ec_object(manifest)
        if draw(st.booleans()):
            obj["status"] = draw(json_values)  # the Object has no usable atProvider
        out["ec"] = obj
    if draw(st.booleans()):
        creds = f.credentials_object(data=draw(st.booleans()))
        details = draw(
            st.dictionaries(
                st.sampled_from(["kubeconfig", "kubeAdminPassword", "z"]),
                st.binary(max_size=20),
                max_size=3,
            )
        )
        out["credentials"] = (creds, details)
    if draw(st.booleans()):
        out["connection-secret"] = draw(
            st.dictionaries(st.text(max_size=6), json_values, max_size=3)
        )
    return out


envs = st.one_of(
    st.just("default"),
    st.just("pending"),
    st.none(),
    st.dictionaries(st.sampled_from(["metadata", "data"]), json_values, max_size=2),
)
inputs = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(
            ["credentialsMode", "ttl", "targetNamespace", "konfluxClusterName", "bogus"]
        ),
        json_values,
        max_size=2,
    ),
)


@SETTINGS
@given(xr=xrs(), observed=observed_states(), env=envs, fn_input=inputs, tag=st.text(max_size=10))
def test_never_raises_never_drops_ec_always_copies_tag(
    xr: dict[str, Any], observed: dict[str, Any], env: Any, fn_input: Any, tag: str
) -> None:
    req = f.request(xr, observed, env=env, fn_input=fn_input, tag=tag)
    rsp = f.run(req)  # RunFunction itself would swallow exceptions: check the results instead
    assert rsp.meta.tag == tag
    fatal = f.fatal_messages(rsp)
    for message in fatal:
        assert "internal error" not in message, message
        assert message.startswith(FIELDS), message
    if not fatal:
        withheld = any(
            c.type == "TenantVerified" and c.status == fnv1.STATUS_CONDITION_FALSE
            for c in rsp.conditions
        )
        for key in ("ec", "credentials", "connection-secret"):
            if key in observed and key not in rsp.desired.resources:
                # The one exception (issue 10, point 2): an Observe-only credentials Object on
                # another tenant's EphemeralCluster; deleting it deletes nothing on app.ci.
                assert key == "credentials", key
                assert withheld, key
                assert observed[key][0]["spec"]["managementPolicies"] == ["Observe"]
        if withheld:
            assert len(rsp.desired.composite.connection_details) == 0
            secret = rsp.desired.resources.get("connection-secret")
            assert secret is None or "data" not in secret.resource
        for res in rsp.desired.resources.values():
            assert res.ready in (fnv1.READY_TRUE, fnv1.READY_FALSE)
        for cond in rsp.conditions:
            assert cond.reason
            assert cond.type not in ("Ready", "Synced", "Healthy", "UpToDate", "Responsive")


@SETTINGS
@given(ci=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_ci_operator_round_trips_exactly(ci: dict[str, Any]) -> None:
    rsp = f.run(f.request(f.xr_v1(spec={"ciOperator": ci})))
    assert f.fatal_messages(rsp) == []
    manifest = f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]
    assert manifest["spec"]["ciOperator"] == ci
    assert set(manifest["spec"]) == {"ciOperator"}


@SETTINGS
@given(value=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_struct_helpers_are_lossless(value: dict[str, Any]) -> None:
    back = structs.struct_to_dict(structs.dict_to_struct(value))
    assert back == value

    def ints_stay_ints(a: Any, b: Any) -> None:
        if isinstance(a, bool):
            assert b is a
        elif isinstance(a, int):
            assert type(b) is int
        elif isinstance(a, dict):
            for k in a:
                ints_stay_ints(a[k], b[k])
        elif isinstance(a, list):
            for x, y in zip(a, b, strict=True):
                ints_stay_ints(x, y)

    ints_stay_ints(value, back)
