"""Port ownership: one server per port, even when its workers share the port with SO_REUSEPORT.

`--workers N` must bind with SO_REUSEPORT so the N workers of one server share the port, but
Linux lets *any* process of the same user join such a port if it sets SO_REUSEPORT too
(socket(7)): a second `--workers` server would silently take half the connections. So before
anything binds, a server (single or multi-worker) does two things, in this order:

1. Claims the port atomically: it binds the abstract unix socket
   `@function-ephemeral-cluster/port/<port>`. Abstract names are unique per network namespace
   and released by the kernel when the last holder exits (also on SIGKILL), so of two servers
   started at the same moment exactly one gets it; there is no check-then-bind race between
   copies of this server. The parent holds it for its whole life and its forked workers
   inherit it.
2. Test-binds the TCP address *without* SO_REUSEPORT (`server.check_port`): that fails while
   any other process listens there, whether it set SO_REUSEPORT or not, so a foreign server on
   the port is refused too.

What remains: a foreign program (not this server) of the same user that sets SO_REUSEPORT
itself and binds between step 2 and our workers' bind, or later, can still join the port; the
kernel allows it and nothing in user space can stop it. `--workers 1` never sets SO_REUSEPORT,
so there the kernel itself keeps the port exclusive. In a pod nothing else runs as our user.
"""

from __future__ import annotations

import errno
import socket
import sys

from function.startup import StartupError

LOCK_PREFIX = "function-ephemeral-cluster/port/"


def claim(address: str, port: int) -> socket.socket | None:
    """Hold the lock for `port` (keep the socket open while serving); None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        lock.bind(f"\0{LOCK_PREFIX}{port}")
    except OSError as err:
        lock.close()
        if err.errno == errno.EADDRINUSE:
            raise StartupError(
                f"cannot listen on {address}: port {port} is already served by another "
                "function-ephemeral-cluster"
            ) from None
        raise StartupError(f"cannot listen on {address}: {err.strerror}") from None
    return lock
