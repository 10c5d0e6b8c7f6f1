from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from handpose.engines import litert
from handpose.registry import model_state
from handpose.sinks import can_write_gif

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HANDPOSE_SHARED", ROOT.parent / "shared"))
FIXTURES = Path(__file__).parent / "fixtures"
HAND_MODELS = ("palm_full", "palm_lite", "hand_full", "hand_lite")
# the null device as a path that exists and is not a regular file (/dev/null), or None where it is not one
NULL_DEVICE = os.devnull if Path(os.devnull).exists() and not Path(os.devnull).is_file() else None
# tests that compare with LiteRT itself or choose it: where it has no wheel (Windows) handpose runs on onnxruntime
needs_litert = pytest.mark.skipif(not litert.available(), reason="needs LiteRT (ai-edge-litert), not installed here")
# OpenCV 4.11 (the last for numpy 1) has no GIF encoder
needs_gif = pytest.mark.skipif(not can_write_gif(), reason=f"this OpenCV ({cv2.__version__}) writes no GIF (4.12 and "
                               "newer do)")


def litert_marker() -> Marker:
    """The platforms pyproject.toml installs ai-edge-litert on, as its requirement's environment marker."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    marker = next(r.marker for r in map(Requirement, project["dependencies"]) if r.name == "ai-edge-litert")
    assert marker is not None, "ai-edge-litert should be required on some platforms only"
    return marker


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test with the reason."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared test data not available: {p} (set HANDPOSE_SHARED or clone with ../shared)")
    return p


@pytest.fixture(scope="session")
def models_ready() -> None:
    missing = [m for m in HAND_MODELS if model_state(m) != "present"]
    if missing:
        pytest.skip(f"models {missing} are not in the cache: run 'handpose models fetch' (make test does)")


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    return [shared_path("data", "photos", "open_hand.jpg"), shared_path("data", "photos", "thumbs_up.jpg")]


@pytest.fixture(scope="session")
def video_path() -> Path:
    return shared_path("data", "video", "hand_reach_640x360.mp4")


class FakeWindow:
    """OpenCV's window calls, recorded; ``keys`` are what waitKey returns and ``visible`` what the window's
    WND_PROP_VISIBLE reads, one per call (then none, and the last ``visible`` again); a reading of None raises
    cv2.error, as OpenCV's Qt build does once its window is closed ("NULL guiReceiver")."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, keys: list[int],
                 visible: list[float | None] | float = 1.0) -> None:
        self.keys, self.shown, self.images, self.destroyed = list(keys), [], [], []
        self.visible = list(visible) if isinstance(visible, list) else [visible]
        monkeypatch.setenv("DISPLAY", ":0")  # a desktop, as far as handpose can tell
        monkeypatch.setattr(cv2, "namedWindow", lambda name, flags=0: None)
        monkeypatch.setattr(cv2, "imshow", self._imshow)
        monkeypatch.setattr(cv2, "waitKey", lambda delay=0: self.keys.pop(0) if self.keys else -1)
        monkeypatch.setattr(cv2, "getWindowProperty", self._visible)
        monkeypatch.setattr(cv2, "destroyWindow", self.destroyed.append)

    def _imshow(self, name: str, image: np.ndarray) -> None:
        self.shown.append((name, image.shape))
        self.images.append(image.copy())

    def _visible(self, name: str, prop: int) -> float:
        reading = self.visible.pop(0) if len(self.visible) > 1 else self.visible[0]
        if reading is None:
            raise cv2.error("NULL guiReceiver (please create a window) in function 'cvGetPropVisible_QT'")
        return reading


@pytest.fixture()
def fake_window(monkeypatch: pytest.MonkeyPatch):
    """``fake_window(keys, visible=1.0)``: OpenCV's window calls replaced by a :class:`FakeWindow` (no display
    needed), which records what is shown and answers ``keys`` and ``visible``."""
    return lambda keys, visible=1.0: FakeWindow(monkeypatch, keys, visible)


@pytest.fixture()
def umask_022():
    """The common umask (0644 for a new file), whatever the test runner's is."""
    if sys.platform == "win32":
        pytest.skip("file modes are POSIX")
    old = os.umask(0o022)
    yield
    os.umask(old)
