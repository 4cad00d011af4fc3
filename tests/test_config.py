"""The run-time input: the default input is recognised without pydantic, anything else is not."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import fnreq as f
import pytest
import yaml
from conftest import ROOT

from function import config
from function import input as fninput
from function.errors import FatalError

HEADER = {"apiVersion": config.API_VERSION, "kind": config.KIND}


def _via_model(data: dict[str, Any]) -> config.Config:
    return config.Config.from_model(fninput.parse(data))


def test_defaults_are_declared_once() -> None:
    model = fninput.Input()
    assert config.Config.from_model(model) == config.DEFAULT
    dumped = model.model_dump(by_alias=True)
    assert dumped.pop("ttl") == config.DEFAULT_TTL_DOC
    assert dumped.pop("metadata") is None
    assert dumped == config.DEFAULT_DOC


@pytest.mark.parametrize(
    "data",
    [
        {},
        HEADER,
        dict(config.DEFAULT_DOC, ttl=dict(config.DEFAULT_TTL_DOC)),
        {"ttl": {}},
        {"ttl": {"steady": "5m"}},
        {"metadata": {"name": "x"}},
        {"metadata": None},
        {"konfluxClusterName": None},
    ],
)
def test_default_inputs_skip_the_model(data: dict[str, Any]) -> None:
    assert config.is_default(data)
    assert config.parse(data) is config.DEFAULT
    assert _via_model(data) == config.DEFAULT


@pytest.mark.parametrize(
    "data",
    [
        {"targetNamespace": "other"},
        {"target_namespace": "ephemeral-cluster"},  # the model also takes field names
        {"credentialsMode": "status"},
        {"ttl": {"steady": "10m"}},
        {"konfluxClusterName": "kflux-1"},
        {"bogus": 1},
        {"ttl": None},
        {"ttl": {"bogus": "1s"}},
        {"metadata": "x"},
        {"targetNamespace": 1},
        {"providerConfigKind": True},
        {"apiVersion": "other/v1"},
    ],
)
def test_other_inputs_go_through_the_model(data: dict[str, Any]) -> None:
    assert not config.is_default(data)
    try:
        expected: config.Config | str = _via_model(data)
    except FatalError as err:
        expected = err.field
    try:
        got: config.Config | str = config.parse(data)
    except FatalError as err:
        got = err.field
    assert got == expected


def test_composition_inputs_parse_like_the_model() -> None:
    for path in sorted((ROOT / "compositions").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for step in doc["spec"]["pipeline"]:
            assert config.parse(step["input"]) == _via_model(step["input"]), path.name


SERVE_PATH = """
import asyncio, sys
import fnreq as f
from function import fn
runner = fn.FunctionRunner()
default = {"apiVersion": "ephemeralcluster.fn.ci.openshift.org/v1beta1", "kind": "Input"}
asyncio.run(runner.RunFunction(f.request(f.xr_v1(), fn_input=default), None))
print("function.input" in sys.modules)
asyncio.run(runner.RunFunction(f.request(f.xr_v1(), fn_input={"targetNamespace": "x"}), None))
print("function.input" in sys.modules)
"""


def test_serving_the_default_input_does_not_build_the_model() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SERVE_PATH],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT / "tests",
    )
    assert result.stdout.split() == ["False", "True"]


def test_validation_is_cached_per_distinct_input() -> None:
    req = f.request(f.xr_v1(), fn_input={"targetNamespace": "cached-ns"})
    first = config.from_request(req)
    assert config.from_request(req) is first
    other = config.from_request(f.request(f.xr_v1(), fn_input={"targetNamespace": "other"}))
    assert other is not first
    assert config.from_request(f.request(f.xr_v1())) is config.DEFAULT


def test_every_test_starts_with_empty_function_caches() -> None:
    """tests/conftest.py resets the function's module caches before each test: fill them
    here, reset, and nothing is left."""
    from conftest import reset_function_caches

    from function import calllog, credentials, mapping, status

    f.run(f.request(f.xr_v1(), fn_input={"targetNamespace": "cache-probe"}))
    credentials.fragments({"kubeconfig": f.KUBECONFIG})
    calllog._state["debug"] = True
    assert config._cache
    assert mapping._templates
    assert status._valid_reason.cache_info().currsize
    reset_function_caches()
    assert not config._cache
    assert not mapping._templates
    assert calllog._state == {"debug": False}
    for cached in (config.seconds, credentials._fragments, status._valid_reason):
        assert cached.cache_info().currsize == 0, cached
