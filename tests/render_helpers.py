"""Small builders shared by the xp-render tests."""

from __future__ import annotations

from typing import Any


def xrd_version(name: str, spec_properties: dict[str, Any]) -> dict[str, Any]:
    """One XRD version whose XR spec declares `spec_properties`."""
    return {
        "name": name,
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object", "properties": spec_properties}},
            }
        },
    }


def spec_xrd(
    spec_properties: dict[str, Any],
    *,
    version: str = "v1alpha1",
    api_version: str = "apiextensions.crossplane.io/v1",
    earlier: tuple[dict[str, Any], ...] = (),
    **spec: Any,
) -> dict[str, Any]:
    """An XTestPlatformCluster XRD with one version (after `earlier` ones) declaring a spec."""
    return {
        "apiVersion": api_version,
        "kind": "CompositeResourceDefinition",
        "metadata": {"name": "xtestplatformclusters.ci.openshift.org"},
        "spec": {
            "group": "ci.openshift.org",
            "names": {"kind": "XTestPlatformCluster", "plural": "xtestplatformclusters"},
            "versions": [*earlier, xrd_version(version, spec_properties)],
            **spec,
        },
    }
