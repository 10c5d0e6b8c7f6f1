"""``handpose bench``: per-stage latency, fps, batching, hands scaling, memory and cold start, side by side with
MediaPipe on the same frames in the same run (interleaved block by block so machine noise hits both alike)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from .errors import HandposeError
from .machine import machine_info
from .pipeline import HandTracker
from .reference_worker import peak_rss_mb
from .registry import VARIANTS, model_path, model_state

log = logging.getLogger("handpose")

STAGES = ("prepare", "palm_pre", "palm_model", "palm_post", "crop", "landmark_model", "post", "gestures")
STAGE_LABELS = {"read": "read/decode", "prepare": "input checks", "palm_pre": "palm pre-processing",
                "palm_model": "palm model", "palm_post": "palm decoding + NMS", "crop": "crop",
                "landmark_model": "landmark model", "post": "projection + tracking + smoothing",
                "gestures": "gestures"}
# Targets of this project: our per-frame time / MediaPipe legacy's, on the same frames.
BASELINE = "mediapipe-solutions"
TARGETS = {("video", 1): 1 / 1.5, ("image", 1): 1 / 1.8, ("video", 2): 1 / 2.5}


@dataclass
class BenchConfig:
    source: str
    limit: int | None = None
    model: str = "full"
    engines: tuple[str, ...] = ("litert", "onnxruntime")
    modes: tuple[str, ...] = ("image", "video")
    max_hands: tuple[int, ...] = (1, 2)
    reference_python: str | None = None
    reference_apis: tuple[str, ...] = ("solutions", "tasks")
    block: int = 10
    warmup: int = 5
    repeat: int = 1  # passes over the frames; more passes narrow the ratio's range on a noisy machine
    batches: tuple[int, ...] = (1, 2, 4, 8)
    hand_counts: tuple[int, ...] = (1, 2, 4)
    cold_start: bool = True
    stability: bool = True  # jitter of a still hand, lag of the smoothing (and MediaPipe's jitter, with the worker)
    still_frames: int = 100
    threads: int | None = None
    gestures: str | None = None  # e.g. "builtin": also time gesture recognition (our side only)
    zoom: float = 1.0  # our side also searches tiles seen this much closer (HandTracker(zoom=...))
    notes: list[str] = field(default_factory=list)


def stats(values: list[float] | np.ndarray) -> dict[str, float]:
    a = np.asarray(values, np.float64)
    if a.size == 0:
        return {"median": float("nan"), "p90": float("nan"), "mean": float("nan")}
    return {"median": float(np.median(a)), "p90": float(np.percentile(a, 90)), "mean": float(a.mean())}


MAX_FRAME_BYTES = 2 << 30  # decoded frames kept for the benchmark: 2 GiB is 86 4K frames, 330 at 1080p


def load_frames(source: str, limit: int | None, max_bytes: int = MAX_FRAME_BYTES
                ) -> tuple[list[np.ndarray], float]:
    """Decode the frames once, so every side processes identical pixels; without ``limit``, as many as fit in
    ``max_bytes`` (a long or 4K video would not fit in memory)."""
    from .sources import open_source

    frames: list[np.ndarray] = []
    held = 0
    with open_source(source) as src:
        if src.live:
            raise HandposeError("bench needs a video file or images, not a live source")
        fps = src.fps or 25.0
        for frame in src:
            if limit is not None and len(frames) >= limit:
                break
            if frame.image is None:
                continue
            img = frame.image if frame.image.ndim == 3 and frame.image.shape[2] == 3 else None
            if img is None:
                from .imaging import prepare

                img = prepare(frame.image)[0]
            if limit is None and frames and held + img.nbytes > max_bytes:
                log.warning("bench holds the decoded frames in memory: it uses the first %d (%.1f GB); "
                            "--frames N chooses", len(frames), held / 1e9)
                break
            frames.append(img)
            held += img.nbytes
    if not frames:
        raise HandposeError(f"no frames could be read from {source}")
    if len({f.shape for f in frames}) > 1:
        h, w = frames[0].shape[:2]
        frames = [cv2.resize(f, (w, h)) if f.shape != frames[0].shape else f for f in frames]
    return frames, fps


def _save_rgb(path: str, frames: list[np.ndarray]) -> None:
    """The frames as one RGB ``.npy`` (the reference's input), written a frame at a time: no second copy of
    them all in memory."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False,
              "shape": (len(frames), *frames[0].shape)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for frame in frames:
            f.write(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB).data)


