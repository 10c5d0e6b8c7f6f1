"""What machine this is: CPU, cores, OS, Python and the packages handpose runs on (for `doctor` and bench reports)."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any


def package_version(dist: str) -> str | None:
    """The installed version of a distribution (``"onnxruntime"``), or None when it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """The machine a measurement was taken on. OpenCV's version is the module's own: it comes from one of several
    wheels (opencv-python, -headless, -contrib), and a report must name it whichever is installed."""
    import cv2

    packages = {p: package_version(p) for p in ("ai-edge-litert", "onnxruntime", "onnxruntime-gpu")}
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "os": platform.platform(), "python": sys.version.split()[0],
            "packages": {**packages, "opencv": cv2.__version__, "numpy": package_version("numpy")}}
