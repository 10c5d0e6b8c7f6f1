"""Silencing native libraries that print to the process's stderr behind Python's back."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence C/C++ output to stderr (LiteRT's "Created TensorFlow Lite XNNPACK delegate" banner, FFmpeg's notes
    on a container's codec tags) for the duration of the block."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)  # native code writes to file descriptor 2 whatever Python's sys.stderr is
    except OSError:  # no stderr at all (a windowed program)
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