def decode_times(source: str, n: int) -> list[float]:
    """ms to read and decode each of the first ``n`` frames, each let go before the next as ``handpose run`` does
    (timed while loading the frames that are kept, 4K frames took 65 instead of 11 ms: fresh memory each time)."""
    from .sources import open_source

    times: list[float] = []
    with open_source(source) as src:
        it = iter(src)
        while len(times) < n:
            t = time.perf_counter()
            if next(it, None) is None:
                break
            times.append((time.perf_counter() - t) * 1e3)
    return times


def engine_tracker_args(engine: str, model: str) -> dict[str, Any]:
    """HandTracker arguments for an engine name of the bench (int8 and TensorRT are variants of onnxruntime)."""
    palm, hand = VARIANTS[model]
    if engine == "onnxruntime-int8":  # INT8 landmarks on onnxruntime, the palm model on the fastest engine
        return {"engine": "auto", "palm_model": palm, "landmark_model": f"{hand}_int8"}
    if engine == "tensorrt":
        return {"engine": "onnxruntime", "providers": ["tensorrt"]}
    if engine == "cuda":
        return {"engine": "onnxruntime", "providers": ["cuda"]}
    return {"engine": engine}


def available_bench_engines(model: str = "full") -> tuple[list[str], list[str]]:
    """Engines this machine can run, and notes on the ones it cannot."""
    from .engines import available_engines
    from .engines.onnxrt import available_providers

    have: list[str] = []
    notes: list[str] = []
    engines = available_engines()
    have += [e for e in ("litert", "onnxruntime") if e in engines]
    hand = VARIANTS[model][1]
    if "onnxruntime" in engines:
        if model_state(f"{hand}_int8") == "present":
            have.append("onnxruntime-int8")
        else:
            notes.append(f"onnxruntime-int8: run 'handpose models quantize {hand}' first")
        providers = available_providers()
        if "CUDAExecutionProvider" in providers:
            have.append("cuda")
        if "TensorrtExecutionProvider" in providers:
            have.append("tensorrt")
        else:
            notes.append("tensorrt: not available (needs onnxruntime-gpu with TensorRT and an NVIDIA GPU)")
    if "torch" in engines:
        have.append("torch")
    else:
        notes.append("torch: not installed (pip install 'handpose[train]')")
    return have, notes


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


def _pipeline_runs(cfg: BenchConfig, frames: list[np.ndarray], fps: float, worker: Any, bar: Any) -> tuple[list, list]:
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


def _ratios(ours: list[dict], ref: list[dict]) -> list[dict]:
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


