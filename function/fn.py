"""The composition function: one step that replaces upstream's five-step pipeline.

This module only orchestrates; each concern lives in its own module (input, observed,
requirements, mapping, credentials, status, readiness, names, tenant). The one rule that
shapes the flow: desired state is authoritative, so once `ec`, `credentials` or
`connection-secret` has been observed, every non-FATAL response contains it (re-emitted as
observed when it cannot be computed this time); the one exception is an Observe-only
`credentials` Object on an EphemeralCluster of another tenant (`_keep_observed`). Anything
that must fail fails with a FATAL result, which makes Crossplane apply nothing from the call.
"""

from __future__ import annotations

import datetime
import traceback

import grpc
from crossplane.function import logging, response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from function import (
    cache,
    calllog,
    config,
    credentials,
    mapping,
    observed,
    readiness,
    requirements,
    status,
    tenant,
)
from function.errors import FatalError
from function.requirements import Source

FATAL_TTL = datetime.timedelta(seconds=30)

_ENVCFG_REASONS = {
    Source.PENDING: "WaitingForEnvironmentConfig",
    Source.MISSING: "EnvironmentConfigNotFound",
    Source.NO_KEY: "EnvironmentConfigKeyMissing",
}


def _envcfg_condition(
    rsp: fnv1.RunFunctionResponse,
    cfg: config.Config,
    cluster: requirements.ClusterName,
    ec: observed.EphemeralCluster | None,
) -> None:
    """Say whether the Konflux cluster name was found, and what that means for the EC."""
    if cluster.source is Source.LITERAL:
        return
    where = f"EnvironmentConfig {cfg.environment_config_name} (data.{cfg.environment_config_key})"
    if cluster.found:
        status.condition(rsp, status.ENVCFG_CONDITION, "True", "Found", f"{where} found")
        return
    problem = {
        Source.PENDING: f"waiting for {where}",
        Source.MISSING: f"{where} not found",
        Source.NO_KEY: f"{where} has no value",
    }[cluster.source]
    if ec is not None and ec.cluster_name:
        effect = "keeping the existing EphemeralCluster with the cluster name it was created with"
    elif ec is not None:
        effect = "keeping the existing EphemeralCluster as observed"
    else:
        effect = "the EphemeralCluster is not requested until the Konflux cluster name is known"
    reason = _ENVCFG_REASONS[cluster.source]
    status.condition(rsp, status.ENVCFG_CONDITION, "False", reason, f"{problem}; {effect}")


def _keep_observed(
    req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse, *, withheld: bool, tear_down: bool
) -> None:
    """Re-emit every owned resource that was observed but is not in the desired state.

    A kept `ec` says `tearDownCluster: true` once teardown was requested or sent. While
    credentials are withheld (`tenant.check`) a kept v2 `connection-secret` loses its data
    (Crossplane applies composed resources with server-side apply, so the keys go), and an
    Observe-only `credentials` Object is dropped: Crossplane deletes it and, by garbage
    collection, the connection Secret it filled; app.ci's Secret is untouched
    (mapping.observe_only).
    """
    for key in observed.OWNED:
        if key in rsp.desired.resources:
            continue
        res = observed.resource(req, key)
        if res is None:
            continue
        if withheld and key == observed.CREDENTIALS and mapping.observe_only(res.resource):
            continue
        out = rsp.desired.resources[key].resource
        out.CopyFrom(mapping.kept(res.resource))
        if key == observed.EC and tear_down:
            mapping.send_tear_down(out)
        elif key == observed.CONNECTION_SECRET and withheld and "data" in out.fields:
            del out.fields["data"]


