"""The whole pipeline timed frame by frame, ours and MediaPipe's on the same frames, interleaved block by block so
machine noise hits both alike; the ratio to MediaPipe with its bootstrap range."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..pipeline import HandTracker
from ..registry import VARIANTS, model_path
from .config import BASELINE, STAGES, TARGETS, BenchConfig, engine_tracker_args, stats


class _Ours:
    def __init__(self, cfg: BenchConfig, engine: str, mode: str, max_hands: int):
        self.label = engine
        self.tracker = HandTracker(cfg.model, mode=mode, max_hands=max_hands, threads=cfg.threads,
                                   gestures=cfg.gestures or None, zoom=cfg.zoom,
                                   **engine_tracker_args(engine, cfg.model))
        self.times: list[float] = []
        self.stages: dict[str, list[float]] = {s: [] for s in STAGES}
        self.hands: list[int] = []

    def run(self, frames: list[np.ndarray], start: int, end: int, fps: float, offset: int = 0) -> None:
        tr = self.tracker
        for i in range(start, end):
            t = time.perf_counter()
            hands = tr.process(frames[i], (offset + i) * 1000.0 / fps)
            self.times.append((time.perf_counter() - t) * 1e3)
            for s in STAGES:
                self.stages[s].append(tr.clock.times.get(s, 0.0))
            self.hands.append(len(hands))


class _Theirs:
    def __init__(self, worker: Any, api: str, mode: str, max_hands: int, palm: str, hand: str):
        self.label = f"mediapipe-{api}"
        self.worker, self.key = worker, f"{api}-{mode}-{max_hands}"
        worker.call("open", key=self.key, api=api, mode=mode, max_hands=max_hands, complexity=1, palm=palm,
                    hand=hand)
        self.times: list[float] = []
        self.hands: list[int] = []

    def run(self, frames: Any, start: int, end: int, fps: float, offset: int = 0) -> None:
        ans = self.worker.call("run", key=self.key, start=start, end=end, offset=offset)
        self.times += ans["times_ms"]
        self.hands += ans["hands"]


def ratio_range(ours: np.ndarray, theirs: np.ndarray, blocks: np.ndarray, level: float = 0.9, n: int = 2000,
                seed: int = 0) -> tuple[float, float]:
    """Range of median(ours) / median(theirs) that holds ``level`` of a bootstrap over the interleaved blocks.

    Whole blocks are drawn (with replacement), the same ones for both sides, so a slow spell of the machine that hit
    one side's block counts as the noise it is; frames within a block are not independent, blocks nearly are.
    """
    ids = np.unique(blocks)
    members = [np.flatnonzero(blocks == b) for b in ids]
    rng = np.random.default_rng(seed)
    ratios = np.empty(n)
    for k in range(n):
        rows = np.concatenate([members[j] for j in rng.integers(0, len(ids), len(ids))])
        ratios[k] = np.median(ours[rows]) / np.median(theirs[rows])
    lo, hi = np.quantile(ratios, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def pipeline_runs(cfg: BenchConfig, frames: list[np.ndarray], fps: float, worker: Any, bar: Any) -> tuple[list, list]:
    palm, hand = (str(model_path(n)) for n in VARIANTS[cfg.model])
    starts = range(0, len(frames), cfg.block)
    # every side sees the same blocks in the same order: frame k of any side's times lies in block blocks[k]
    blocks = np.array([p * len(starts) + b for p in range(cfg.repeat) for b, s in enumerate(starts)
                       for _ in range(s, min(len(frames), s + cfg.block))])
    ours_rows, ref_rows = [], []
    for mode in cfg.modes:
        for mh in cfg.max_hands:
            runners: list[Any] = [_Ours(cfg, e, mode, mh) for e in cfg.engines]
            if worker is not None:
                runners += [_Theirs(worker, api, mode, mh, palm, hand) for api in cfg.reference_apis]
            # torch runs after the others, not among them: its OpenMP workers spin for tens of ms after a run and
            # took the cores from whichever side came next (on 2 cores LiteRT's first 4 frames after a torch
            # block took 6.3, 4.8, 3.9, 3.3 ms against 3.0; MediaPipe's first 7.0 against 5.9)
            groups = [[r for r in runners if r.label != "torch"], *([r] for r in runners if r.label == "torch")]
            for n, group in enumerate(g for g in groups if g):
                for p in range(cfg.repeat):  # a later pass goes on in time, as a longer video would
                    for start in starts:
                        end = min(len(frames), start + cfg.block)
                        for r in group:  # interleaved: each block of frames goes through every side in turn
                            r.run(frames, start, end, fps, p * len(frames))
                        if n == 0:
                            bar.update(end - start)
            w = cfg.warmup if len(frames) > 2 * cfg.warmup else 0
            legacy = next((r for r in runners if r.label == BASELINE), None)
            for r in runners:
                row = {"engine" if isinstance(r, _Ours) else "api": r.label, "mode": mode, "max_hands": mh,
                       "frames": len(r.times) - w, "total_ms": stats(r.times[w:]),
                       "hands_per_frame": float(np.mean(r.hands[w:])) if r.hands[w:] else 0.0}
                row["fps"] = 1000.0 / row["total_ms"]["median"]
                if isinstance(r, _Ours):
                    row["stages"] = {s: stats(v[w:]) for s, v in r.stages.items() if any(v)}
                    row["provider"] = r.tracker.landmarks.engine.provider
                    if legacy is not None and len(legacy.times) == len(r.times) == len(blocks):
                        row["ratio_range"] = list(ratio_range(np.array(r.times[w:]), np.array(legacy.times[w:]),
                                                              blocks[w:]))
                    ours_rows.append(row)
                else:
                    ref_rows.append(row)
    return ours_rows, ref_rows


def ratios_to_baseline(ours: list[dict], ref: list[dict]) -> list[dict]:
    legacy = {(r["mode"], r["max_hands"]): r for r in ref if r["api"] == BASELINE}
    out = []
    for row in ours:
        key = (row["mode"], row["max_hands"])
        if key not in legacy:
            continue
        ratio = row["total_ms"]["median"] / legacy[key]["total_ms"]["median"]
        target = TARGETS.get(key)
        out.append({"engine": row["engine"], "mode": row["mode"], "max_hands": row["max_hands"],
                    "ours_ms": row["total_ms"]["median"], "mediapipe_ms": legacy[key]["total_ms"]["median"],
                    "ratio": ratio, "ratio_range": row.get("ratio_range"), "target": target,
                    "met": None if target is None else ratio <= target})
    return out
