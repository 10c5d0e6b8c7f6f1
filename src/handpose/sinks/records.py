"""Frame records as text: JSON Lines and CSV, to a file or standard output."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from ..outputs import check_writable, writing


class _TextSink:
    """A text file written record by record, or standard output for ``-``."""

    def __init__(self, path: Path | str, overwrite: bool = False):
        self._own = str(path) != "-"
        if self._own:
            path = Path(path)
            check_writable(path, overwrite)
            self.fh: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        else:
            import sys

            self.fh = sys.stdout
        self.name = str(path) if self._own else "standard output"

    def close(self) -> None:
        with writing(self.name):
            if self._own:
                self.fh.close()
            else:
                self.fh.flush()


def record_json(record: dict[str, Any]) -> str:
    """A frame record as compact JSON: one line of ``--json``, one UDP datagram, one WebSocket message."""
    return json.dumps(record, separators=(",", ":"))


class JsonlSink(_TextSink):
    """JSON Lines: exactly one object per processed frame or image."""

    def write(self, record: dict[str, Any]) -> None:
        with writing(self.name):
            self.fh.write(record_json(record) + "\n")
            self.fh.flush()  # a reader at the other end (a pipe, tail -f) gets each frame now, not 8 KB later


def hands_csv_header(camera: bool = False) -> list[str]:
    """The columns of :class:`CsvSink` (``handpose run --csv``; ``camera``: with ``--camera``)."""
    return (["source", "frame", "timestamp_ms", "width", "height", "track_id", "handedness", "handedness_score",
             "score", "bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2"]
            + [f"{a}{i}" for i in range(21) for a in "xyz"] + [f"w{a}{i}" for i in range(21) for a in "xyz"]
            + ["gesture", "gesture_score"] + ([f"cam{a}{i}" for i in range(21) for a in "xyz"] if camera else []))


class CsvSink(_TextSink):
    """CSV: one row per hand per frame (a frame without hands has no row), for spreadsheets and pandas.

    Takes the same frame records as :class:`JsonlSink`; keypoints ``x0, y0, z0, ...`` in pixels, world
    ``wx0, wy0, wz0, ...`` in metres, ``track_id`` empty in image mode, ``gesture`` empty without ``--gestures``;
    with ``camera``, the points in the camera's frame ``camx0, camy0, camz0, ...`` in metres last.
    """

    def __init__(self, path: Path | str, overwrite: bool = False, camera: bool = False):
        super().__init__(path, overwrite)
        self.camera = camera
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.writer.writerow(hands_csv_header(camera))

    def write(self, record: dict[str, Any]) -> None:
        frame = [record["source"], record["frame"], record["timestamp_ms"], record.get("width"), record.get("height")]
        with writing(self.name):
            for h in record["hands"]:
                gesture = h["gesture"] or {}
                self.writer.writerow([*frame, "" if h["track_id"] is None else h["track_id"], h["handedness"],
                                      h["handedness_score"], h["score"], *h["bbox"],
                                      *(v for p in h["keypoints"] for v in p), *(v for p in h["world"] for v in p),
                                      gesture.get("label", ""), gesture.get("score", ""),
                                      *(self._camera(h) if self.camera else ())])
            self.fh.flush()

    @staticmethod
    def _camera(hand: dict[str, Any]) -> list[Any]:
        points = hand.get("camera")
        return [v for p in points for v in p] if points else [""] * 63  # not placed: empty cells
