from __future__ import annotations

import os
from pathlib import Path

import pytest

from handpose.registry import model_state

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HANDPOSE_SHARED", ROOT.parent / "shared"))
FIXTURES = Path(__file__).parent / "fixtures"
HAND_MODELS = ("palm_full", "palm_lite", "hand_full", "hand_lite")


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
