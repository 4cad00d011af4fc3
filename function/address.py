"""`--address`, parsed before anything starts so a malformed value is a usage error.

gRPC takes `HOST:PORT` (`0.0.0.0:9443`, `[::]:9443`, `localhost:9443`, `:9443` for every
interface) or a socket path (`unix:/path`, `unix-abstract:name`). A well-formed host that does
not resolve is not a usage error: it fails later, when the port is checked, as "cannot listen".
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

UNIX_PREFIXES = ("unix:", "unix-abstract:")
EXAMPLE = "expected HOST:PORT such as 0.0.0.0:9443, [::]:9443 or unix:/path"
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
MAX_HOST = 253


class AddressError(ValueError):
    """A malformed --address; the message is one line and names what is wrong."""


class Address(NamedTuple):
    """A TCP listen address; `host` is empty for every interface, IPv6 without brackets."""

    host: str
    port: int


def _host(host: str, text: str) -> str:
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1]))
        except ValueError:
            raise AddressError(f"{text!r}: {host} is not an IPv6 address") from None
    if ":" in host:
        raise AddressError(f"{text!r}: an IPv6 host needs brackets, e.g. [::1]:9443")
    if not host:
        return host
    labels = host.rstrip(".").split(".")
    if all(label.isdigit() for label in labels):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise AddressError(f"{text!r}: {host} is not an IPv4 address") from None
    if len(host) > MAX_HOST or not all(_LABEL.fullmatch(label) for label in labels):
        raise AddressError(f"{text!r}: host {host!r} is not an IP address or a host name")
    return host


def parse(text: str) -> Address | None:
    """The TCP address in `text`, None for a unix socket; AddressError when malformed."""
    if text.startswith(UNIX_PREFIXES):
        if text.partition(":")[2].strip("/") == "":
            raise AddressError(f"{text!r}: no socket path; {EXAMPLE}")
        return None
    host, colon, port = text.rpartition(":")
    if not colon:
        raise AddressError(f"{text!r} has no port; {EXAMPLE}")
    if not port.isdigit() or not port.isascii():
        raise AddressError(f"{text!r}: port {port!r} is not a number; {EXAMPLE}")
    number = int(port)
    if not 1 <= number <= 65535:  # noqa: PLR2004 - the TCP port range
        raise AddressError(f"{text!r}: port {number} is out of range 1-65535")
    return Address(_host(host, text), number)
