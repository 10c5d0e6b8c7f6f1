"""Benchmark reports: a terminal table, Markdown, and a stacked per-stage bar plot (drawn with OpenCV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..outputs import make_folder, write_image
from ..quantize import made_by_outdated_recipe, requantize_hint
from ..registry import get_model
from .config import BASELINE, STAGE_LABELS, STAGES


def _table(headers: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
        return lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*headers), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows]


def _ms(d: dict[str, float]) -> str:
    return f"{d['median']:.2f} / {d['p90']:.2f}"


def _range(r: list[float] | None) -> str:
    return "-" if not r else f"{r[0]:.2f}-{r[1]:.2f}"


def _met(r: dict) -> str:
    if r["met"] is None:
        return "-"
    word = "yes" if r["met"] else "NO"
    rng = r.get("ratio_range")
    return f"{word}, within noise" if rng and rng[0] <= r["target"] < rng[1] else word


def render(report: dict[str, Any], markdown: bool = False) -> str:
    h = "### " if markdown else "== "
    m = report["machine"]
    zoom = report.get("zoom", 1.0)
    part = report.get("part") or {}
    within = (f" from {part.get('start', 0):g} s" + (f" to {part['end']:g} s" if "end" in part else "")) if part else ""
    out = [f"{h}handpose bench: {report['source']}{within} ({report['frames']} frames, {report['size']}), model "
           f"{report['model']}" + (f", handpose with --zoom {zoom:g} (MediaPipe has no tiles)" if zoom > 1 else ""),
           f"machine: {m['cpu']}, {m['cores']} cores, {m['os']}, Python {m['python']}; "
           + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
           + (f"; reference mediapipe {report['mediapipe']}" if report.get("mediapipe") else ""),
           f"read/decode: {_ms(report['read_ms'])} ms (median / p90)", ""]

    out.append(f"{h}End to end per frame (ms, median / p90)")
    rows = [[r["engine"], r["mode"], str(r["max_hands"]), _ms(r["total_ms"]), f"{r['fps']:.0f}",
             f"{r['hands_per_frame']:.2f}"] for r in report["pipeline"]]
    rows += [[r["api"], r["mode"], str(r["max_hands"]), _ms(r["total_ms"]), f"{r['fps']:.0f}",
              f"{r['hands_per_frame']:.2f}"] for r in report["reference"]]
    out += _table(["engine", "mode", "max_hands", "ms", "fps", "hands/frame"], rows, markdown) + [""]

    if report["ratios"]:
        out.append(f"{h}Ours / MediaPipe legacy solutions.hands (same frames, same run)")
        rows = [[r["engine"], r["mode"], str(r["max_hands"]), f"{r['ours_ms']:.2f}", f"{r['mediapipe_ms']:.2f}",
                 f"{r['ratio']:.2f}", _range(r.get("ratio_range")),
                 "-" if r["target"] is None else f"<= {r['target']:.2f}", _met(r)] for r in report["ratios"]]
        out += _table(["engine", "mode", "max_hands", "ours ms", "mediapipe ms", "ratio", "90% range", "target",
                       "met"], rows, markdown)
        out += ["(90% range: where the ratio falls when this run's blocks of frames are drawn again at random;",
                " 'within noise': the target lies inside it; --repeat N narrows it)", ""]

    out.append(f"{h}Per stage (ms, median / p90)")
    stages = [s for s in STAGES if any(s in r["stages"] for r in report["pipeline"])]
    rows = [[r["engine"], r["mode"], str(r["max_hands"])] + [_ms(r["stages"][s]) if s in r["stages"] else "-"
                                                              for s in stages] for r in report["pipeline"]]
    out += _table(["engine", "mode", "hands"] + [STAGE_LABELS[s] for s in stages], rows, markdown) + [""]

    if report.get("models_sum"):
        out.append(f"{h}Image mode: end to end vs the two models alone")
        rows = [[r["engine"], str(r["max_hands"]), f"{r['total_ms']:.2f}", f"{r['models_ms']:.2f}",
                 f"{r['overhead_ratio']:.2f}x"] for r in report["models_sum"]]
        out += _table(["engine", "max_hands", "end to end ms", "palm + landmark model ms", "ratio"], rows,
                      markdown) + [""]

    if report.get("landmark_batch"):
        out.append(f"{h}Landmark model alone, by batch (real crops)")
        rows = [[r["engine"], str(r["batch"]), f"{r['ms']:.2f}", f"{r['ms_per_hand']:.2f}"]
                for r in report["landmark_batch"]]
        out += _table(["engine", "batch", "ms", "ms per hand"], rows, markdown) + [""]

    if report.get("hands_scaling"):
        out.append(f"{h}Cost versus hands in the frame (video mode, tiled real frames)")
        rows = [[r["engine"], str(r["hands"]), r["frame_size"], f"{r['hands_found']:.2f}", _ms(r["total_ms"]),
                 _ms(r["landmark_ms"])] for r in report["hands_scaling"]]
        out += _table(["engine", "hands", "frame", "found", "frame ms", "landmark model ms"], rows, markdown)
        out.append("")

    st = report.get("stability")
    if st and st.get("note"):
        out += [f"{h}Stability", st["note"], ""]
    elif st:
        still = st["still"]
        out.append(f"{h}Stability: a still hand's jitter ({still['frames']} frames of the source's largest hand, "
                   f"fresh pixel noise of sigma {still['noise_sigma']:g} in each; palm {still['palm_px']:.0f} px)")
        rows = [[who, f"{j['rms_px']:.3f}", f"{j['step_px']:.3f}"] for who, j in
                (("handpose, unsmoothed", still["raw"]), ("handpose (smoothed, the default)", still["smoothed"]),
                 (BASELINE, still.get("mediapipe"))) if j]
        out += _table(["who", "rms from mean px", "frame to frame px"], rows, markdown) + [""]
        mv = st.get("moving")
        if mv:
            out += [f"moving hand ({mv['frames']} frames of the source, palm {mv['palm_px']:.0f} px): the smoothed "
                    f"keypoints trail the unsmoothed by {mv['lag_ms']:.0f} ms, {mv['offset_px']:.2f} px apart on "
                    f"average ({mv['aligned_px']:.2f} px once that delay is allowed for)", ""]

    if report.get("memory"):
        out.append(f"{h}Cold start (import + load + first result) and peak memory")
        rows = [[r["who"], f"{r['cold_ms']:.0f}" if "cold_ms" in r else "error",
                 r.get("error", "") if "rss_mb" not in r else "-" if r["rss_mb"] is None else f"{r['rss_mb']:.0f}"]
                for r in report["memory"]]
        out += _table(["who", "cold start ms", "peak RSS MB"], rows, markdown) + [""]

    if report.get("int8"):
        q = report["int8"]
        out.append(f"{h}INT8 landmark model ({q.get('model')})")
        nan = float("nan")
        out.append(f"keypoint error vs fp32: {q.get('keypoint_image_px_mean', nan):.2f} image px mean "
                   f"({q.get('keypoint_px_mean', nan):.2f} px in the 224 crop); handedness agreement "
                   f"{q.get('handedness_agreement', nan):.3f}; landmark model fp32 {q.get('fp32_ms', nan):.2f} ms "
                   f"vs int8 {q.get('int8_ms', nan):.2f} ms (onnxruntime, batch 1)")
        if "no_hand_crops" in q:
            out.append(f"crops without a hand turned away: fp32 {q['no_hand_rejected_fp32']:.0%}, int8 "
                       f"{q['no_hand_rejected_int8']:.0%} of {q['no_hand_crops']}")
        elif made_by_outdated_recipe(q):
            out.append(requantize_hint(get_model(str(q.get("model", "hand_full_int8")))))
        out.append("")
    for note in report.get("notes", []):
        out.append(f"note: {note}")
    return "\n".join(out).rstrip() + "\n"


_COLORS = [(180, 180, 180), (200, 160, 90), (60, 120, 230), (90, 200, 250), (120, 200, 120), (40, 60, 200),
           (200, 100, 200), (150, 150, 60), (100, 100, 100)]


def plot(report: dict[str, Any], path: str | Path) -> Path:
    """Stacked per-stage bars (median ms) for every engine and mode, MediaPipe as a plain bar beside them."""
    bars: list[tuple[str, list[tuple[str, float]]]] = []
    for r in report["pipeline"]:
        parts = [("read", report["read_ms"]["median"])]
        parts += [(s, r["stages"][s]["median"]) for s in STAGES if s in r["stages"]]
        bars.append((f"{r['engine']} {r['mode']} x{r['max_hands']}", parts))
    for r in report["reference"]:
        bars.append((f"{r['api']} {r['mode']} x{r['max_hands']}",
                     [("read", report["read_ms"]["median"]), ("mediapipe", r["total_ms"]["median"])]))
    names = ["read", *STAGES, "mediapipe"]
    colors = dict(zip(names, _COLORS, strict=False))
    colors["mediapipe"] = (90, 90, 90)
    w, row_h, left, top = 1100, 34, 330, 60
    h = top + row_h * len(bars) + 120
    img = np.full((h, w, 3), 255, np.uint8)
    vmax = max(sum(v for _, v in parts) for _, parts in bars) * 1.08
    scale = (w - left - 40) / vmax
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, f"handpose bench: per-frame time by stage (median ms), {report['size']}, {report['model']}",
                (20, 32), font, 0.6, (20, 20, 20), 1, cv2.LINE_AA)
    for i, (label, parts) in enumerate(bars):
        y = top + i * row_h
        cv2.putText(img, label, (20, y + 22), font, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
        x = float(left)
        for stage, v in parts:
            x2 = x + v * scale
            cv2.rectangle(img, (int(x), y + 6), (max(int(x) + 1, int(x2)), y + row_h - 6), colors[stage], -1)
            x = x2
        total = sum(v for _, v in parts)
        cv2.putText(img, f"{total:.1f}", (int(x) + 6, y + 22), font, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
    ly = top + row_h * len(bars) + 30
    lx = 20
    for name in names:
        label = STAGE_LABELS.get(name, name)
        cv2.rectangle(img, (lx, ly), (lx + 14, ly + 14), colors[name], -1)
        cv2.putText(img, label, (lx + 20, ly + 12), font, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
        lx += 30 + cv2.getTextSize(label, font, 0.45, 1)[0][0]
        if lx > w - 200:
            lx, ly = 20, ly + 26
    path = Path(path)
    make_folder(path.parent)
    write_image(path, img)
    return path