def _real_crops(cfg: BenchConfig, frames: list[np.ndarray], n: int = 8) -> np.ndarray:
    tracker = HandTracker(cfg.model, mode="image", max_hands=1)
    crops = []
    for f in frames[:: max(1, len(frames) // (n * 2))]:
        hands = tracker.process(f)
        if len(hands):
            crops.append(tracker.landmarks.preprocess(f, hands.rects[:1], True)[0])
        if len(crops) == n:
            break
    if not crops:
        raise HandposeError("no hand found in the benchmark frames to build landmark crops from")
    while len(crops) < n:
        crops.append(crops[len(crops) % len(crops)][:, ::-1].copy())
    return np.stack(crops)


def _landmark_batches(cfg: BenchConfig, crops: np.ndarray) -> list[dict]:
    from .engines import create_engine

    rows = []
    hand = VARIANTS[cfg.model][1]
    for engine in cfg.engines:
        args = engine_tracker_args(engine, cfg.model)
        name = args.get("landmark_model", hand)
        eng = create_engine(name, args["engine"], threads=cfg.threads, providers=args.get("providers"))
        for b in cfg.batches:
            x = crops[:b]
            for _ in range(3):
                eng.run(x)
            t = []
            for _ in range(30):
                t0 = time.perf_counter()
                eng.run(x)
                t.append((time.perf_counter() - t0) * 1e3)
            med = float(np.median(t))
            rows.append({"engine": engine, "batch": b, "ms": med, "ms_per_hand": med / b})
    return rows


def _largest_hands(cfg: BenchConfig, frames: list[np.ndarray], looked_at: int) -> list[tuple[float, float, float, int]]:
    """(size, centre x, centre y, frame index) of the hand in about ``looked_at`` evenly spread frames, largest
    first (image mode, one hand a frame)."""
    tracker = HandTracker(cfg.model, mode="image", max_hands=1)
    found = []
    for i in range(0, len(frames), max(1, len(frames) // looked_at)):
        hands = tracker.process(frames[i])
        if len(hands):
            x1, y1, x2, y2 = hands.boxes[0]
            found.append((float(max(x2 - x1, y2 - y1)), float(x1 + x2) / 2, float(y1 + y2) / 2, i))
    return sorted(found, key=lambda h: -h[0])


def _hand_tiles(cfg: BenchConfig, frames: list[np.ndarray], n: int = 60, tile: int = 320,
                looked_at: int = 120) -> list[np.ndarray]:
    """Square cut-outs of the real hand of ``n`` frames (its box with a margin), resized to ``tile`` pixels.

    The frames with the largest hands are used: a small hand blown up to a tile is blurred, and the palm detector
    then misses it among the others, so the scene would hold fewer hands than the count it is measured for."""
    tiles = []
    for size, cx, cy, i in _largest_hands(cfg, frames, looked_at)[:n]:
        f = frames[i]
        side = size * 2.0
        m = np.array([[tile / side, 0, tile / 2 - cx * tile / side], [0, tile / side, tile / 2 - cy * tile / side]])
        tiles.append(cv2.warpAffine(f, m, (tile, tile), borderMode=cv2.BORDER_REPLICATE))
    return tiles


def _hand_scaling(cfg: BenchConfig, frames: list[np.ndarray], fps: float) -> list[dict]:
    """Frames with 1, 2, 4 real hands: a 2x2 grid of hand tiles, k of them filled (the rest plain grey)."""
    rows: list[dict[str, Any]] = []
    engine = cfg.engines[0]
    tiles = _hand_tiles(cfg, frames)
    if not tiles:
        return rows
    t = tiles[0].shape[0]
    cells = int(np.ceil(np.sqrt(max(cfg.hand_counts))))  # one frame size for every count: only the hands differ
    for k in cfg.hand_counts:
        scenes = []
        for tile in tiles:
            canvas = np.full((t * cells, t * cells, 3), 110, np.uint8)
            for j in range(k):
                r, c = divmod(j, cells)
                canvas[r * t : (r + 1) * t, c * t : (c + 1) * t] = tile if j % 2 == 0 else tile[:, ::-1]
            scenes.append(canvas)
        tr = HandTracker(cfg.model, mode="video", max_hands=k, threads=cfg.threads,
                         **engine_tracker_args(engine, cfg.model))
        times, lm, found = [], [], []
        for i, f in enumerate(scenes):
            t0 = time.perf_counter()
            hands = tr.process(f, i * 1000.0 / fps)
            times.append((time.perf_counter() - t0) * 1e3)
            lm.append(tr.clock.times.get("landmark_model", 0.0))
            found.append(len(hands))
        w = min(cfg.warmup, len(times) // 2)
        rows.append({"engine": engine, "hands": k, "frame_size": f"{scenes[0].shape[1]}x{scenes[0].shape[0]}",
                     "total_ms": stats(times[w:]), "landmark_ms": stats(lm[w:]),
                     "hands_found": float(np.mean(found[w:]))})
    return rows


def _one_hand(tracker: HandTracker, frames: list[np.ndarray], fps: float) -> np.ndarray:
    """(T, 21, 3) keypoints of the first hand of every frame; NaN where none was found."""
    out = np.full((len(frames), 21, 3), np.nan)
    for i, f in enumerate(frames):
        hands = tracker.process(f, i * 1000.0 / fps)
        if len(hands):
            out[i] = hands.keypoints[0]
    return out


def _longest_found_run(*tracks: np.ndarray) -> slice:
    found = np.all([~np.isnan(t).any(axis=(1, 2)) for t in tracks], axis=0)
    best, start = slice(0, 0), None
    for i, ok in enumerate([*found, False]):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            best = max(best, slice(start, i), key=lambda r: r.stop - r.start)
            start = None
    return best


def _stability(cfg: BenchConfig, frames: list[np.ndarray], fps: float, worker: Any, tmp: str) -> dict[str, Any]:
    """Jitter of a still hand (the source's largest, repeated with fresh pixel noise), unsmoothed, smoothed and
    MediaPipe's; and how far smoothing trails the source's moving hand."""
    from .stability import jitter, lag, noisy_copies, palm_size

    largest = _largest_hands(cfg, frames, 40)
    if not largest:
        return {"note": "no hand found in the source to measure stability on"}
    args = engine_tracker_args(cfg.engines[0], cfg.model)
    still = noisy_copies(frames[largest[0][3]], cfg.still_frames, sigma=4.0)
    settle = min(10, cfg.still_frames // 4)  # the filters' first frames are left out
    runs = {smooth: _one_hand(HandTracker(cfg.model, mode="video", max_hands=1, smooth=smooth, threads=cfg.threads,
                                          **args), still, fps)[settle:] for smooth in (False, True)}
    report: dict[str, Any] = {"still": {"frames": len(still) - settle, "noise_sigma": 4.0}}
    for name, k in (("raw", runs[False]), ("smoothed", runs[True])):
        k = k[~np.isnan(k).any(axis=(1, 2))]
        report["still"][name] = jitter(k) if len(k) >= 2 else None
        report["still"].setdefault("palm_px", palm_size(k) if len(k) else float("nan"))
    if worker is not None:
        path = os.path.join(tmp, "still.npy")
        _save_rgb(path, still)
        worker.call("load", frames=path)
        worker.call("open", key="still", api="solutions", mode="video", max_hands=1, complexity=1)
        found = [np.asarray(h[0], np.float64) for h in
                 worker.call("run", key="still", start=0, end=len(still), keypoints=True)["keypoints"][settle:] if h]
        report["still"]["mediapipe"] = jitter(np.stack(found)) if len(found) >= 2 else None
    moving = {smooth: _one_hand(HandTracker(cfg.model, mode="video", max_hands=1, smooth=smooth,
                                            threads=cfg.threads, **args), frames, fps) for smooth in (False, True)}
    run = _longest_found_run(moving[False], moving[True])
    if run.stop - run.start < 12:  # what lag() needs to search 4 frames of delay
        report["moving"] = None
    else:
        raw, smoothed = moving[False][run], moving[True][run]
        report["moving"] = {"frames": run.stop - run.start, "palm_px": palm_size(raw), **lag(raw, smoothed, fps)}
    return report


def cold_start_main(engine: str, model: str, frame_path: str) -> None:
    """Run in a fresh process: import + model load + first result (``python -m handpose.benchmark``)."""
    t0 = time.perf_counter()
    import handpose

    frame = np.load(frame_path)
    tracker = handpose.HandTracker(model, mode="image", **engine_tracker_args(engine, model))
    tracker.process(frame)
    print(json.dumps({"cold_ms": (time.perf_counter() - t0) * 1e3, "rss_mb": peak_rss_mb()}))


def _cold_starts(cfg: BenchConfig, frame: np.ndarray, ref_python: str | None) -> list[dict]:
    from .reference import reference_cold_start

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bgr_path, rgb_path = os.path.join(tmp, "bgr.npy"), os.path.join(tmp, "rgb.npy")
        np.save(bgr_path, frame)
        np.save(rgb_path, np.ascontiguousarray(frame[..., ::-1]))
        for engine in cfg.engines:
            out = subprocess.run([sys.executable, "-m", "handpose.benchmark", "--cold-start", engine, cfg.model,
                                  bgr_path], capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if out.returncode == 0:
                rows.append({"who": f"handpose {engine}", **json.loads(out.stdout.strip().splitlines()[-1])})
            else:
                rows.append({"who": f"handpose {engine}", "error": out.stderr.strip()[-200:]})
        if ref_python:
            palm, hand = (str(model_path(n)) for n in VARIANTS[cfg.model])
            for api in cfg.reference_apis:
                try:
                    rows.append({"who": f"mediapipe {api}",
                                 **reference_cold_start(ref_python, rgb_path, api, palm, hand)})
                except HandposeError as e:
                    rows.append({"who": f"mediapipe {api}", "error": str(e)[-200:]})
    return rows


def run_benchmark(cfg: BenchConfig, progress: bool = True) -> dict[str, Any]:
    from tqdm import tqdm

    from .reference import ReferenceWorker

    frames, fps = load_frames(cfg.source, cfg.limit)
    read_ms = decode_times(cfg.source, min(len(frames), 200))
    report: dict[str, Any] = {"machine": machine_info(), "source": cfg.source, "frames": len(frames),
                              "size": f"{frames[0].shape[1]}x{frames[0].shape[0]}", "model": cfg.model,
                              "engines": list(cfg.engines), "read_ms": stats(read_ms), "notes": list(cfg.notes),
                              "gestures": cfg.gestures, "zoom": cfg.zoom}
    worker = None
    if cfg.reference_python:
        worker = ReferenceWorker(cfg.reference_python)
    try:
        if worker is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "frames.npy")
                _save_rgb(path, frames)
                report["mediapipe"] = worker.call("load", frames=path)["mediapipe"]
                total = len(frames) * cfg.repeat * len(cfg.modes) * len(cfg.max_hands)
                with tqdm(total=total, desc="pipelines", unit="frame", disable=not progress or None,
                          file=sys.stderr) as bar:
                    ours, ref = _pipeline_runs(cfg, frames, fps, worker, bar)
                report["stability"] = _stability(cfg, frames, fps, worker, tmp) if cfg.stability else None
        else:
            report["notes"].append("no MediaPipe reference: run 'make reference-env' and pass --reference")
            total = len(frames) * cfg.repeat * len(cfg.modes) * len(cfg.max_hands)
            with tqdm(total=total, desc="pipelines", unit="frame", disable=not progress or None,
                      file=sys.stderr) as bar:
                ours, ref = _pipeline_runs(cfg, frames, fps, None, bar)
            report["stability"] = _stability(cfg, frames, fps, None, "") if cfg.stability else None
    finally:
        if worker is not None:
            worker.close()
    report["pipeline"], report["reference"] = ours, ref
    report["ratios"] = _ratios(ours, ref)
    report["models_sum"] = [
        {"engine": r["engine"], "max_hands": r["max_hands"], "total_ms": r["total_ms"]["median"],
         "models_ms": r["stages"]["palm_model"]["median"] + r["stages"]["landmark_model"]["median"],
         "overhead_ratio": r["total_ms"]["median"]
         / (r["stages"]["palm_model"]["median"] + r["stages"]["landmark_model"]["median"])}
        for r in ours if r["mode"] == "image" and "palm_model" in r["stages"] and "landmark_model" in r["stages"]]
    crops = _real_crops(cfg, frames, max(cfg.batches))
    report["landmark_batch"] = _landmark_batches(cfg, crops) if cfg.batches else []
    report["hands_scaling"] = _hand_scaling(cfg, frames, fps) if cfg.hand_counts else []
    report["memory"] = _cold_starts(cfg, frames[0], cfg.reference_python) if cfg.cold_start else []
    report["int8"] = _int8_summary(cfg)
    return report


def _int8_summary(cfg: BenchConfig) -> dict[str, Any] | None:
    hand = VARIANTS[cfg.model][1]
    meta = model_path(f"{hand}_int8").with_suffix(".json")
    if meta.is_file():
        return json.loads(meta.read_text(encoding="utf-8"))
    return None


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--cold-start":
        cold_start_main(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print("usage: python -m handpose.benchmark --cold-start ENGINE MODEL FRAME.npy", file=sys.stderr)
        sys.exit(2)
