"""`make demo`: render the Ready example through the real function and print the YAML.

Starts function-ephemeral-cluster on a free loopback port, renders examples case `ready`
(`crossplane render ... -r` semantics, through xp-render's library), prints the documents, and
stops the function by PID. Before printing it checks what the render must never show: the
kubeconfig (the XR's connection details are not part of render output) or any credential
from the example's observed Secret.
"""

from __future__ import annotations

import sys
import time

from scripts import examples
from scripts.render.errors import RenderError
from scripts.render.launcher import FunctionProcess
from scripts.render.output import dump_yaml

CASE = "ready"
#: Fragments of the example's FAKE credentials that must not appear in the output.
FORBIDDEN = ("FAKE-example-token", "FAKE-example-kubeadmin", "ci-op-fake0001.example.invalid")


def check(docs: list[dict]) -> str:
    """The YAML to print, or a RenderError when the render shows anything secret."""
    text = dump_yaml(docs)
    status = docs[0].get("status") or {}
    if {"kubeconfig", "kubeAdminPassword"} & set(status):
        raise RenderError("the rendered XR status carries credentials")
    if any(fragment in text for fragment in FORBIDDEN):
        raise RenderError("the rendered output contains a credential from the example")
    return text


def main() -> int:
    """Render, print, stop; one error line and exit 1 on failure."""
    started = time.monotonic()
    case = examples.case(CASE)
    try:
        with FunctionProcess() as fn:
            docs = examples.render_case(case, fn.address)
            pid = fn.pid
        text = check(docs)
    except RenderError as err:
        print(f"demo: error: {err}", file=sys.stderr)
        return 1
    kinds = ", ".join(f"{d['kind']} {d['metadata']['name']}" for d in docs)
    print(f"# examples case {case.name!r}: {case.about}.")
    print(f"# {case.command()}")
    print(f"# rendered through function-ephemeral-cluster (pid {pid}, stopped): {kinds}")
    sys.stdout.write(text)
    print(
        f"# XR status is kubeconfig-free: render prints no connection details (checked). "
        f"{time.monotonic() - started:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
