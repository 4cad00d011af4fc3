"""The typed step input: defaults, validation errors naming the field."""

from __future__ import annotations

from typing import Any

import fnreq as f
import pytest
import strategies
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from function import config
from function import input as fninput
from function.errors import FatalError
from scripts import crdschema

CRD_FILE = ROOT / "package" / "input" / "ephemeralcluster.fn.ci.openshift.org_inputs.yaml"
HEADER = {"apiVersion": config.API_VERSION, "kind": "Input"}
_DROP = object()  # drawn in place of a value: the field is left out
#: Every field set, none at its default.
VALID: dict[str, Any] = {
    **HEADER,
    "metadata": {"name": "x"},
    "providerConfigName": "pc",
    "providerConfigKind": "ProviderConfig",
    "targetNamespace": "ns",
    "environmentConfigName": "cfg.example",
    "environmentConfigKey": "konflux.cluster",
    "konfluxClusterName": "kflux-1",
    "credentialsMode": "status",
    "connectionSecretNamespace": "conn",
    "ttl": {"transitioning": "10s", "steady": "1h30m"},
}


def test_defaults_are_upstreams_values() -> None:
    cfg = fninput.parse({})
    assert cfg.provider_config_name == "testplatform-kubernetes-provider-config"
    assert cfg.target_namespace == "ephemeral-cluster"
    assert cfg.environment_config_name == "envcfg"
    assert cfg.environment_config_key == "clusterName"
    assert cfg.konflux_cluster_name is None
    assert cfg.credentials_mode == "auto"
    assert cfg.connection_secret_namespace == "crossplane-connections"
    ttl = config.Config.from_model(cfg).ttl
    assert (ttl.transitioning_seconds(), ttl.steady_seconds()) == (30, 300)
    assert fninput.parse(HEADER) == cfg


def test_every_field_is_read() -> None:
    cfg = fninput.parse(VALID)
    assert (cfg.provider_config_name, cfg.provider_config_kind) == ("pc", "ProviderConfig")
    assert (cfg.target_namespace, cfg.connection_secret_namespace) == ("ns", "conn")
    assert (cfg.environment_config_name, cfg.environment_config_key) == (
        "cfg.example",
        "konflux.cluster",
    )
    assert (cfg.konflux_cluster_name, cfg.credentials_mode) == ("kflux-1", "status")
    assert config.Config.from_model(cfg).ttl.steady_seconds() == 5400


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"bogus": 1}, "input.bogus"),
        ({"ttl": {"bogus": "1s"}}, "input.ttl.bogus"),
        ({"apiVersion": "other/v1"}, "input.apiVersion"),
        ({"kind": "Resources"}, "input.kind"),
        ({"credentialsMode": "vault"}, "input.credentialsMode"),
        ({"credentialsMode": 3}, "input.credentialsMode"),
        ({"targetNamespace": "Not_Valid"}, "input.targetNamespace"),
        ({"targetNamespace": "x" * 64}, "input.targetNamespace"),
        ({"connectionSecretNamespace": ""}, "input.connectionSecretNamespace"),
        ({"providerConfigName": "UPPER"}, "input.providerConfigName"),
        ({"providerConfigKind": "Other"}, "input.providerConfigKind"),
        ({"environmentConfigKey": "a/b"}, "input.environmentConfigKey"),
        ({"konfluxClusterName": ""}, "input.konfluxClusterName"),
        ({"ttl": {"steady": "5"}}, "input.ttl.steady"),
        ({"ttl": {"transitioning": "0s"}}, "input.ttl.transitioning"),
        ({"ttl": {"transitioning": "500ms"}}, "input.ttl.transitioning"),
        ({"ttl": "5m"}, "input.ttl"),
        # Issue 10, point 6: beyond a protobuf Duration (was an internal error) and beyond 24h
        # (was accepted: Crossplane would clamp or saturate it).
        ({"ttl": {"steady": "99999999999999999999h"}}, "input.ttl.steady"),
        ({"ttl": {"steady": "100000000h"}}, "input.ttl.steady"),
        ({"ttl": {"transitioning": "24h0m1s"}}, "input.ttl.transitioning"),
        ({"ttl": {"transitioning": "9" * 400 + "h"}}, "input.ttl.transitioning"),
    ],
)
def test_invalid_input_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(FatalError) as err:
        fninput.parse(data)
    assert err.value.field == field
    rsp = f.run(f.request(f.xr_v1(), fn_input=data))
    [message] = f.fatal_messages(rsp)
    assert message.startswith(f"{field}: ")


@pytest.mark.parametrize("ttl", ["24h", "1440m", "86400s", "1s", "1.5s", "1.9999999999s"])
def test_ttl_range_is_1s_to_24h_and_reaches_the_response_exactly(ttl: str) -> None:
    rsp = f.run(f.request(f.xr_v1(), fn_input={"ttl": {"transitioning": ttl}}))
    assert f.fatal_messages(rsp) == []
    seconds = config.seconds(ttl)
    assert 0 <= rsp.meta.ttl.nanos < 1_000_000_000  # a valid protobuf Duration
    assert abs(rsp.meta.ttl.seconds + rsp.meta.ttl.nanos / 1e9 - seconds) < 1e-6


