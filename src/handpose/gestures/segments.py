"""Labelled parts of one video: a CSV of ``label,start,end`` rows (times in seconds or [H:]M:SS), so that one
recording of several gestures is labelled after the fact instead of cut into a clip per gesture."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from ..errors import HandposeError, InputError
from ..sources import parse_time, part_options
from .dataset import csv_rows, text_lines

COLUMNS = ("label", "start", "end")


@dataclass(frozen=True)
class Segment:
    """The part of a video from ``start`` up to ``end`` seconds, showing ``label``."""

    label: str
    start: float
    end: float

    @property
    def part(self) -> dict[str, float]:
        """The source options that read it (:func:`~handpose.open_source`)."""
        return part_options(self.start, self.end)

    @property
    def name(self) -> str:
        return f"{self.start:g}-{self.end:g} s"


def read_segments(path: str | Path) -> list[Segment]:
    """The segments of a CSV whose first line names the columns ``label``, ``start`` and ``end`` (others are
    ignored), in order of their start. A row without a label, a time that cannot be read, an end not after its
    start, and parts that overlap (a frame would be labelled twice) are refused, naming the row."""
    p = Path(path)
    rows = csv_rows(text_lines(p, "segments file"))
    if not rows:
        raise HandposeError(f"segments file {p} is empty: expected a first line 'label,start,end' and a row for "
                            "each part of the video")
    header = [c.strip().lower() for c in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise HandposeError(f"segments file {p}: the first line names the columns label,start,end (got "
                            f"{','.join(rows[0])!r})")
    at = [header.index(c) for c in COLUMNS]
    segments: list[tuple[Segment, int]] = []
    for n, row in enumerate(rows[1:], 1):
        cells = [row[i].strip() if i < len(row) else "" for i in at]
        if not cells[0]:
            raise HandposeError(f"segments file {p}, row {n}: no label")
        try:
            # a decimal comma (a spreadsheet's, with ; between fields) is the only comma a time can hold
            start, end = (parse_time(c.replace(",", ".")) for c in cells[1:])
        except InputError as e:
            raise HandposeError(f"segments file {p}, row {n}: {e}") from None
        if end <= start:
            raise HandposeError(f"segments file {p}, row {n}: its end ({cells[2]}) is not after its start "
                                f"({cells[1]})")
        segments.append((Segment(cells[0], start, end), n))
    if not segments:
        raise HandposeError(f"segments file {p} has no rows below its header")
    segments.sort(key=lambda s: s[0].start)
    for (a, i), (b, j) in itertools.pairwise(segments):
        if b.start < a.end:
            raise HandposeError(f"segments file {p}: rows {i} and {j} overlap ({a.label} {a.name}, {b.label} "
                                f"{b.name}): a frame would have two labels")
    return [s for s, _ in segments]
