"""The seam over a real API server, through the official `kubernetes` client.

Thin on purpose: requests go out as the client builds them and objects come back as the API
server's JSON (`_preload_content=False`, no model conversion), so a Secret's data is never
turned into anything printable. `watch` is the informer pattern: LIST with a name field
selector (the object, or nothing, plus the list's resourceVersion), then WATCH from that
resourceVersion with bookmarks; a stream that ends is resumed from the last resourceVersion
seen, and 410 Gone (resourceVersion too old) means LIST again.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from scripts.tasks.seam import (
    CLAIM_GROUP,
    CLAIM_PLURAL,
    CLAIM_VERSION,
    AlreadyExistsError,
    KubeError,
    NotFoundError,
    Obj,
    Ref,
)

#: Longest single watch request; the server ends the stream then and we resume.
WATCH_SECONDS = 300
CONNECT_SECONDS = 10.0
RETRY_SECONDS = 5.0


def connect(kubeconfig: str | None = None) -> client.ApiClient:
    """In a pod: the ServiceAccount (the client re-reads the projected token when it expires,
    which matters for a two-hour wait); otherwise the kubeconfig (`--kubeconfig`, $KUBECONFIG).
    """
    if kubeconfig is None:
        try:
            config.load_incluster_config()
            return client.ApiClient()
        except config.ConfigException:
            pass
    try:
        return config.new_client_from_config(config_file=kubeconfig)
    except (config.ConfigException, OSError) as err:
        raise KubeError(f"no Kubernetes credentials: {err}") from None


def _status_message(err: ApiException) -> str:
    """The API server's Status message (never the body of a successful read)."""
    try:
        body = json.loads(err.body or "{}")
        message = body.get("message") or ""
    except (ValueError, AttributeError):
        message = ""
    return f"{err.status} {err.reason}: {message}".strip().rstrip(":")


class RealKube:
    """`Kube` over an ApiClient."""

    def __init__(
        self,
        api: client.ApiClient,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)
        self.clock = clock
        self.sleep = sleep

    def now(self) -> float:
        return self.clock()

    def _call(self, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One request; the JSON body, None on 404, or a one-line KubeError."""
        try:
            resp = func(*args, _preload_content=False, **kwargs)
        except ApiException as err:
            if err.status == 404:  # noqa: PLR2004 - HTTP status
                return None
            if err.status == 409:  # noqa: PLR2004
                raise AlreadyExistsError(f"{what}: {_status_message(err)}") from None
            raise KubeError(f"{what}: {_status_message(err)}") from None
        except urllib3.exceptions.HTTPError as err:
            raise KubeError(f"{what}: {type(err).__name__}: {err}") from None
        return json.loads(resp.data)

    def _claim_args(self, ref: Ref) -> tuple[str, str, str, str]:
        return (CLAIM_GROUP, CLAIM_VERSION, ref.namespace, CLAIM_PLURAL)

    def create(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        ref = Ref("claim", meta["namespace"], meta["name"])
        func = self.custom.create_namespaced_custom_object
        # Strict: a misspelt field in a JSON parameter is refused with its path instead of being
        # pruned silently. The client (37.0.2) sets no Content-Type on create; the API server
        # would assume JSON, but say it.
        return self._call(
            f"create {ref}",
            func,
            *self._claim_args(ref),
            obj,
            field_validation="Strict",
            _headers={"Content-Type": "application/json"},
        )

    def get(self, ref: Ref) -> Obj | None:
        if ref.kind == "secret":
            return self._call(
                f"get {ref}", self.core.read_namespaced_secret, ref.name, ref.namespace
            )
        func = self.custom.get_namespaced_custom_object
        return self._call(f"get {ref}", func, *self._claim_args(ref), ref.name)

    def merge_patch(self, ref: Ref, patch: Obj) -> Obj:
        func = self.custom.patch_namespaced_custom_object
        found = self._call(
            f"patch {ref}",
            func,
            *self._claim_args(ref),
            ref.name,
            patch,
            _content_type="application/merge-patch+json",
        )
        if found is None:
            raise NotFoundError(f"{ref} not found")
        return found

    def _list_func(self, ref: Ref) -> tuple[Callable[..., Any], tuple[str, ...]]:
        if ref.kind == "secret":
            return self.core.list_namespaced_secret, (ref.namespace,)
        return self.custom.list_namespaced_custom_object, self._claim_args(ref)

    def _list(self, ref: Ref) -> tuple[Obj | None, str]:
        func, args = self._list_func(ref)
        body = self._call(f"list {ref}", func, *args, field_selector=f"metadata.name={ref.name}")
        if body is None:
            raise KubeError(f"list {ref}: 404 Not Found (is the CRD installed?)")
        items = [i for i in body.get("items") or [] if i["metadata"]["name"] == ref.name]
        return (items[0] if items else None), body["metadata"]["resourceVersion"]

    def watch(self, ref: Ref, deadline: float) -> Iterator[Obj | None]:
        current, version = self._list(ref)
        yield current
        seen = _version_of(current)
        func, args = self._list_func(ref)
        while (remaining := deadline - self.now()) > 0:
            seconds = max(1, min(WATCH_SECONDS, math.ceil(remaining)))
            try:
                for event in watch.Watch().stream(
                    func,
                    *args,
                    field_selector=f"metadata.name={ref.name}",
                    resource_version=version,
                    allow_watch_bookmarks=True,
                    timeout_seconds=seconds,
                    _request_timeout=(CONNECT_SECONDS, seconds + 30),
                ):
                    # raw_object: the JSON as sent (the client also builds a model of it).
                    obj = event["raw_object"]
                    version = obj["metadata"].get("resourceVersion") or version
                    if event["type"] == "BOOKMARK":
                        continue
                    now = None if event["type"] == "DELETED" else obj
                    if _version_of(now) != seen:
                        seen = _version_of(now)
                        yield now
                    if self.now() >= deadline:
                        return
            except ApiException as err:
                if err.status != 410:  # noqa: PLR2004 - 410 Gone: relist
                    raise KubeError(f"watch {ref}: {_status_message(err)}") from None
                current, version = self._list(ref)
                if _version_of(current) != seen:
                    seen = _version_of(current)
                    yield current
            except urllib3.exceptions.HTTPError:
                # The connection dropped: resume from the last resourceVersion, not in a hot loop.
                self.sleep(min(RETRY_SECONDS, max(0.0, deadline - self.now())))


def _version_of(obj: Obj | None) -> str | None:
    return None if obj is None else obj["metadata"].get("resourceVersion")