@pytest.mark.parametrize("field", ["transitioning", "steady"])
def test_a_ttl_beyond_a_protobuf_duration_is_a_fatal_not_an_internal_error(field: str) -> None:
    """The TTL that is used by the call (steady: the EC failed, so it is finished) used to
    overflow meta.ttl.seconds: `internal error (ValueError)`."""
    observed = {"ec": f.ec_object(f.ec_manifest(phase="Failed"))} if field == "steady" else None
    doc = {"ttl": {field: "99999999999999999999h"}}
    rsp = f.run(f.request(f.xr_v1(), observed, fn_input=doc))
    assert f.fatal_messages(rsp) == [
        f"input.ttl.{field}: '99999999999999999999h' is longer than the maximum, 24h"
    ]


def test_out_of_range_ttl_message() -> None:
    with pytest.raises(FatalError) as err:
        fninput.parse({"ttl": {"steady": "100000000h"}})
    assert str(err.value) == "input.ttl.steady: '100000000h' is longer than the maximum, 24h"


def test_unknown_field_message() -> None:
    with pytest.raises(FatalError, match=r"^input\.bogus: unknown field$"):
        fninput.parse({"bogus": 1})


@pytest.mark.parametrize(
    ("doc", "ok"),
    [
        ({**HEADER, "credentialsMode": "secretRef"}, True),
        ({**HEADER, "credentialsMode": "vault"}, False),
        ({**HEADER, "unknownField": 1}, False),
        ({**HEADER, "ttl": {"steady": "ten"}}, False),
    ],
)
def test_crd_and_model_agree(doc: dict[str, Any], ok: bool) -> None:
    crd = crdschema.load_crd(CRD_FILE)
    assert (crdschema.validate(doc, crd) == []) is ok
    try:
        fninput.parse(doc)
        model_ok = True
    except FatalError:
        model_ok = False
    assert model_ok is ok


def test_composition_inputs_are_valid() -> None:
    crd = crdschema.load_crd(CRD_FILE)
    for path in sorted((ROOT / "compositions").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        [step] = doc["spec"]["pipeline"]
        assert crdschema.validate(step["input"], crd) == [], path.name
        fninput.parse(step["input"])


# Fuzzing the step input (issue 10, point 6) ------------------------------------------------------
#
# Whatever a Composition author writes, the function answers with a FATAL naming an `input.`
# field, or accepts it; the internal-error path (an exception escaping compose) is never reached.

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELDS = [*VALID, "target_namespace", "credentials_mode", "bogus"]

json_values = strategies.json_values(text=20, width=3, leaves=12)
UNITS = st.sampled_from(["h", "m", "s", "ms"])
durations = st.one_of(
    st.builds("{}{}".format, st.integers(0, 10**30), UNITS),  # up to far past int64 seconds
    st.builds("{}s".format, st.integers(86_390, 86_410)),  # around the 24h limit
    st.builds("{}m{}s".format, st.integers(1_430, 1_450), st.integers(0, 60)),
    st.from_regex(r"\A(\d{1,25}(\.\d{1,12})?(h|m|s|ms)){1,3}\Z"),
    st.from_regex(r"\A\s?-?\d{0,6}(\.\d*)?(h|m|s|ms|us|ns|d)?\s?\Z"),
)
strings = st.one_of(
    st.text(max_size=300),
    st.from_regex(r"\A[a-z0-9.-]{0,300}\Z"),
    durations,
)


@st.composite
def mutated_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid input with one to three targeted changes: a field replaced (by another type,
    another string, a duration at or past the limits), removed, or an unknown one added."""
    doc = {**VALID, "ttl": dict(VALID["ttl"])}
    value: object
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):  # half the time a TTL, with a duration near or past the limits
            key = draw(st.sampled_from(["ttl.transitioning", "ttl.steady"]))
            value = draw(durations)
        else:
            key = draw(st.sampled_from([*FIELDS, "ttl.transitioning", "ttl.steady", "ttl.bogus"]))
            value = draw(st.one_of(strings, json_values, st.just(_DROP)))
        target, name = (doc.get("ttl"), key[4:]) if key.startswith("ttl.") else (doc, key)
        if not isinstance(target, dict):
            continue
        if value is _DROP:
            target.pop(name, None)
        else:
            target[name] = value
    return doc


arbitrary_inputs = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), json_values, max_size=4
)


def _check_answer(doc: dict[str, Any]) -> None:
    """FATAL naming an `input.` field, with the same message on RequestAccepted; or accepted
    by the model too, with a TTL inside the range."""
    rsp = f.run(f.request(f.xr_v1(), fn_input=doc))
    fatal = f.fatal_messages(rsp)
    if fatal:
        [message] = fatal
        assert "internal error" not in message, message
        assert message.startswith("input."), message
        assert f.conditions(rsp)["RequestAccepted"].message == message
        with pytest.raises(FatalError):
            config.parse(doc)
        return
    config.parse(doc)  # the model accepts what the function served
    ttl = rsp.meta.ttl.seconds + rsp.meta.ttl.nanos / 1e9
    assert 1 <= ttl <= 24 * 3600  # the documented range
    assert 0 <= rsp.meta.ttl.nanos < 1_000_000_000


@FUZZ
@given(doc=arbitrary_inputs)
def test_fuzzed_inputs_never_reach_the_internal_error_path(doc: dict[str, Any]) -> None:
    _check_answer(doc)


@FUZZ
@given(doc=mutated_inputs())
def test_mutated_valid_inputs_are_accepted_or_a_fatal_naming_the_field(doc: dict[str, Any]) -> None:
    _check_answer(doc)
