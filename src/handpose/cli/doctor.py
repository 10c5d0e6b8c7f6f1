"""``handpose doctor``: what this machine has, what handpose can use, and what is missing (with the fix)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from typing import Any

from .._version import __version__
from ..atomic import unwritable
from ..convert import made_by_older_converter
from ..engines import onnxrt
from ..fetch import fetchable
from ..machine import cpu_name, package_version
from ..quantize import outdated_recipe, requantize_hint
from ..registry import get_model, home, list_models, model_path, model_state, models_dir, unwritable_cache_hint


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check the installation: runtimes, providers, GPU, model cache")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_doctor)


def _gui() -> str | None:
    """OpenCV's window backend (GTK, QT, Win32, Cocoa), or None for a headless build."""
    import cv2

    for line in cv2.getBuildInformation().splitlines():
        key, _, value = line.strip().partition(":")
        if key == "GUI":
            value = value.strip()
            return None if value.upper() in ("", "NONE") else value
    return None


def _litert_has_a_wheel(system: str | None = None, machine: str | None = None) -> bool:
    """Where handpose installs ai-edge-litert (pyproject.toml's marker): Linux and Apple silicon. Elsewhere (an Intel
    Mac has no wheel after 1.0.1; Windows wheels are untried) ONNX Runtime is the engine, and nothing is missing."""
    system, machine = system or platform.system(), machine or platform.machine()
    return system == "Linux" or (system == "Darwin" and machine == "arm64")


def collect() -> dict[str, Any]:
    from ..engines import available_engines, resolve_engine

    report: dict[str, Any] = {
        "handpose": __version__,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "os": platform.platform(),
        "cpu": f"{cpu_name()} ({os.cpu_count()} cores)",
        "gpu": None,
        "packages": {d: package_version(d) for d in ("numpy", "opencv-python-headless", "opencv-python",
                                                       "ai-edge-litert", "onnxruntime", "onnxruntime-gpu", "onnx",
                                                       "tflite", "torch", "tensorrt", "tqdm")},
        "engines": {},
        "models": {},
        "gui": _gui(),
        "cache": str(home()),
        "cache_unwritable": _cache_unwritable(),
        "missing": [],
    }
    if shutil.which("nvidia-smi"):
        import subprocess

        try:  # a wedged driver must not hang the check
            out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=10)
            report["gpu"] = out.stdout.strip() or None
        except (OSError, subprocess.TimeoutExpired) as e:
            report["gpu"] = f"nvidia-smi failed ({type(e).__name__})"
    engines = available_engines()
    if "litert" in engines:
        report["engines"]["litert"] = {"delegates": ["XNNPACK (CPU)"]}
    if "onnxruntime" in engines:
        import onnxruntime as ort

        listed = ort.get_available_providers()
        report["engines"]["onnxruntime"] = {"providers": listed, "device": ort.get_device()}
        if "CUDAExecutionProvider" in listed:  # listed is not enough: its libraries load only when a session asks
            report["engines"]["onnxruntime"]["cuda_starts"] = onnxrt.starts("CUDAExecutionProvider")
    if "torch" in engines:
        import torch

        report["engines"]["torch"] = {"devices": ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])}
    try:
        report["engines"]["auto"] = resolve_engine("auto")
    except Exception as e:  # no engine at all
        report["engines"]["auto"] = f"none ({e})"
    for spec in list_models():
        converted = model_path(spec, ".onnx")
        report["models"][spec.name] = {"state": model_state(spec), "path": str(model_path(spec)),
                                       "onnx": converted.is_file(),
                                       "onnx_old": converted.is_file() and made_by_older_converter(converted),
                                       # not fetched (the INT8 ones are made by 'models quantize'): optional
                                       "optional": None if fetchable(spec) else spec.source,
                                       "outdated": outdated_recipe(spec)}

    fix = report["missing"]
    pk = report["packages"]
    if not pk["opencv-python-headless"] and not pk["opencv-python"]:
        fix.append("OpenCV: pip install opencv-python-headless")
    if "litert" not in engines and _litert_has_a_wheel():
        fix.append("LiteRT engine (fastest on CPU): pip install ai-edge-litert")
    if "onnxruntime" not in engines:
        fix.append("ONNX Runtime engine: pip install onnxruntime (or onnxruntime-gpu for CUDA/TensorRT)")
    if not pk["onnx"] or not pk["tflite"]:
        fix.append("model conversion to ONNX: pip install onnx tflite")
    ort_info = report["engines"].get("onnxruntime", {})
    if onnxrt.installed_twice():
        fix.append(onnxrt.BOTH_WHEELS)
    elif ort_info.get("cuda_starts") is False:
        fix.append("onnxruntime lists CUDA but could not start it (engine='auto' runs on the CPU): "
                   + onnxrt.why_not_started(["CUDAExecutionProvider"]))
    if report["gpu"] and "CUDAExecutionProvider" not in ort_info.get("providers", []):
        fix.append(f"a GPU is present but onnxruntime has no CUDA provider: {onnxrt.GPU_FIX}")
    bad = [n for n, m in report["models"].items()
           if m["state"] != "present" and n.startswith(("palm", "hand")) and not m["optional"]]
    if bad:
        fix.append(f"models {', '.join(bad)} not in the cache: handpose models fetch")
    fix += [requantize_hint(get_model(n)) for n, m in report["models"].items() if m["outdated"]]
    if bad and report["cache_unwritable"]:
        folder = models_dir()
        fix.append(f"the model cache {folder} cannot be written ({report['cache_unwritable']}): "
                   f"{unwritable_cache_hint(folder)}")
    return report


