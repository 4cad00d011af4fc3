"""The whole simulated system, advanced one tick at a time.

Two clusters (the Konflux control plane running Crossplane, and app.ci), four controllers run
in order each tick (claims, XRs with the real function over gRPC, provider-kubernetes, the
app.ci reconciler), then every registered check runs. The tenant's actions (create the claim,
ask for teardown, delete the claim) and faults happen between ticks, as the test drives them.
A tick is `store.TICK_SECONDS` (30 s) of simulated time; `now` is that time in seconds.

The defaults are the supported installation: Crossplane v2.2 and provider-kubernetes with
`--enable-watches` (without it `watch: true` does nothing and an EC's progress reaches the
claim only on the provider's 10-minute poll).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import yaml

from scripts.render.runner import FunctionClient
from scripts.sim import appci
from scripts.sim.claims import ClaimReconciler, secret_bytes
from scripts.sim.composite import CompositeReconciler
from scripts.sim.provider import POLL_INTERVAL, ProviderKubernetes
from scripts.sim.store import Store, seconds

ROOT = Path(__file__).resolve().parents[2]
XR_API = "ci.openshift.org/v1alpha1"
ENVCFG = ("apiextensions.crossplane.io/v1beta1", "EnvironmentConfig", "envcfg")
Check = Callable[["World"], None]


def load(path: str) -> dict[str, Any]:
    """One YAML document from the repository (compositions/, examples/)."""
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


class World:
    """Control plane + app.ci + controllers, calling the function at `target`."""

    def __init__(
        self,
        target: str,
        *,
        v2: bool = False,
        design: str = "secretRef",
        fail_after: int | None = None,
        sanitize_secrets: bool = True,
        ticks_to_ready: int = 3,
        timeout: float = 10.0,
        enable_watches: bool = True,
        poll_interval: int = POLL_INTERVAL,
        crossplane: str = "2.2",
        request_name: str | None = None,
        ready_phase_lag: int = 0,
    ) -> None:
        self.tick = 0
        self.v2 = v2
        example = load("examples/xr-v2.yaml" if v2 else "examples/claim.yaml")["metadata"]
        self._request_key = (
            XR_API,
            "TestPlatformCluster",
            example["namespace"],
            request_name or example["name"],
        )
        self.control = Store("control", lambda: self.tick)
        self.appci = Store("appci", lambda: self.tick)
        self.client = FunctionClient("function-ephemeral-cluster", target)
        self.timeout = timeout
        name = "testplatform-ephemeral-cluster" + ("-v2" if v2 else "")
        self.composition = load(f"compositions/{name}.yaml")
        self.composite = CompositeReconciler(
            self.control, self.composition, self._call, crossplane=crossplane
        )
        self.claims = None
        if not v2:
            self.claims = ClaimReconciler(
                self.control,
                claim=(XR_API, "TestPlatformCluster"),
                composite=(XR_API, "XTestPlatformCluster"),
                composition=name,
            )
        self.provider = ProviderKubernetes(
            self.control,
            self.appci,
            sanitize_secrets=sanitize_secrets,
            enable_watches=enable_watches,
            poll_interval=poll_interval,
        )
        self.reconciler: appci.Controller = appci.Reconciler(
            self.appci,
            design=design,
            ticks_to_ready=ticks_to_ready,
            fail_after=fail_after,
            ready_phase_lag=ready_phase_lag,
        )
        self.checks: list[Check] = []
        #: Fault: provider-kubernetes is not running (pod restarting, app.ci unreachable).
        self.provider_down = False
        self.control.create(load("examples/environmentconfig.yaml"))

    def _call(self, req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        try:
            return self.client.run(
                req, deadline=time.monotonic() + self.timeout, timeout=self.timeout
            )
        except Exception:
            # A fresh channel next time: no waiting out gRPC's reconnect backoff after a restart.
            self.client.close()
            raise

    # Driving ------------------------------------------------------------------------------

    @property
    def now(self) -> int:
        """Simulated seconds since the start (the current tick's time)."""
        return seconds(self.tick)

    def step(self) -> None:
        """One tick: every controller once, then every check."""
        self.tick += 1
        if self.claims is not None:
            self.claims.reconcile(self.tick)
        self.composite.reconcile(self.tick)
        if not self.provider_down:
            self.provider.reconcile(self.tick)
        self.reconciler.reconcile(self.tick)
        for check in self.checks:
            check(self)

    def run_until(self, done: Callable[[World], bool], what: str, max_ticks: int = 30) -> int:
        """Step until `done`; the number of ticks it took. Fails with the state on timeout."""
        start = self.tick
        while not done(self):
            if self.tick - start >= max_ticks:
                raise TimeoutError(
                    f"{what}: not reached within {max_ticks} ticks\n{self.describe()}"
                )
            self.step()
        return self.tick - start

    def close(self) -> None:
        self.client.close()

    # The tenant's side --------------------------------------------------------------------

    def create_request(self, **spec: Any) -> dict[str, Any]:
        """The tenant's request: the example claim (v1) or the example v2 XR, fresh."""
        if self.v2:
            xr = load("examples/xr-v2.yaml")
            meta = xr["metadata"]
            doc = {
                "apiVersion": xr["apiVersion"],
                "kind": xr["kind"],
                "metadata": {
                    "name": self.request_key[3],
                    "namespace": meta["namespace"],
                    "annotations": meta["annotations"],
                },
                "spec": {
                    "ciOperator": xr["spec"]["ciOperator"],
                    "writeConnectionSecretToRef": xr["spec"]["writeConnectionSecretToRef"],
                    "crossplane": {"compositionRef": xr["spec"]["crossplane"]["compositionRef"]},
                },
            }
        else:
            claim = load("examples/claim.yaml")
            meta = claim["metadata"]
            doc = {
                "apiVersion": claim["apiVersion"],
                "kind": claim["kind"],
                "metadata": {
                    "name": self.request_key[3],
                    "namespace": meta["namespace"],
                    "annotations": meta["annotations"],
                },
                "spec": claim["spec"],
            }
        doc["spec"].update(spec)
        return self.control.create(doc)

    @property
    def request_key(self) -> tuple[str, str, str, str]:
        """What the tenant created: the claim (v1) or the XR (v2), named as the example's
        unless the World was given `request_name`."""
        return self._request_key

    def request(self) -> dict[str, Any] | None:
        """The tenant's claim (v1) or XR (v2) as stored now."""
        api, kind, namespace, name = self.request_key
        return self.control.get(api, kind, name, namespace)

    def patch_request(self, **spec: Any) -> None:
        """`kubectl patch` the claim (v1) or XR (v2) spec."""
        obj = self.request()
        if obj is None:
            raise LookupError("the request is gone")
        obj["spec"].update(spec)
        status = obj.get("status")
        obj = self.control.update(obj)
        if status is not None:
            obj["status"] = status

    def delete_request(self) -> None:
        """The PipelineRun is garbage-collected: its claim (or XR) is deleted."""
        api, kind, namespace, name = self.request_key
        self.control.delete(api, kind, name, namespace)

    def request_conditions(self) -> dict[str, dict[str, Any]]:
        """Conditions on what the tenant watches (the claim, or the v2 XR)."""
        obj = self.request() or {}
        return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}

    def connection_secret(self) -> dict[str, bytes]:
        """The tenant's connection Secret (the claim's, or the v2 composed one), decoded."""
        obj = self.request()
        if obj is None:
            return {}
        name = obj["spec"]["writeConnectionSecretToRef"]["name"]
        return secret_bytes(self.control, name, obj["metadata"]["namespace"])

    # Looking around -----------------------------------------------------------------------

    def xrs(self) -> list[dict[str, Any]]:
        """Every XR of the Composition's type."""
        return self.control.list(self.composite.api_version, self.composite.kind)

    def ecs(self) -> list[dict[str, Any]]:
        """Every EphemeralCluster on app.ci."""
        return self.appci.list(appci.API_VERSION, appci.KIND)

    def ec(self) -> dict[str, Any] | None:
        """The one EphemeralCluster, if there is one."""
        found = self.ecs()
        if len(found) > 1:
            raise LookupError(f"{len(found)} EphemeralClusters")
        return found[0] if found else None

    def objects(self) -> list[dict[str, Any]]:
        """Every provider-kubernetes Object."""
        return self.control.list(kind="Object")

    def remove_environment_config(self) -> None:
        """Fault: the platform's EnvironmentConfig disappears."""
        self.control.delete(*ENVCFG[:2], ENVCFG[2])

    def stop_provider(self) -> None:
        """Fault: provider-kubernetes is down (pod restarting, app.ci unreachable): Crossplane
        keeps applying Objects, nothing reaches app.ci, no `status.atProvider` changes."""
        self.provider_down = True

    def start_provider(self) -> None:
        """provider-kubernetes runs again; an Object whose spec changed meanwhile is reconciled
        on its next pass (generation changed), the others on their poll interval."""
        self.provider_down = False

    def restore_environment_config(self) -> None:
        """The platform puts its EnvironmentConfig back."""
        if self.control.get(*ENVCFG[:2], ENVCFG[2]) is None:
            self.control.create(load("examples/environmentconfig.yaml"))

    def events(self, key: tuple[str, str, str, str] | None = None) -> list[Any]:
        """Events Crossplane recorded (on `key` only, when given), oldest first."""
        return [e for e in self.composite.events if key is None or e.key == key]

    def describe(self) -> str:
        """A short dump of the state, for failure messages (no secrets: Secrets are elided)."""
        lines = [f"tick {self.tick}"]
        for store in (self.control, self.appci):
            for key, obj in sorted(store.objects.items()):
                status = copy.deepcopy(obj.get("status") or {})
                status.pop("atProvider", None)
                status.pop("kubeconfig", None)
                status.pop("kubeAdminPassword", None)
                conds = {c["type"]: c["status"] for c in status.pop("conditions", []) or []}
                lines.append(f"  {store.name} {key[1]} {key[2]}/{key[3]} {status} {conds}")
        lines += [f"  error: {e}" for e in self.composite.errors[-3:]]
        if self.claims is not None:
            lines += [f"  claim error: {e}" for e in self.claims.errors[-3:]]
        return "\n".join(lines)
