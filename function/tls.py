"""The mutual-TLS files in `--tls-certs-dir`, checked at startup so a bad setup says what is wrong.

gRPC only reports "address in use or invalid" when it cannot use the certificate or key (the
failure surfaces from `add_secure_port`), so every file is checked here first with the
standard library's OpenSSL binding: tls.crt must be a certificate, tls.key an unencrypted
private key that belongs to it (OpenSSL's KEY_VALUES_MISMATCH check), ca.crt at least one CA
certificate. Messages name the file and never include its contents.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import grpc

from function.startup import StartupError

TLS_FILES = ("tls.crt", "tls.key", "ca.crt")


class _EncryptedKeyError(Exception):
    """Raised by the password callback: the key is encrypted and gRPC cannot use it."""


def _no_password() -> bytes:
    raise _EncryptedKeyError


def serving_certs_dir(tls_certs_dir: str | None, *, insecure: bool) -> str | None:
    """The directory to serve mutual TLS from, or None for plain text: the one rule.

    `--insecure` serves plain text only, even when a certs dir is also given (by
    `--tls-certs-dir` or TLS_SERVER_CERTS_DIR; the SDK would open a TLS and a plain listener
    on the same port); without it a certs dir is required.
    """
    if insecure:
        return None
    if not tls_certs_dir:
        raise StartupError(
            "no TLS certs dir: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure"
        )
    return tls_certs_dir


def read_tls_files(certs_dir: str) -> dict[str, bytes]:
    """tls.crt, tls.key and ca.crt from `certs_dir`, each checked to be PEM."""
    directory = Path(certs_dir)
    if not directory.is_dir():
        raise StartupError(f"TLS certs dir {certs_dir!r} is not a readable directory")
    pems: dict[str, bytes] = {}
    for name in TLS_FILES:
        try:
            data = (directory / name).read_bytes()
        except OSError as err:
            raise StartupError(
                f"cannot read {name} in TLS certs dir {certs_dir!r}: {err.strerror}"
            ) from None
        if b"-----BEGIN " not in data:
            raise StartupError(f"{name} in TLS certs dir {certs_dir!r} is not PEM")
        pems[name] = data
    return pems


def check_tls_files(certs_dir: str) -> None:
    """Fail with one line when the files cannot serve mutual TLS, naming the file and why."""
    read_tls_files(certs_dir)
    directory = Path(certs_dir)
    where = f"in TLS certs dir {certs_dir!r}"
    crt, key, ca = (str(directory / name) for name in TLS_FILES)
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        probe.load_verify_locations(cafile=crt)
    except ssl.SSLError:
        raise StartupError(f"tls.crt {where} is not a valid PEM certificate") from None
    try:
        probe.load_cert_chain(crt, key, password=_no_password)
    except _EncryptedKeyError:
        raise StartupError(
            f"tls.key {where} is encrypted; gRPC needs an unencrypted private key"
        ) from None
    except ssl.SSLError as err:
        if err.reason == "KEY_VALUES_MISMATCH":
            raise StartupError(
                f"tls.key {where} does not belong to tls.crt "
                "(the key does not match the certificate's public key)"
            ) from None
        raise StartupError(f"tls.key {where} is not a valid PEM private key") from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=ca)
    except ssl.SSLError:
        raise StartupError(f"ca.crt {where} holds no valid PEM CA certificate") from None


def load_credentials(certs_dir: str) -> grpc.ServerCredentials:
    """Mutual-TLS server credentials (clients must present a cert signed by ca.crt)."""
    check_tls_files(certs_dir)
    pems = read_tls_files(certs_dir)
    return grpc.ssl_server_credentials(
        [(pems["tls.key"], pems["tls.crt"])],
        root_certificates=pems["ca.crt"],
        require_client_auth=True,
    )
