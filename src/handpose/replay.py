"""Reading the JSON Lines of ``handpose run --json`` back as typed :class:`~handpose.Hands`: analyse a recorded
session, or replay its keypoints through gesture recognition (tuning it without the video or the models)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError
from .results import Hands

log = logging.getLogger("handpose")


def read_jsonl(path: str | Path, *, end_of_stream: bool = True) -> Iterator[Hands]:
    """Every frame record of a JSON Lines file as :class:`~handpose.Hands` (with ``source``, ``events`` and, where
    recorded, ``gestures`` and ``camera``). ``end_of_stream=False`` leaves out the closing records that only end
    the gestures still held when a stream stopped (``frame`` -1). A line that is not such a record is an
    :class:`~handpose.InputError` naming the line, except a last line cut short (the run that wrote it was killed
    mid-line): that one is left out with a warning."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record.get("end_of_stream") and not end_of_stream:
                    continue
                hands = Hands.from_dict(record)
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                if isinstance(e, json.JSONDecodeError) and not line.endswith("\n"):  # the last line
                    log.warning("%s, line %d is cut short (the run writing it stopped mid-line): left out", path,
                                number)
                    return
                what = f"missing {e}" if isinstance(e, KeyError) else str(e).splitlines()[0]
                raise InputError(f"{path}, line {number}: not a handpose JSON Lines record ({what}); "
                                 "'handpose run SOURCE --json FILE' writes them") from None
            yield hands
