"""MediaPipe reference worker: run with the reference environment's Python, driven over stdin/stdout.

It imports only mediapipe, numpy and OpenCV (never handpose: mediapipe 0.10.21 needs protobuf < 5), so
``handpose bench`` and ``handpose eval`` can time and query MediaPipe in its own process, block by block,
interleaved with their own measurements. One JSON request per line in, one JSON answer per line out.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from typing import Any

_PROC_STATUS = "/proc/self/status"


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process in MB, or None where the system does not say.

    Linux: VmHWM (unlike ru_maxrss it is not inherited across fork+exec); Windows: the peak working set; other
    Unix systems: ru_maxrss, in bytes on macOS and in kilobytes elsewhere.
    """
    try:
        with open(_PROC_STATUS) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    if sys.platform == "win32":
        return _windows_peak_working_set_mb()
    try:
        import resource  # Unix only
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2.0**20 if sys.platform == "darwin" else peak / 1024.0


if sys.platform == "win32":
    def _windows_peak_working_set_mb() -> float | None:
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):  # PROCESS_MEMORY_COUNTERS (psapi.h)
            _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                        *((name, ctypes.c_size_t) for name in (
                            "PeakWorkingSetSize", "WorkingSetSize", "QuotaPeakPagedPoolUsage", "QuotaPagedPoolUsage",
                            "QuotaPeakNonPagedPoolUsage", "QuotaNonPagedPoolUsage", "PagefileUsage",
                            "PeakPagefileUsage"))]

        try:
            kernel32, psapi = ctypes.WinDLL("kernel32"), ctypes.WinDLL("psapi")
            kernel32.GetCurrentProcess.restype = wintypes.HANDLE
            psapi.GetProcessMemoryInfo.argtypes = [wintypes.HANDLE, ctypes.POINTER(Counters), wintypes.DWORD]
            psapi.GetProcessMemoryInfo.restype = wintypes.BOOL
            counters = Counters()
            counters.cb = ctypes.sizeof(Counters)
            if not psapi.GetProcessMemoryInfo(kernel32.GetCurrentProcess(), ctypes.byref(counters), counters.cb):
                return None
        except (OSError, AttributeError):
            return None
        return counters.PeakWorkingSetSize / 2.0**20


class Worker:
    def __init__(self) -> None:
        import mediapipe as mp
        import numpy as np

        self.mp, self.np = mp, np
        self.frames: Any = None
        self.runners: dict[str, Any] = {}
        self.tmp = tempfile.mkdtemp(prefix="handpose-ref-")

    def close(self) -> None:
        """Remove the worker's scratch folder (the .task bundle it wrote: 8 MB a run otherwise left in /tmp)."""
        for runner in self.runners.values():
            if hasattr(runner[1], "close"):
                runner[1].close()
        self.runners.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def load(self, req: dict) -> dict:
        self.frames = self.np.load(req["frames"], mmap_mode="r")
        return {"n": len(self.frames), "mediapipe": self.mp.__version__}

    def _task_bundle(self, palm: str, hand: str) -> str:
        path = os.path.join(self.tmp, "hand_landmarker.task")
        if not os.path.exists(path):
            with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
                zf.write(palm, "hand_detector.tflite")
                zf.write(hand, "hand_landmarks_detector.tflite")
        return path

    def open(self, req: dict) -> dict:
        mp = self.mp
        if req.get("api", "solutions") == "solutions":
            runner = mp.solutions.hands.Hands(static_image_mode=req["mode"] == "image",
                                              max_num_hands=req["max_hands"],
                                              model_complexity=req.get("complexity", 1))
        else:
            vision = mp.tasks.vision
            opts = vision.HandLandmarkerOptions(
                base_options=mp.tasks.BaseOptions(model_asset_path=self._task_bundle(req["palm"], req["hand"])),
                running_mode=vision.RunningMode.VIDEO if req["mode"] == "video" else vision.RunningMode.IMAGE,
                num_hands=req["max_hands"])
            runner = vision.HandLandmarker.create_from_options(opts)
        self.runners[req["key"]] = (req, runner)
        return {}

    def _process(self, req: dict, runner, rgb, index: int):
        if req.get("api", "solutions") == "solutions":
            res = runner.process(rgb)
            return res.multi_hand_landmarks or [], res.multi_handedness or []
        image = self.mp.Image(image_format=self.mp.ImageFormat.SRGB, data=rgb)
        res = runner.detect_for_video(image, int(index * 40)) if req["mode"] == "video" else runner.detect(image)
        return res.hand_landmarks, res.handedness

    def run(self, req: dict) -> dict:
        spec, runner = self.runners[req["key"]]
        times, counts, keypoints = [], [], []
        for i in range(req["start"], req["end"]):
            rgb = self.np.ascontiguousarray(self.frames[i])
            t = time.perf_counter()
            lms, _ = self._process(spec, runner, rgb, req.get("offset", 0) + i)
            times.append((time.perf_counter() - t) * 1e3)
            counts.append(len(lms))
            if req.get("keypoints"):
                h, w = rgb.shape[:2]
                keypoints.append([[[p.x * w, p.y * h, p.z * w] for p in (lm.landmark if hasattr(lm, "landmark")
                                                                         else lm)] for lm in lms])
        return {"times_ms": times, "hands": counts, "keypoints": keypoints}

    def images(self, req: dict) -> dict:
        """Keypoints for image files (static mode), for accuracy evaluation."""
        import cv2

        spec, runner = self.runners[req["key"]]
        out: list[Any] = []
        for path in req["paths"]:
            bgr = cv2.imread(path)
            if bgr is None:
                out.append(None)
                continue
            if req.get("gray"):  # as a monochrome camera sees it, shown to MediaPipe as RGB
                rgb = cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2RGB)
            else:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            lms, _ = self._process(spec, runner, rgb, 0)
            h, w = rgb.shape[:2]
            out.append([{"keypoints": [[p.x * w, p.y * h, p.z * w] for p in (lm.landmark if hasattr(lm, "landmark")
                                                                          else lm)]} for lm in lms])
        return {"results": out}

    def serve(self) -> None:
        try:
            self._serve()
        finally:
            self.close()

    def _serve(self) -> None:
        for line in sys.stdin:
            req = json.loads(line)
            cmd = req.get("cmd")
            try:
                if cmd == "quit":
                    break
                ans = {"rss_mb": peak_rss_mb()} if cmd == "rss" else getattr(self, cmd)(req)
                ans["ok"] = True
            except Exception as e:  # report, keep serving
                ans = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            sys.stdout.write(json.dumps(ans) + "\n")
            sys.stdout.flush()


def cold_start(frame_path: str, api: str, palm: str, hand: str) -> None:
    """Import + model load + first result, in a fresh process; prints JSON."""
    t0 = time.perf_counter()
    w = Worker()
    import numpy as np

    frame = np.load(frame_path)
    w.open({"key": "c", "api": api, "mode": "image", "max_hands": 2, "palm": palm, "hand": hand})
    spec, runner = w.runners["c"]
    w._process(spec, runner, frame, 0)
    cold_ms = (time.perf_counter() - t0) * 1e3
    w.close()
    print(json.dumps({"cold_ms": cold_ms, "rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--cold-start":
        cold_start(*sys.argv[2:6])
    else:
        Worker().serve()
