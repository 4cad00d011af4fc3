"""The composition function: one step that replaces upstream's five-step pipeline.

This module only orchestrates; each concern lives in its own module (config, observed,
tenant, requirements, mapping, credentials, status, readiness). The one rule that shapes the
flow: desired state is authoritative, so once `ec`, `credentials` or `connection-secret` has
been observed, every non-FATAL response contains it (re-emitted as observed when it cannot be
computed this time); the one exception is an Observe-only `credentials` Object on an
EphemeralCluster of another tenant (`mapping.keep_observed`). Anything that must fail fails
with a FATAL result, which makes Crossplane apply nothing from the call.
"""

from __future__ import annotations

import datetime
import traceback

from crossplane.function import response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from function import (
    cache,
    calllog,
    config,
    credentials,
    drain,
    mapping,
    observed,
    readiness,
    requirements,
    status,
    tenant,
)
from function.errors import FatalError

FATAL_TTL = datetime.timedelta(seconds=30)


def compose(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """One RunFunction call; raises FatalError for requests that must not be acted on.

    The facts first, each settled once (a bad XR field fails before anything is requested),
    then the response, written once, its TTL last.
    """
    cfg = config.from_request(req)
    ec = observed.ephemeral_cluster(req)
    xr, withheld = tenant.check(observed.composite(req), ec)
    secret = observed.resource(req, observed.CONNECTION_SECRET)
    secret_name = mapping.connection_secret_name(xr, observed.name(secret)) if xr.v2 else ""
    sent = observed.applied(req)
    tear_down = observed.teardown(xr, ec, sent)
    creds = credentials.resolve(req, xr, cfg, ec, withheld=withheld is not None)
    # A kept v2 Secret still holds the kubeconfig unless its data goes (withheld).
    secret_ready = withheld is None and credentials.secret_has_kubeconfig(secret)
    cluster = requirements.cluster_name(req, cfg)
    cluster_name = cluster.value or (ec.cluster_name if ec is not None else "")

    # No TTL yet (response.to would set the SDK's default): it is set once, last.
    rsp = fnv1.RunFunctionResponse(
        meta=fnv1.ResponseMeta(tag=req.meta.tag), desired=req.desired, context=req.context
    )
    desired = rsp.desired.resources
    requirements.request(rsp, cfg, req)
    status.envcfg_condition(rsp, cfg, cluster, ec)
    if cluster_name:
        mapping.ec_object(
            xr,
            cfg,
            cluster_name,
            name=sent.name if sent is not None else "",
            tear_down=tear_down,
            out=desired[observed.EC].resource,
        )
    if creds.obj is not None:
        desired[observed.CREDENTIALS].resource.CopyFrom(creds.obj)
    if creds.has_kubeconfig and xr.v2:
        desired[observed.CONNECTION_SECRET].resource.CopyFrom(
            mapping.connection_secret(xr.namespace, secret_name, creds.details)
        )
    elif creds.has_kubeconfig:
        for key, value in creds.details.items():
            rsp.desired.composite.connection_details[key] = value
    mapping.keep_observed(req, rsp, withheld=withheld is not None, tear_down=tear_down)

    readiness.set_composed(rsp, observed.EC, ec is not None and ec.cluster_ready)
    readiness.set_composed(rsp, observed.CREDENTIALS, creds.has_kubeconfig)
    readiness.set_composed(rsp, observed.CONNECTION_SECRET, creds.has_kubeconfig or secret_ready)

    shown = observed.composite_condition_types(req)
    if ec is not None:
        status.set_status(rsp, ec)
        status.copy_conditions(rsp, ec, creds.secrets)
    status.credentials_condition(rsp, creds.problem, creds.has_kubeconfig, shown, withheld)
    status.tenant_condition(rsp, withheld, shown)
    status.resolve_stale(rsp, shown, ec)
    usable = readiness.usability(ec, creds.has_kubeconfig, tear_down=tear_down, withheld=withheld)
    verdict = readiness.seal(rsp, usable)
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
        self.log = calllog.logger()
        self.cache = cache.ResponseCache(cache_entries, max_bytes=cache_bytes)

    async def RunFunction(  # noqa: N802 - gRPC method name
        self,
        req: fnv1.RunFunctionRequest,
        _: drain.Context | None = None,
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
