"""Record LiteRT's outputs of the built-in models on handpose's fixed test pictures (src/handpose/data/
parity_reference.npz), so that a conversion to ONNX is verified where LiteRT is not installed (Windows).

Run it in the dev environment (ai-edge-litert installed) when a built-in model file changes:
    .venv/bin/python tools/record_parity_reference.py
"""

from __future__ import annotations

from pathlib import Path

from handpose.convert.recorded import FILE, MODELS, record
from handpose.registry import get_model

if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "src" / "handpose" / "data" / FILE
    record([get_model(name) for name in MODELS], path)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
