"""Hand tracks: stable ids, id recovery after short losses, duplicate merging, handedness vote, smoothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .geometry import boxes_iou
from .smoothing import OneEuroFilter, OneEuroParams


def first_unique(boxes: np.ndarray, iou: float = 0.5) -> list[int]:
    """Indices of the boxes that do not overlap an earlier kept one by more than ``iou`` (earlier wins)."""
    kept: list[int] = []
    for i in range(len(boxes)):
        if not kept or boxes_iou(boxes[i : i + 1], boxes[kept]).max() <= iou:
            kept.append(i)
    return kept


def keypoint_boxes(keypoints: np.ndarray) -> np.ndarray:
    """xyxy boxes (n, 4) of keypoints (n, 21, >=2)."""
    return np.concatenate([keypoints[..., :2].min(1), keypoints[..., :2].max(1)], -1)


@dataclass
class Track:
    id: int
    rect: np.ndarray  # crop rect to use on the next frame
    box: np.ndarray  # keypoint box of the last frame the hand was seen
    last_seen_ms: float
    smoothing: OneEuroParams | None = None
    right_mean: float = 0.5
    votes: int = 0
    kp_filter: OneEuroFilter | None = field(default=None, repr=False)
    world_filter: OneEuroFilter | None = field(default=None, repr=False)

    VOTE_WINDOW = 30  # frames: long enough to outvote a flicker, short enough to recover from a wrong start

    def __post_init__(self) -> None:
        if self.smoothing is not None:
            self.kp_filter = OneEuroFilter(self.smoothing)
            self.world_filter = OneEuroFilter(self.smoothing)

    def vote(self, p_right: float) -> None:
        self.votes += 1
        self.right_mean += (p_right - self.right_mean) / min(self.votes, self.VOTE_WINDOW)

    @property
    def confident_side(self) -> str | None:
        if self.votes >= 5 and abs(self.right_mean - 0.5) > 0.3:
            return "right" if self.right_mean > 0.5 else "left"
        return None

    def smooth(self, keypoints: np.ndarray, world: np.ndarray, t_ms: float) -> tuple[np.ndarray, np.ndarray]:
        if self.kp_filter is None or self.world_filter is None:
            return keypoints, world
        size = float(max(self.box[2] - self.box[0], self.box[3] - self.box[1], 1.0))
        world_size = float(np.ptp(world[:, :2], axis=0).max()) or 0.1
        return self.kp_filter(keypoints, t_ms, size), self.world_filter(world, t_ms, world_size)


class TrackBook:
    """Keeps live tracks and recently lost ones; hands out ids."""

    def __init__(self, id_memory_ms: float = 500.0, merge_iou: float = 0.5, smoothing: OneEuroParams | None = None):
        self.id_memory_ms = id_memory_ms
        self.merge_iou = merge_iou
        self.smoothing = smoothing
        self.live: list[Track] = []
        self.lost: list[Track] = []
        self._next_id = 1

    def reset(self) -> None:
        self.live, self.lost, self._next_id = [], [], 1

    def lose(self, track: Track) -> None:
        self.lost.append(track)

    def expire(self, t_ms: float) -> None:
        self.lost = [t for t in self.lost if t_ms - t.last_seen_ms <= self.id_memory_ms]

    def admit(self, box: np.ndarray, rect: np.ndarray, p_right: float, t_ms: float) -> Track:
        """A newly detected hand: revive a recently lost track at the same place and side, else a new id."""
        best, best_score = None, 0.0
        for tr in self.lost:
            side = "right" if p_right > 0.5 else "left"
            if tr.confident_side not in (None, side):
                continue
            iou = float(boxes_iou(box[None], tr.box[None])[0, 0])
            size = max(tr.box[2] - tr.box[0], tr.box[3] - tr.box[1], 1.0)
            near = np.linalg.norm((box[:2] + box[2:]) / 2 - (tr.box[:2] + tr.box[2:]) / 2) / size
            score = max(iou, 1.0 - near) if near < 0.75 or iou > 0.3 else 0.0
            if score > best_score:
                best, best_score = tr, score
        if best is not None:
            self.lost.remove(best)
            best.rect, best.box, best.last_seen_ms = rect, box, t_ms
            return best
        tr = Track(self._next_id, rect, box, t_ms, self.smoothing)
        self._next_id += 1
        return tr

    def merge_duplicates(self, tracks: list[Track]) -> list[Track]:
        """Two tracks on one hand: keep the older id (tracks come oldest first)."""
        if not tracks:
            return []
        return [tracks[i] for i in first_unique(np.stack([tr.box for tr in tracks]), self.merge_iou)]