def compose(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """One RunFunction call; raises FatalError for requests that must not be acted on."""
    cfg = config.from_request(req)
    xr = observed.composite(req)
    ec = observed.ephemeral_cluster(req)
    sent = observed.applied(req)
    xr, withheld = tenant.check(xr, ec)
    if xr.v2:
        mapping.connection_secret_name(xr)  # a bad name fails before anything is requested
    shown = observed.composite_condition_types(req)

    rsp = response.to(req)
    requirements.request(rsp, cfg, req)
    cluster = requirements.cluster_name(req, cfg)
    cluster_value = cluster.value or (ec.cluster_name if ec is not None else "")
    _envcfg_condition(rsp, cfg, cluster, ec)
    tear_down = observed.teardown(xr, ec, sent)

    if cluster_value:
        mapping.ec_object(
            xr,
            cfg,
            cluster_value,
            name=sent.name if sent is not None else "",
            tear_down=tear_down,
            out=rsp.desired.resources[observed.EC].resource,
        )

    creds = credentials.resolve(req, xr, cfg, ec)
    details = creds.details
    if not creds.available:
        details = credentials.observed_details(observed.resource(req, observed.CREDENTIALS))
    secrets = credentials.fragments(details)  # known even when withheld: for redaction
    if withheld is not None:
        details = {}
    elif creds.obj is not None:
        rsp.desired.resources[observed.CREDENTIALS].resource.CopyFrom(creds.obj)
    has_kubeconfig = bool(details.get(credentials.KUBECONFIG))
    if has_kubeconfig:
        if xr.v2:
            rsp.desired.resources[observed.CONNECTION_SECRET].resource.CopyFrom(
                mapping.connection_secret(
                    xr, details, observed.resource_name(req, observed.CONNECTION_SECRET)
                )
            )
        else:
            for key, value in details.items():
                rsp.desired.composite.connection_details[key] = value

    _keep_observed(req, rsp, withheld=withheld is not None, tear_down=tear_down)

    readiness.set_composed(rsp, observed.EC, ec is not None and ec.cluster_ready)
    readiness.set_composed(rsp, observed.CREDENTIALS, has_kubeconfig)
    readiness.set_composed(
        rsp,
        observed.CONNECTION_SECRET,
        has_kubeconfig or credentials.secret_has_kubeconfig(rsp.desired.resources),
    )

    if ec is not None:
        status.set_status(rsp, ec)
        status.copy_conditions(rsp, ec, secrets)
    status.credentials_condition(rsp, creds.problem, has_kubeconfig, shown, withheld)
    status.tenant_condition(rsp, withheld, shown)
    status.resolve_stale(rsp, shown, ec)
    verdict = readiness.seal(
        rsp, readiness.usability(ec, has_kubeconfig, tear_down=tear_down, withheld=withheld)
    )
    readiness.set_ttl(rsp, readiness.ttl(cfg, ec, verdict.usable))
    return rsp


def fatal(req: fnv1.RunFunctionRequest, message: str) -> fnv1.RunFunctionResponse:
    """A FATAL response: Crossplane applies nothing from it, so nothing gets deleted.

    Crossplane never turns a FATAL result into an event on the claim, but it applies the
    response's conditions; so the response also carries `RequestAccepted=False` for the XR and
    the claim, with the same message (which names the field at fault).
    """
    rsp = response.to(req, FATAL_TTL)
    rsp.results.append(
        fnv1.Result(
            severity=fnv1.SEVERITY_FATAL,
            message=message,
            target=fnv1.TARGET_COMPOSITE_AND_CLAIM,
        )
    )
    status.rejected(rsp, message)
    return rsp


def _where(err: BaseException) -> str:
    """file:line of the innermost frame: enough to find the bug, carries no data."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


class FunctionRunner(grpcv1.FunctionRunnerServiceServicer):
    """gRPC servicer; every RunFunction call returns a response, never raises."""

    def __init__(
        self,
        cache_entries: int = cache.DEFAULT_ENTRIES,
        cache_bytes: int = cache.DEFAULT_MAX_BYTES,
    ) -> None:
        """Constructible without arguments (the shared contract); 0 entries = no cache."""
        self.log = logging.get_logger()
        self.cache = cache.ResponseCache(cache_entries, max_bytes=cache_bytes)

    async def RunFunction(  # noqa: N802 - gRPC method name
        self, req: fnv1.RunFunctionRequest, _: grpc.aio.ServicerContext | None = None
    ) -> fnv1.RunFunctionResponse:
        """Compose; a bad request or a bug becomes a FATAL result with a short message.

        Identical requests get the remembered response; errors are never cached, so each one
        is logged. With --debug every call also gets one line (function.calllog).
        """
        cached, slot = self.cache.lookup(req)
        if cached is not None:
            calllog.call(self.log, req, cached, cache_hit=True)
            return cached
        try:
            rsp = compose(req)
        except FatalError as err:
            rsp = fatal(req, str(err))
            if calllog.debug_enabled():
                calllog.call(self.log, req, rsp, cache_hit=False, fatal=err.field)
            else:
                self.log.info("rejected request", tag=calllog.short(req.meta.tag), field=err.field)
            return rsp
        except Exception as err:  # every call must get a response
            # Only the type and location: exception messages and locals may hold secrets.
            self.log.error(  # noqa: TRY400 - no traceback: its locals may hold secrets
                "unexpected error",
                tag=calllog.short(req.meta.tag),
                error=type(err).__name__,
                at=_where(err),
            )
            rsp = fatal(
                req,
                f"internal error ({type(err).__name__}) in function-ephemeral-cluster; "
                f"see its log for request tag {calllog.short(req.meta.tag)!r}",
            )
            calllog.call(self.log, req, rsp, cache_hit=False, fatal="internal error")
            return rsp
        self.cache.put(slot, req, rsp)
        calllog.call(self.log, req, rsp, cache_hit=False)
        return rsp
