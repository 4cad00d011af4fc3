"""EphemeralCluster names (issue 10, point 1): two tenants can never address the same cluster.

The proof has two parts. Structure: a v2 name always ends in a fixed-length digest of
`namespace/name` (which is unambiguous: '/' is in neither) carrying at least 64 bits of
sha256, so equal names mean a truncated-sha256 collision, whatever the readable prefix says.
Attack: the shape that broke the old 32-bit names (a tenant owning `team-a` searching XR names
whose readable prefix equals that of a victim in `team-a-dev`) finds nothing, and both checks
catch deliberately weakened variants.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import fnreq as f
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from function import names

MIN_BITS = 64
LABEL = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
SEGMENT = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?\Z")
OBJECT_NAME = st.from_regex(r"\A[a-z0-9]([-a-z0-9.]{0,120}[a-z0-9])?\Z")
SETTINGS = settings(max_examples=300, deadline=None)

# The attack of issue 10: the victim's XR in team-a-dev has a Tekton-length name, so its
# readable prefix is cut; the attacker owns team-a and may use any name past the cut.
VICTIM = ("team-a-dev", "e2e-pr-abc12-provision-ephemeral-cluster-for-the-nightly-job")
ATTACKER_NAMESPACE = "team-a"
SEARCH_BUDGET = 50_000

Namer = Callable[[str, str], str]


def digest_bits(name: str, namespace: str, xr_name: str) -> int:
    """Bits of sha256(`namespace/xr_name`) that the name's last segment carries, re-derived
    here (base32 or hex), or 0 when the segment is not such a digest."""
    suffix = name.rsplit("-", 1)[-1]
    raw = hashlib.sha256(f"{namespace}/{xr_name}".encode()).digest()
    if suffix == base64.b32encode(raw).decode().lower()[: len(suffix)]:
        return 5 * len(suffix)
    if suffix == raw.hex()[: len(suffix)]:
        return 4 * len(suffix)
    return 0


def readable_prefix(name: str) -> str:
    return name.rsplit("-", 1)[0]


def assert_structure(namer: Namer, namespace: str, xr_name: str) -> None:
    """The name is a valid label ending in a digest of namespace/name with ≥ 64 bits."""
    name = namer(xr_name, namespace)
    assert len(name) <= names.LABEL_MAX
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name
    bits = digest_bits(name, namespace, xr_name)
    assert bits >= MIN_BITS, f"{name!r} carries {bits} bits of sha256(namespace/name)"


def search_collision(namer: Namer) -> str | None:
    """The attacker's search: XR names in team-a whose EC name is the victim's."""
    target = namer(VICTIM[1], VICTIM[0])
    head = f"dev-{VICTIM[1]}-x"  # team-a + dev-… reads like team-a-dev + …
    for i in range(SEARCH_BUDGET):
        candidate = f"{head}{i:x}"
        name = namer(candidate, ATTACKER_NAMESPACE)
        assert readable_prefix(name) == readable_prefix(target)  # the attack's shape
        if name == target:
            return candidate
    return None


def assert_collision_proof(namer: Namer) -> None:
    assert_structure(namer, *VICTIM)
    assert_structure(namer, ATTACKER_NAMESPACE, "dev-" + VICTIM[1])
    found = search_collision(namer)
    assert found is None, f"{ATTACKER_NAMESPACE}/{found} gets the victim's EphemeralCluster"


# The real scheme --------------------------------------------------------------------------------


def test_the_attack_of_issue_10_finds_no_collision() -> None:
    assert_collision_proof(names.ec_name)


def test_two_xrs_whose_readable_prefixes_coincide_get_distinct_ecs() -> None:
    """End to end: team-a's XR reads exactly like team-a-dev's, yet addresses another EC."""
    victim = f.xr_v2(namespace=VICTIM[0], name=VICTIM[1])
    attacker = f.xr_v2(namespace=ATTACKER_NAMESPACE, name="dev-" + VICTIM[1])
    got = []
    for xr in (victim, attacker):
        rsp = f.run(f.request(xr))
        got.append(f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]["metadata"]["name"])
    assert readable_prefix(got[0]) == readable_prefix(got[1])
    assert got[0] != got[1]


@SETTINGS
@given(namespace=LABEL, xr_name=OBJECT_NAME)
def test_every_v2_name_ends_in_a_64_bit_or_longer_digest(namespace: str, xr_name: str) -> None:
    assert_structure(names.ec_name, namespace, xr_name)
    assert names.ec_name(xr_name, namespace) == names.ec_name(xr_name, namespace)


@SETTINGS
@given(owner=LABEL, segment=SEGMENT, rest=OBJECT_NAME)
def test_a_namespace_prefix_never_reaches_another_tenants_name(
    owner: str, segment: str, rest: str
) -> None:
    """`owner` + `segment-rest` reads exactly like `owner-segment` + `rest`: different ECs."""
    victim_namespace = f"{owner}-{segment}"[:63].rstrip("-")
    attacker = names.ec_name(f"{segment}-{rest}", owner)
    victim = names.ec_name(rest, victim_namespace)
    if victim_namespace == f"{owner}-{segment}":
        assert readable_prefix(attacker) == readable_prefix(victim)
    assert attacker != victim


@SETTINGS
@given(a=st.tuples(LABEL, OBJECT_NAME), b=st.tuples(LABEL, OBJECT_NAME))
def test_distinct_xrs_get_distinct_names(a: tuple[str, str], b: tuple[str, str]) -> None:
    if a != b:
        assert names.ec_name(a[1], a[0]) != names.ec_name(b[1], b[0])


def test_v1_names_are_the_xr_name_and_never_look_like_v2_names() -> None:
    """A claim XR is `<claim>-<5 random characters>`: its last segment is never a digest."""
    assert names.ec_name("tp-aws-cluster-x7k2p", None) == "tp-aws-cluster-x7k2p"
    v2 = names.ec_name("tp-aws-cluster", "team-a")
    assert len(v2.rsplit("-", 1)[1]) == names.DIGEST_CHARS != 5


# Deliberately weakened variants: the same checks catch them ------------------------------------


def old_32_bit_names(xr_name: str, namespace: str) -> str:
    """The scheme before issue 10: 8 hex characters (32 bits) after a 54-character prefix."""
    digest = hashlib.sha256(f"{namespace}/{xr_name}".encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9-]", "-", f"{namespace}-{xr_name}".lower())
    return f"{readable[:54].strip('-')}-{digest}"


def test_the_old_32_bit_names_are_caught() -> None:
    with pytest.raises(AssertionError, match="carries 32 bits"):
        assert_collision_proof(old_32_bit_names)


def test_a_weakened_digest_is_found_by_the_attack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real naming code with its digest cut to 12 bits (3 hex characters): the attacker's
    search finds a name in team-a that addresses the victim's cluster."""
    monkeypatch.setattr(names, "DIGEST_CHARS", 3)
    monkeypatch.setattr(names, "digest", lambda text: hashlib.sha256(text.encode()).hexdigest()[:3])
    found = search_collision(names.ec_name)
    assert found is not None
    assert names.ec_name(found, ATTACKER_NAMESPACE) == names.ec_name(VICTIM[1], VICTIM[0])
    with pytest.raises(AssertionError):
        assert_collision_proof(names.ec_name)