def _cache_unwritable() -> str | None:
    """Why the model cache cannot take a new file, tried on its nearest existing folder (nothing is made)."""
    folder = models_dir()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    return unwritable(existing) if existing.is_dir() else f"{existing} is not a folder"


def cmd_doctor(args: argparse.Namespace) -> int:
    r = collect()
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"handpose {r['handpose']}  Python {r['python']} ({r['executable']})")
    print(f"OS       {r['os']}")
    print(f"CPU      {r['cpu']}")
    print(f"GPU      {r['gpu'] or 'none found (nvidia-smi not available)'}")
    print("packages " + ", ".join(f"{k} {v}" for k, v in r["packages"].items() if v))
    for name, info in r["engines"].items():
        if name == "auto":
            continue
        detail = info.get("delegates") or info.get("providers") or info.get("devices")
        cuda = {True: " (CUDA starts)", False: " (CUDA listed, does not start)"}.get(info.get("cuda_starts"), "")
        print(f"engine   {name}: {', '.join(detail)}{cuda}")
    print(f"auto     engine='auto' uses {r['engines']['auto']}")
    from ..draw import GUI_FIX, no_display

    reason = no_display()
    windows = (f"no: headless OpenCV, fine for files and servers; for --show and camera recording: {GUI_FIX}"
               if not r["gui"] else f"{r['gui']}, but {reason}: no --show here" if reason else
               f"{r['gui']} (--show works)")
    print(f"windows  {windows}")
    print(f"cache    {r['cache']}" + (f" (read-only here: {r['cache_unwritable']})" if r["cache_unwritable"] else ""))
    for name, m in r["models"].items():
        hint = f"  (optional: {m['optional']})" if m["optional"] and m["state"] == "missing" else ""
        onnx = "old" if m["onnx_old"] else "yes" if m["onnx"] else "no"
        state = "outdated" if m["outdated"] else m["state"]
        print(f"  {name:<15} {state:<8} onnx={onnx:<4} {m['path']}{hint}")
    if r["missing"]:
        print("missing:")
        for line in r["missing"]:
            print(f"  - {line}")
    else:
        print("everything needed is installed")
    return 0
