"""The TLS files are checked at startup: each problem names the file and what is wrong."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import serving

from function import tls
from function.startup import StartupError


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server pair, a client pair and a stray key (made with openssl)."""
    return serving.make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def certs_dir(tmp_path: Path, certs: Path) -> Path:
    """A writable copy of the server's certs dir."""
    target = tmp_path / "server"
    shutil.copytree(certs / "server", target)
    return target


def test_a_matching_pair_and_ca_pass(certs_dir: Path) -> None:
    tls.check_tls_files(str(certs_dir))
    assert tls.load_credentials(str(certs_dir)) is not None


def test_a_key_of_another_certificate_is_named(certs_dir: Path, certs: Path) -> None:
    shutil.copy(certs / "stray.key", certs_dir / "tls.key")
    with pytest.raises(StartupError, match=r"tls\.key .* does not belong to tls\.crt"):
        tls.check_tls_files(str(certs_dir))


def test_load_credentials_checks_the_pair_first(certs_dir: Path, certs: Path) -> None:
    """grpc.ssl_server_credentials accepts the pair; only binding would fail, obscurely."""
    shutil.copy(certs / "client.key", certs_dir / "tls.key")
    with pytest.raises(StartupError, match=r"does not belong to tls\.crt"):
        tls.load_credentials(str(certs_dir))


def test_an_encrypted_key_is_named_without_prompting(certs_dir: Path) -> None:
    subprocess.run(
        ["openssl", "pkey", "-in", "tls.key", "-aes256", "-passout", "pass:x", "-out", "enc"],
        cwd=certs_dir,
        check=True,
        capture_output=True,
    )
    (certs_dir / "enc").replace(certs_dir / "tls.key")
    with pytest.raises(StartupError, match=r"tls\.key .* is encrypted"):
        tls.check_tls_files(str(certs_dir))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tls.crt", "key", r"tls\.crt .* is not a valid PEM certificate"),
        ("tls.key", "crt", r"tls\.key .* is not a valid PEM private key"),
        ("ca.crt", "garbage", r"ca\.crt .* holds no valid PEM CA certificate"),
        ("tls.key", "nonpem", r"tls\.key in TLS certs dir .* is not PEM"),
    ],
)
def test_wrong_content_names_the_file(certs_dir: Path, name: str, content: str, message: str):
    body = {
        "key": (certs_dir / "tls.key").read_text(),
        "crt": (certs_dir / "tls.crt").read_text(),
        "garbage": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "nonpem": "not a key\n",
    }[content]
    (certs_dir / name).write_text(body)
    with pytest.raises(StartupError, match=message) as caught:
        tls.check_tls_files(str(certs_dir))
    assert "\n" not in str(caught.value)
    assert "BEGIN" not in str(caught.value)


def test_the_insecure_rule_in_one_place() -> None:
    """--insecure serves plain text even with a certs dir (also from TLS_SERVER_CERTS_DIR);
    without it a certs dir is required. main and server both ask tls.serving_certs_dir."""
    assert tls.serving_certs_dir("/certs", insecure=True) is None
    assert tls.serving_certs_dir(None, insecure=True) is None
    assert tls.serving_certs_dir("/certs", insecure=False) == "/certs"
    for missing in (None, ""):
        with pytest.raises(StartupError, match=r"pass --tls-certs-dir .* or --insecure"):
            tls.serving_certs_dir(missing, insecure=False)
