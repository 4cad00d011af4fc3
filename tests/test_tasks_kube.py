"""The real adapter (scripts/tasks/kube.py) through the official client, against recorded
API-server responses (tests/data/kube, see its README) served on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import present
from fakeapi import FakeAPI, Reply, recorded, recorded_lines, serve
from kubernetes import client

from scripts.tasks.claimstate import Claim, has_kubeconfig
from scripts.tasks.kube import RealKube
from scripts.tasks.seam import AlreadyExistsError, KubeError, NotFoundError, Ref

NS = "team-a-tenant"
NAME = "e2e-ocp-4k9tz-provision-cluster"
CLAIMS = f"/apis/ci.openshift.org/v1alpha1/namespaces/{NS}/testplatformclusters"
SECRETS = f"/api/v1/namespaces/{NS}/secrets"
CLAIM = Ref("claim", NS, NAME)
SECRET = Ref("secret", NS, f"{NAME}-secret")


def kube_for(
    api: FakeAPI, clock: Callable[[], float] = lambda: 0.0, slept: list[float] | None = None
) -> RealKube:
    config = client.Configuration(host=api.url)
    pauses = [] if slept is None else slept
    return RealKube(client.ApiClient(config), clock=clock, sleep=pauses.append)


def stream(name: str) -> Reply:
    return Reply(stream=recorded_lines(name))


def test_create_sends_the_claim_as_json() -> None:
    created = recorded("claim-created.json")
    with serve([("POST", CLAIMS, Reply(201, created))]) as api:
        body: dict[str, Any] = {
            "apiVersion": "ci.openshift.org/v1alpha1",
            "kind": "TestPlatformCluster",
        }
        body["metadata"] = {"name": NAME, "namespace": NS}
        assert kube_for(api).create(body) == created
    (request,) = api.requests
    assert request.body == body
    assert request.headers["content-type"] == "application/json"
    assert request.query == {"fieldValidation": "Strict"}


def test_create_conflict_and_refusals_are_one_line() -> None:
    script = [
        ("POST", CLAIMS, Reply(409, recorded("status-409-already-exists.json"))),
        ("POST", CLAIMS, Reply(403, recorded("status-403-forbidden.json"))),
    ]
    with serve(script) as api:
        kube = kube_for(api)
        obj = {"metadata": {"name": NAME, "namespace": NS}}
        with pytest.raises(AlreadyExistsError, match=r"409 Conflict: .* already exists$"):
            kube.create(obj)
        with pytest.raises(KubeError) as err:
            kube.create(obj)
    assert str(err.value).startswith(f"create TestPlatformCluster {NS}/{NAME}: 403 Forbidden: ")
    assert "cannot create resource" in str(err.value)
    assert "\n" not in str(err.value)


def test_get_is_none_on_404_and_reads_secrets_raw() -> None:
    body = json.loads(recorded_lines("watch-secret-added.jsonl")[0])["object"]
    script = [
        ("GET", f"{CLAIMS}/{NAME}", Reply(404, recorded("status-404-not-found.json"))),
        ("GET", f"{SECRETS}/{NAME}-secret", Reply(200, body)),
    ]
    with serve(script) as api:
        kube = kube_for(api)
        assert kube.get(CLAIM) is None
        assert kube.get(SECRET) == body  # data stays base64, as sent
    assert has_kubeconfig(body)


def test_merge_patch_is_a_merge_patch() -> None:
    patched = recorded("claim-patched.json")
    script = [
        ("PATCH", f"{CLAIMS}/{NAME}", Reply(200, patched)),
        ("PATCH", f"{CLAIMS}/{NAME}", Reply(404, recorded("status-404-not-found.json"))),
    ]
    with serve(script) as api:
        kube = kube_for(api)
        assert kube.merge_patch(CLAIM, {"spec": {"tearDownCluster": True}}) == patched
        with pytest.raises(NotFoundError):
            kube.merge_patch(CLAIM, {"spec": {"tearDownCluster": True}})
    assert api.requests[0].headers["content-type"] == "application/merge-patch+json"
    assert api.requests[0].body == {"spec": {"tearDownCluster": True}}


def test_watch_lists_then_watches_from_the_list_version() -> None:
    script = [
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, stream("watch-claim-to-ready.jsonl")),
    ]
    with serve(script) as api:
        seen = []
        for obj in kube_for(api).watch(CLAIM, deadline=3600):
            claim = Claim.of(present(obj))
            seen.append((present(obj)["metadata"]["resourceVersion"], claim.phase, claim.ready))
            if claim.ready:
                break
    # The bookmark (4110) moves the resourceVersion but is not an object change.
    assert seen == [
        ("4105", "Provisioning", False),
        ("4106", "Provisioning", False),
        ("4120", "Ready", False),
        ("4121", "Ready", True),
    ]
    listing, watching = api.requests
    assert listing.query == {"fieldSelector": f"metadata.name={NAME}"}
    assert watching.query["fieldSelector"] == f"metadata.name={NAME}"
    assert watching.query["resourceVersion"] == "4105"
    assert watching.query["allowWatchBookmarks"] == "true"
    assert 1 <= int(watching.query["timeoutSeconds"]) <= 300


def test_watch_resumes_from_the_bookmark_after_the_stream_ends() -> None:
    script = [
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, stream("watch-claim-ends-after-bookmark.jsonl")),
        ("WATCH", CLAIMS, stream("watch-claim-to-ready.jsonl")),
    ]
    with serve(script) as api:
        for obj in kube_for(api).watch(CLAIM, deadline=3600):
            if Claim.of(present(obj)).ready:
                break
    assert [r.query.get("resourceVersion") for r in api.requests] == [None, "4105", "4110"]


def test_watch_resumes_after_the_connection_drops() -> None:
    lines = recorded_lines("watch-claim-ends-after-bookmark.jsonl")
    script = [
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, Reply(stream=lines, drop=True)),
        ("WATCH", CLAIMS, stream("watch-claim-to-ready.jsonl")),
    ]
    slept: list[float] = []
    with serve(script) as api:
        for obj in kube_for(api, slept=slept).watch(CLAIM, deadline=3600):
            if Claim.of(present(obj)).ready:
                break
    assert [r.query.get("resourceVersion") for r in api.requests] == [None, "4105", "4110"]
    assert slept == [5.0]  # not a hot loop against a failing server


def test_watch_relists_on_410_expired() -> None:
    script = [
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, stream("watch-expired.jsonl")),
        ("GET", CLAIMS, Reply(200, recorded("list-claim-ready.json"))),
    ]
    with serve(script) as api:
        states = []
        for obj in kube_for(api).watch(CLAIM, deadline=3600):
            states.append(Claim.of(present(obj)).phase)
            if Claim.of(present(obj)).ready:
                break
    assert states == ["Provisioning", "Ready"]
    assert [r.verb for r in api.requests] == ["GET", "WATCH", "GET"]


def test_watch_reports_deletion_as_none() -> None:
    script = [
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, stream("watch-claim-deleted.jsonl")),
    ]
    with serve(script) as api:
        items = []
        for obj in kube_for(api).watch(CLAIM, deadline=3600):
            items.append(obj)
            if obj is None:
                break
    assert [Claim.of(present(i)).deleting for i in items[:-1]] == [False, True]
    assert items[-1] is None


def test_watch_sees_a_secret_appear() -> None:
    script = [
        ("GET", SECRETS, Reply(200, recorded("list-secret-none.json"))),
        ("WATCH", SECRETS, stream("watch-secret-added.jsonl")),
    ]
    with serve(script) as api:
        found = next(s for s in kube_for(api).watch(SECRET, deadline=3600) if has_kubeconfig(s))
    assert present(found)["metadata"]["name"] == SECRET.name
    assert api.requests[1].query["resourceVersion"] == "4122"


def test_watch_ends_at_the_deadline() -> None:
    """The stream ends (server timeout) and the clock has passed the deadline: no new watch."""
    script = [
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, stream("watch-claim-ends-after-bookmark.jsonl")),
    ]
    with serve(script) as api:
        # Time passes while the first watch runs: it is past the deadline once it ends.
        clock = lambda: 0.0 if len(api.requests) < 2 else 120.0  # noqa: E731
        items = list(kube_for(api, clock).watch(CLAIM, deadline=100))
    assert [present(i)["metadata"]["resourceVersion"] for i in items] == ["4105", "4106"]
    assert int(api.requests[1].query["timeoutSeconds"]) == 100
    assert api.script == []


def test_watch_error_other_than_410_is_a_kube_error() -> None:
    forbidden = recorded("status-403-forbidden.json")
    line = json.dumps({"type": "ERROR", "object": forbidden})
    script = [
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, Reply(stream=[line])),
    ]
    with serve(script) as api, pytest.raises(KubeError, match=r"^watch TestPlatformCluster "):
        list(kube_for(api).watch(CLAIM, deadline=3600))
