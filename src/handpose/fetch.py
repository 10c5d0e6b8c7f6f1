"""Obtain Google's pretrained ``.tflite`` files from the mediapipe wheel on the package index.

The wheel is a zip; only its model files are used. It is downloaded without dependencies and for a fixed
platform tag, so this works on any OS and Python. Every file is hash-checked and moved into place atomically.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterable
from pathlib import Path

from .atomic import replacing, unwritable
from .errors import FetchError, ModelError
from .registry import (
    MEDIAPIPE_WHEEL,
    ModelSpec,
    get_model,
    list_models,
    model_path,
    model_state,
    sha256_of,
    unwritable_cache_hint,
)

log = logging.getLogger("handpose")

# The model files are identical in every platform's wheel; these tags cover the published ones.
_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
_PYPI_JSON = "https://pypi.org/pypi/{name}/{version}/json"
_FIX = ("check that the package index is reachable (pip's own settings and proxies are used), or download "
        f"the wheel elsewhere (pip download --no-deps {MEDIAPIPE_WHEEL}) and run "
        "'handpose models fetch --wheel FILE'")


def fetchable(spec: ModelSpec) -> bool:
    return spec.source == MEDIAPIPE_WHEEL and spec.member is not None


def _pip_download(dest: Path, timeout: float) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
           "3.11", "--implementation", "cp", *[a for p in _PLATFORMS for a in ("--platform", p)],
           "--disable-pip-version-check", "--no-input", "--retries", "1", "--timeout", str(int(timeout)),
           "-d", str(dest), MEDIAPIPE_WHEEL]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wheels = sorted(dest.glob("mediapipe-*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = " | ".join(line.strip() for line in (proc.stderr or proc.stdout).splitlines()
                          if line.strip() and not line.startswith("WARNING"))[-400:]
        raise FetchError(f"could not download {MEDIAPIPE_WHEEL} from the package index ({tail or 'no output'}); "
                         + _FIX)
    return wheels[0]


def _urllib_download(dest: Path, timeout: float) -> Path:
    """Fallback when pip is not importable in this environment: PyPI's JSON API."""
    from tqdm import tqdm

    name, version = MEDIAPIPE_WHEEL.split("==")
    try:
        with urllib.request.urlopen(_PYPI_JSON.format(name=name, version=version), timeout=timeout) as r:
            files = json.load(r)["urls"]
        url = next(f["url"] for f in files if f["filename"].endswith(".whl") and "x86_64" in f["filename"])
        target = dest / url.rsplit("/", 1)[-1]
        with urllib.request.urlopen(url, timeout=timeout) as r, open(target, "wb") as out, tqdm(
            total=int(r.headers.get("Content-Length") or 0), unit="B", unit_scale=True, desc="mediapipe wheel",
            disable=None,
        ) as bar:
            for chunk in iter(lambda: r.read(1 << 20), b""):
                out.write(chunk)
                bar.update(len(chunk))
        return target
    except (OSError, ValueError, KeyError, StopIteration) as e:
        raise FetchError(f"could not download {MEDIAPIPE_WHEEL} from the package index ({e}); " + _FIX) from e


def download_wheel(dest: Path, timeout: float = 60.0) -> Path:
    try:
        import pip  # noqa: F401
    except ImportError:
        return _urllib_download(dest, timeout)
    return _pip_download(dest, timeout)


def _install_member(zf: zipfile.ZipFile, spec: ModelSpec) -> Path:
    target = model_path(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        info = zf.getinfo(spec.member or "")
    except KeyError as e:
        raise FetchError(f"{spec.member} is not in the wheel: is it really {MEDIAPIPE_WHEEL}?") from e
    with replacing(target) as tmp:  # atomic: readers see the old file or the whole new one
        with open(tmp, "wb") as out, zf.open(info) as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        digest = sha256_of(tmp)
        if spec.sha256 and digest != spec.sha256:
            raise FetchError(f"{spec.name}: SHA-256 mismatch (expected {spec.sha256}, got {digest}); "
                             "the download is damaged or not the official wheel, nothing was installed")
    return target


def _refuse_unwritable(specs: list[ModelSpec]) -> None:
    """Found out before a 36 MB download, not after it."""
    folder = model_path(specs[0]).parent
    why = unwritable(folder)
    if why is not None:
        raise FetchError(f"cannot write into the model cache {folder} ({why}) to fetch "
                         f"{', '.join(s.name for s in specs)}: {unwritable_cache_hint(folder)}")


def fetch(names: Iterable[str] | None = None, *, wheel: str | Path | None = None, force: bool = False,
          timeout: float = 60.0) -> list[Path]:
    """Fetch models into the cache (idempotent). ``names`` defaults to every fetchable model."""
    specs = [get_model(n) for n in dict.fromkeys(names)] if names else [m for m in list_models() if fetchable(m)]
    for spec in specs:
        if not fetchable(spec):
            raise ModelError(f"{spec.name} is a user model; it is not fetched from {MEDIAPIPE_WHEEL}")
    todo = [s for s in specs if force or model_state(s) != "present"]
    if todo:
        _refuse_unwritable(todo)
        with tempfile.TemporaryDirectory(prefix="handpose-fetch-") as tmp:
            if wheel is None:
                log.info("downloading %s (about 36 MB, models only, no dependencies) from the package index",
                         MEDIAPIPE_WHEEL)
                wheel_path = download_wheel(Path(tmp), timeout)
            else:
                wheel_path = Path(wheel)
                if not wheel_path.is_file():
                    raise FetchError(f"wheel file not found: {wheel_path}")
            try:
                with zipfile.ZipFile(wheel_path) as zf:
                    for spec in todo:
                        _install_member(zf, spec)
                        log.info("fetched %s -> %s", spec.name, model_path(spec))
            except zipfile.BadZipFile as e:
                raise FetchError(f"{wheel_path} is not a valid wheel (zip) file: {e}") from e
    return [model_path(s) for s in specs]


def ensure_model(name: str) -> Path:
    """The path of a verified model file; a missing one is fetched once (unless ``HANDPOSE_OFFLINE=1``)."""
    spec = get_model(name)
    state = model_state(spec)
    if state == "present":
        return model_path(spec)
    if state == "corrupt":
        raise ModelError(f"model file {model_path(spec)} is corrupt (hash mismatch); "
                         f"run 'handpose models fetch --force {spec.name}'")
    if not fetchable(spec):
        hint = f"; make it with '{spec.source}'" if spec.source.startswith("handpose ") else ""
        raise ModelError(f"model file of {spec.name} not found: {model_path(spec)}{hint}")
    if os.environ.get("HANDPOSE_OFFLINE", "") not in ("", "0"):
        raise ModelError(f"model {spec.name} is not in the cache ({model_path(spec)}) and HANDPOSE_OFFLINE is "
                         f"set; run 'handpose models fetch' once with network access")
    _refuse_unwritable([spec])
    print(f"handpose: model {spec.name} is not in the cache; fetching Google's models from {MEDIAPIPE_WHEEL} "
          f"on the package index into {model_path(spec).parent} (once)", file=sys.stderr)
    fetch([m.name for m in list_models() if fetchable(m) and m.task in ("palm_detection", "hand_landmark")]
          + [spec.name])
    return model_path(spec)
