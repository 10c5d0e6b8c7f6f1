"""Argument types for numbers with a valid range (counts, fractions, sizes, times into a video): a bad value is an
argparse error naming the option and the range (exit 2), before any model is loaded or file written."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..errors import HandposeError, InputError
from ..sources import parse_time, part_options


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def at_least(low: int) -> Callable[[str], int]:
    """A whole number >= ``low``."""

    def parse(text: str) -> int:
        value = _int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def folds(text: str) -> int:
    """Cross-validation folds: 0 (none) or at least 2."""
    value = _int(text)
    if value < 0 or value == 1:
        raise argparse.ArgumentTypeError(f"must be 0 (no cross-validation) or at least 2, got {value}")
    return value


def fraction(text: str) -> float:
    """A fraction in [0, 1): 0 turns the option off."""
    value = _float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def probability(text: str) -> float:
    """A probability in [0, 1]."""
    value = _float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability from 0 to 1, got {text}")
    return value


def zoom(text: str) -> float:
    """The tiles' zoom: 1 (whole frame only) to 16."""
    value = _float(text)
    if not 1.0 <= value <= 16.0:
        raise argparse.ArgumentTypeError(f"must be from 1 (whole frame only) to 16, got {text}")
    return value


def seconds(text: str) -> float:
    """A duration in seconds, 0 or more."""
    value = _float(text)
    if not value >= 0.0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


def frame_size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT in pixels, e.g. 1280x720."""
    width, x, height = text.lower().partition("x")
    if not x or not width.strip().isdigit() or not height.strip().isdigit() or min(int(width), int(height)) < 1:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels such as 1280x720, got {text!r}")
    return int(width), int(height)


def positive(text: str) -> float:
    """A number above 0."""
    value = _float(text)
    if not value > 0.0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def clock(text: str) -> float:
    """A time into a video in seconds: 90, 1:30 or 0:01:30.5 (:func:`~handpose.sources.parse_time`)."""
    try:
        return parse_time(text)
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_part_options(p: argparse.ArgumentParser, what: str) -> None:
    """``--start`` and ``--end``: a part of each video (``what`` it is for), read by :func:`video_part`."""
    p.add_argument("--start", type=clock, default=None, metavar="T",
                   help=f"videos: {what} from this time on, in seconds or [H:]M:SS (seeks; frames keep their own "
                        "numbers and times)")
    p.add_argument("--end", type=clock, default=None, metavar="T", help="videos: stop at this time")


def video_part(args: argparse.Namespace) -> dict[str, float]:
    """The ``start`` / ``end`` source options (:func:`~handpose.open_source`) of ``--start`` / ``--end``."""
    if args.start is not None and args.end is not None and args.end <= args.start:
        raise InputError(f"--end {args.end:g} s is not after --start {args.start:g} s")
    return part_options(args.start, args.end)


def _setting(text: str) -> dict[str, float]:
    """``NAME=VALUE[,NAME=VALUE...]``: gesture parameters by name (names and ranges are checked together, by
    :func:`tuning`)."""
    values = {}
    for item in text.split(","):
        name, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. swipe_min_distance=2, got {item!r}")
        values[name] = _float(value)
    return values


def add_tune_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--tune NAME=VALUE``: the gesture recognizer's parameters (read by :func:`tuning`), ``what`` of them."""
    p.add_argument("--tune", type=_setting, action="append", default=[], metavar="NAME=VALUE",
                   help=f"{what} (repeatable, or joined by commas; 'handpose gestures list' lists them and their "
                        "defaults)")


def tuning(args: argparse.Namespace) -> dict[str, float]:
    """The values of every ``--tune``, checked together (``start_score`` with ``keep_score``)."""
    from ..gestures.recognizer import check_tuning

    values = {name: v for given in args.tune for name, v in given.items()}
    try:
        return check_tuning(values)
    except HandposeError as e:
        raise InputError(f"--tune: {e}") from None
