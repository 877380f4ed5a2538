"""A random secret made once per installation and kept in a file of mode 600 (`.run/feedback-secret`, beside
`.run/admin-token`), for a secret nobody has set: every process of the installation that reads the same file
gets the same secret, across restarts, and no two installations share one (a default written in the code is
public).

The first process to need it writes it to a private temporary file and links that into place, which fails when
another process was first; then both read the winner's. So the file is never seen half-written.
"""

import os
import secrets
from pathlib import Path


class LocalSecretError(OSError):
    """The secret file cannot be read or written; the message names the file."""


def installation_secret(path: Path, nbytes: int = 32) -> str:
    """The secret kept in `path`, made (`nbytes` random bytes, URL-safe base64) when there is none yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(nbytes) + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:  # another process of this installation made it first: use theirs
                pass
        finally:
            temporary.unlink(missing_ok=True)
        return _read(path)
    except LocalSecretError:
        raise
    except OSError as error:
        raise LocalSecretError(f"{path}: cannot keep the installation's secret there ({error.strerror or error})") from None


def _read(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a secret: readable by this user only
    try:
        secret = path.read_text(encoding="ascii").strip()
    except UnicodeDecodeError:
        secret = ""
    if len(secret) < 32:
        raise LocalSecretError(f"{path}: holds no secret of at least 32 characters; remove the file and a new one is made")
    return secret
