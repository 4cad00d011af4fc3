"""The typed step input: defaults, validation errors naming the field, the generated CRD."""

from __future__ import annotations

from typing import Any

import fnreq as f
import pytest
import yaml
from conftest import ROOT

from function import config, inputcrd
from function import input as fninput
from function.errors import FatalError
from scripts import crdschema

CRD_FILE = ROOT / "package" / "input" / "ephemeralcluster.fn.ci.openshift.org_inputs.yaml"
HEADER = {"apiVersion": fninput.API_VERSION, "kind": "Input"}


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
    cfg = fninput.parse(
        {
            **HEADER,
            "metadata": {"name": "ignored"},
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
    )
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
    ],
)
def test_invalid_input_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(FatalError) as err:
        fninput.parse(data)
    assert err.value.field == field
    rsp = f.run(f.request(f.xr_v1(), fn_input=data))
    [message] = f.fatal_messages(rsp)
    assert message.startswith(f"{field}: ")


def test_unknown_field_message() -> None:
    with pytest.raises(FatalError, match=r"^input\.bogus: unknown field$"):
        fninput.parse({"bogus": 1})


def test_validation_is_cached_per_distinct_input() -> None:
    req = f.request(f.xr_v1(), fn_input={"targetNamespace": "cached-ns"})
    first = fninput.from_request(req)
    assert fninput.from_request(req) is first
    other = fninput.from_request(f.request(f.xr_v1(), fn_input={"targetNamespace": "other"}))
    assert other is not first
    assert fninput.from_request(f.request(f.xr_v1())) is fninput.DEFAULT


def test_committed_crd_equals_the_model() -> None:
    assert CRD_FILE.read_text(encoding="utf-8") == inputcrd.render()
    assert inputcrd.main(["--check"]) == 0


def test_crd_is_structural_and_mirrors_the_model() -> None:
    crd = crdschema.load_crd(CRD_FILE)
    schema = crdschema.version_schema(crd, "v1beta1")
    assert crdschema.structural_problems(schema) == []
    fields = {field.alias for field in fninput.Input.model_fields.values()}
    assert set(schema["properties"]) == fields
    props = schema["properties"]
    assert props["credentialsMode"]["enum"] == ["secretRef", "status", "auto"]
    assert props["credentialsMode"]["default"] == "auto"
    assert props["ttl"]["properties"]["steady"]["default"] == "5m"


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
