"""`make demo` (scripts/demo.py): the Ready example through the real function, nothing secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import present

from scripts import demo
from scripts.render.errors import RenderError

ROOT = Path(__file__).resolve().parent.parent


def test_demo_prints_the_ready_render_and_stops_the_function() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    assert [d["kind"] for d in docs] == ["XTestPlatformCluster", "Object", "Object"]
    status = docs[0]["status"]
    assert status["phase"] == "Ready"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert not {"kubeconfig", "kubeAdminPassword"} & set(status)
    for fragment in demo.FORBIDDEN:
        assert fragment not in proc.stdout
    pid = int(present(re.search(r"\(pid (\d+), stopped\)", proc.stdout)).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_demo_refuses_to_print_credentials() -> None:
    xr = {"kind": "X", "metadata": {"name": "x"}, "status": {"kubeconfig": "..."}}
    with pytest.raises(RenderError, match="XR status carries credentials"):
        demo.check([xr])
    leaky = {"kind": "X", "metadata": {"name": "x"}, "status": {"debug": demo.FORBIDDEN[0]}}
    with pytest.raises(RenderError, match="contains a credential"):
        demo.check([leaky])
