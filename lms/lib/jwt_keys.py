"""The RS256 key that signs the API's JWTs: from the environment, a file, or (in
development only) a key generated once and kept beside the code, never committed.
"""

import contextlib
import os
import tempfile
from pathlib import Path

# allauth reaches ``cryptography.hazmat.primitives.serialization`` as an attribute of a
# lazily imported package, which only works once the submodule has been imported.
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured


def _generate_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _check_pem(pem: str, where: str) -> str:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"{where} is not an unencrypted PEM private key.") from error
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ImproperlyConfigured(f"{where} must be an RSA key of at least 2048 bits.")
    return pem


def development_key(path: Path) -> str:
    """The key at ``path``, created on first use (atomically: workers may race)."""
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jwt-key-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(_generate_pem())
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):  # another process won: use theirs
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text()


def dev_key_file() -> Path:
    """The development key's file (made if missing), for tools serving with DEBUG=0."""
    path = Path(__file__).resolve().parents[2] / ".jwt-dev-key.pem"
    development_key(path)
    return path


def load_private_key(*, pem: str, file: str, debug: bool, dev_path: Path) -> str:
    """``JWT_PRIVATE_KEY`` (the PEM text), else ``JWT_PRIVATE_KEY_FILE``, else in DEBUG
    the development key; with ``DEBUG=0`` and neither set, refuse to start."""
    if pem:
        return _check_pem(pem.replace("\\n", "\n"), "JWT_PRIVATE_KEY")
    if file:
        try:
            text = Path(file).read_text()
        except OSError as error:
            raise ImproperlyConfigured(f"JWT_PRIVATE_KEY_FILE: {error}") from error
        return _check_pem(text, "JWT_PRIVATE_KEY_FILE")
    if not debug:
        raise ImproperlyConfigured(
            "DEBUG=0 needs JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE (an RSA private key in "
            "PEM) to sign API tokens; see README, API."
        )
    return development_key(dev_path)
