"""Client for the MediaPipe reference worker running in its own Python environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .errors import HandposeError

WORKER = Path(__file__).with_name("reference_worker.py")
_FIX = ("create it with 'make reference-env' (mediapipe==0.10.21 with protobuf<5) and pass "
        "--reference .venv-ref/bin/python")


def find_reference_python(explicit: str | None = None) -> str | None:
    """The reference environment's Python: the option, ``$HANDPOSE_REFERENCE_PYTHON``, or ``./.venv-ref``'s
    (``bin/python``, or ``Scripts/python.exe`` on Windows)."""
    for cand in (explicit, os.environ.get("HANDPOSE_REFERENCE_PYTHON"), ".venv-ref/bin/python",
                 ".venv-ref/Scripts/python.exe"):
        if cand and (Path(cand).is_file() or shutil.which(cand)):
            return cand
    return None


class ReferenceWorker:
    """mediapipe 0.10.21 in a subprocess; requests and answers are JSON lines."""

    def __init__(self, python: str):
        self.log = tempfile.NamedTemporaryFile(prefix="handpose-ref-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            self.proc = subprocess.Popen([python, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.log, text=True, bufsize=1, env=env)
        except OSError as e:
            raise HandposeError(f"cannot start the reference python {python}: {e}; {_FIX}") from e
        self.version = ""

    def call(self, cmd: str, **kw: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            tail = Path(self.log.name).read_text(errors="replace")[-600:]
            raise HandposeError(f"the MediaPipe reference worker stopped ({tail.strip() or 'no output'}); {_FIX}")
        ans = json.loads(line)
        if not ans.get("ok"):
            raise HandposeError(f"MediaPipe reference failed on {cmd}: {ans.get('error')}")
        return ans

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                assert self.proc.stdin is not None
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        finally:
            self.log.close()
            os.unlink(self.log.name)

    def __enter__(self) -> ReferenceWorker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def reference_cold_start(python: str, frame_path: str, api: str, palm: str, hand: str) -> dict[str, float]:
    env = {**os.environ, "GLOG_minloglevel": "2"}
    out = subprocess.run([python, str(WORKER), "--cold-start", frame_path, api, palm, hand], capture_output=True,
                         text=True, env=env, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise HandposeError(f"reference cold start failed: {out.stderr.strip()[-300:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
