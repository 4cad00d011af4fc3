"""Whose EphemeralCluster this is: the XR's tenant, checked against the observed EC's.

The tenant is the claim's namespace (v1: `spec.claimRef.namespace`, else the claim-namespace
label) or the v2 XR's namespace; the function writes it into the EphemeralCluster's
`konflux-tenant` annotation. Credentials are delivered only when the EC that app.ci reports
carries that same annotation: names already make two tenants' ECs distinct (names.ec_name),
this is the second line. What is withheld, and what is kept, is decided in `fn` (see
docs/function.md, "Tenants").
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from function import names, observed
from function.errors import FatalError


class Problem(NamedTuple):
    """Why credentials are withheld: a condition reason and a message (no secrets in either)."""

    reason: str
    message: str


def check(
    xr: observed.Composite, ec: observed.EphemeralCluster | None
) -> tuple[observed.Composite, Problem | None]:
    """The XR facts with a checked tenant, and why credentials are withheld (None: they are not).

    Credentials reach an XR only from an EphemeralCluster annotated for the XR's own tenant:
    an observed EC whose konflux-tenant annotation is another tenant's, or an XR that has no
    tenant at all, gets none (defence in depth: v2 names cannot collide, see names.ec_name).
    The EC itself is always kept (dropping it would delete someone's cluster); an XR without a
    tenant keeps the annotation the EC carries, so nothing on app.ci is rewritten.
    """
    if xr.tenant:
        names.check_label(xr.tenant, xr.tenant_field, "tenant namespace")
        if ec is None or ec.tenant == xr.tenant:
            return xr, None
        return xr, Problem(
            "TenantMismatch",
            f"the EphemeralCluster on app.ci is annotated for another tenant (its "
            f"{observed.TENANT} annotation is not {xr.tenant!r}); its credentials are not "
            "delivered to this XR",
        )
    if ec is None or not ec.tenant:
        raise FatalError(
            xr.tenant_field,
            "the XR has no tenant namespace (no claimRef namespace, no "
            f"{observed.CLAIM_NAMESPACE_LABEL} label); create it through a claim",
        )
    return dataclasses.replace(xr, tenant=ec.tenant), Problem(
        "TenantUnknown",
        f"the XR has no tenant namespace ({xr.tenant_field}), so the EphemeralCluster's "
        "tenant cannot be verified; its credentials are not delivered",
    )
