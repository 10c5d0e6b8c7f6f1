"""Output files: a user's file is never replaced without asking, a file is written whole or not at all, and a
refused write (a full disk, a quota) names the file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np

from .atomic import replacing
from .errors import InputError, OutputError


def check_writable(path: Path, overwrite: bool, make_folders: bool = True,
                   how: str = "pass --overwrite to replace it") -> None:
    """Refuse to replace a user's file unless asked to (``how`` says how to ask); make the folders it goes in (or,
    without ``make_folders``, only check that they can be made: a command checks its outputs before its long work).
    A device or a named pipe (``/dev/null``, ``/dev/stdout``, a FIFO) is written to, not replaced: no refusal."""
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a file name")
    if path.is_file() and not overwrite:
        raise InputError(f"{path} exists; {how}")
    if make_folders:
        make_folder(path.parent)
    else:
        _check_folder(path.parent)


def check_distinct(outputs: dict[str, str | None]) -> None:
    """Refuse two outputs named the same file: each would write over the other (a device such as /dev/null may
    take them all)."""
    seen: dict[Path, str] = {}
    for flag, value in outputs.items():
        if not value or value == "-":
            continue
        path = Path(value).resolve()
        if path.exists() and not path.is_file() and not path.is_dir():
            continue
        if path in seen:
            raise InputError(f"{seen[path]} and {flag} both name {value}: give each output a file of its own")
        seen[path] = flag


def check_not_input(path: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output that is one of the files being read: with or without --overwrite, writing it would destroy
    the input (a video is read while it is written)."""
    if path.is_file() and any(p.is_file() and os.path.samefile(path, p) for p in inputs):
        raise InputError(f"{path} is an input of this run: an output must not replace or change what is read; "
                         "give another name")


def _check_folder(folder: Path) -> None:
    for existing in (folder, *folder.parents):
        if existing.exists():
            if not existing.is_dir():
                raise InputError(f"cannot write into {folder}: {existing} is a file, not a folder")
            return


def make_folder(folder: Path) -> None:
    """``mkdir -p`` that names the file standing where a folder must go."""
    _check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)


def write_image(path: Path, image: np.ndarray) -> None:
    """Write an image file (its format by the suffix) at any path: ``cv2.imwrite`` cannot reach a folder named
    outside the system's code page on Windows (``C:\\Users\\José``), bytes written by Python can."""
    try:
        ok, data = cv2.imencode(path.suffix or ".png", image)
    except cv2.error:
        ok = False
    if not ok:
        raise InputError(f"cannot write image {path}: OpenCV has no encoder for {path.suffix or 'no suffix'}")
    with writing(path):  # ndarray.tofile would not see a full disk
        path.write_bytes(data.data)


@contextlib.contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Writing to ``path``: the file system's refusal (a full disk, a quota) is an :class:`OutputError` naming the
    file; a closed pipe on standard output stays a BrokenPipeError (the reader, e.g. ``head``, has all it wants)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e


@contextlib.contextmanager
def whole_file(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file written whole or not at all: into a new hidden part file beside it (beside a link's file; see
    :func:`handpose.atomic.replacing`: no file of the user's is written over), put in its place when complete, and
    removed when the writing fails (an :class:`OutputError` naming the file: a full disk must not leave the user half
    a dataset or model). A device or named pipe (/dev/null, a FIFO) is written to as it is, never replaced. Text is
    UTF-8, with no newline translation (as :mod:`csv` wants)."""
    direct = path.exists() and not path.is_file()
    with writing(path), (contextlib.nullcontext(path) if direct else replacing(path.resolve())) as target, \
            (open(target, "wb") if binary else open(target, "w", encoding="utf-8", newline="")) as f:
        yield f


def write_text(path: Path, text: str) -> None:
    """Write a report (JSON, Markdown) whole, in its folder (made if missing)."""
    make_folder(path.parent)
    with whole_file(path) as f:
        f.write(text)
