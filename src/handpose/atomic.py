"""Files of handpose's own (models, conversions) put in place whole: written beside their target, then renamed."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A new, empty hidden file beside ``target`` to write to; renamed over ``target`` when the block ends without
    error (readers see the old file or the whole new one), removed when it fails.

    The file gets the permissions any new file gets under the umask (0644 as a rule), not :func:`tempfile.mkstemp`'s
    owner-only 0600: a model cache filled by root while building a container image must be readable by the user the
    container runs as."""
    part = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))
    try:
        yield part
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def unwritable(folder: Path) -> str | None:
    """Why no new file can be made in ``folder`` (made if missing), or None when one can. Tried, not told from the
    permission bits: root ignores them, and a read-only mount or a full disk does not show in them."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".handpose-write-test.{os.getpid()}.{secrets.token_hex(4)}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as e:
        return e.strerror or str(e)
    return None
