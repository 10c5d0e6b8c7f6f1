"""Exceptions with messages meant for people: what failed and how to fix it."""

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"did you mean a or b? "`` for the choices closest to a misspelt name, else ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=2)
    return f"did you mean {' or '.join(close)}? " if close else ""


class HandposeError(Exception):
    """Base class of every error handpose raises on purpose."""


class ModelError(HandposeError):
    """A model is unknown, missing, corrupt or cannot be loaded."""


class FetchError(ModelError):
    """Models could not be obtained from the package index."""


class ConversionError(ModelError):
    """A model could not be converted, or the conversion does not match the original."""


class EngineError(HandposeError):
    """An inference engine is unavailable or failed."""


class InputError(HandposeError):
    """An input (image, video, camera, stream, file) is missing, unreadable or unsupported."""


class OutputError(InputError):
    """An output could not be written (a full disk, a quota): the run cannot go on usefully."""
