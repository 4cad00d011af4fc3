"""`--address`: what is accepted, and one clear line for what is not."""

from __future__ import annotations

import pytest

from function import address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0.0:9443", ("0.0.0.0", 9443)),  # noqa: S104 - parsing only
        ("127.0.0.1:1", ("127.0.0.1", 1)),
        ("localhost:65535", ("localhost", 65535)),
        (":9443", ("", 9443)),
        ("[::]:9443", ("::", 9443)),
        ("[::1]:9443", ("::1", 9443)),
        (
            "fn.crossplane-system.svc.cluster.local:9443",
            ("fn.crossplane-system.svc.cluster.local", 9443),
        ),
    ],
)
def test_tcp_addresses(text: str, expected: tuple[str, int]) -> None:
    assert address.parse(text) == expected


@pytest.mark.parametrize("text", ["unix:/tmp/fn.sock", "unix:///tmp/fn.sock", "unix-abstract:fn"])
def test_unix_sockets_are_left_to_grpc(text: str) -> None:
    assert address.parse(text) is None


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("nonsense", "has no port"),
        ("127.0.0.1", "has no port"),
        ("127.0.0.1:", "port '' is not a number"),
        ("127.0.0.1:http", "port 'http' is not a number"),
        ("127.0.0.1:-1", "port '-1' is not a number"),
        ("127.0.0.1:٣", "port '٣' is not a number"),
        ("127.0.0.1:0", "port 0 is out of range 1-65535"),
        ("127.0.0.1:65536", "port 65536 is out of range 1-65535"),
        ("127.0.0.1:99999999999", "out of range"),
        ("::1:9443", "an IPv6 host needs brackets"),
        ("[zz::1]:9443", "is not an IPv6 address"),
        ("999.1.1.1:9443", "is not an IPv4 address"),
        ("bad host!:9443", "is not an IP address or a host name"),
        ("-bad.example:9443", "is not an IP address or a host name"),
        (f"{'a' * 64}.example:9443", "is not an IP address or a host name"),
        ("unix:", "no socket path"),
    ],
)
def test_malformed_addresses_are_one_line_naming_the_problem(text: str, needle: str) -> None:
    with pytest.raises(address.AddressError) as caught:
        address.parse(text)
    message = str(caught.value)
    assert needle in message
    assert "\n" not in message
    assert "int()" not in message
