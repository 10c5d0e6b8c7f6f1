"""``handpose run --on LABEL=COMMAND``: a shell command for each gesture, the glue a kiosk or a prototype needs
without writing Python (a key press with xdotool, an MQTT or HTTP message, a sound)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import time
from typing import Any

from ..errors import HandposeError

log = logging.getLogger("handpose")


def hook_spec(text: str) -> tuple[str, str]:
    """``LABEL=COMMAND`` as ``--on`` takes it."""
    label, sep, command = text.partition("=")
    if not sep or not label.strip() or not command.strip():
        raise argparse.ArgumentTypeError(f"expected LABEL=COMMAND (e.g. thumbs_up='xdotool key space'), got {text!r}")
    return label.strip(), command.strip()


class CommandHooks:
    """Runs each ``(label, command)`` through the shell when a matching gesture starts (a held hand shape) or is
    done (a motion); a gesture's end runs nothing. The command runs in the background, so the stream never waits
    for it, with the event in its environment: ``HANDPOSE_GESTURE``, ``HANDPOSE_KIND``, ``HANDPOSE_PHASE``,
    ``HANDPOSE_SCORE``, ``HANDPOSE_TRACK_ID``, ``HANDPOSE_HANDEDNESS``, ``HANDPOSE_START_MS``. Its standard output
    goes to standard error, so that JSON Lines on standard output stay clean."""

    def __init__(self, hooks: list[tuple[str, str]]):
        self.hooks = hooks
        self.running: list[tuple[str, subprocess.Popen]] = []
        self.started = self.failed = 0

    def attach(self, recognizer: Any) -> None:
        """Register every hook with a GestureRecognizer; a label it cannot report is refused (see ``on``)."""
        for label, command in self.hooks:
            recognizer.on(label, lambda event, command=command: self._fire(command, event))

    def _fire(self, command: str, event: Any) -> None:
        if event.phase == "end":
            return
        self._reap()
        env = {**os.environ, "HANDPOSE_GESTURE": event.label, "HANDPOSE_KIND": event.kind,
               "HANDPOSE_PHASE": event.phase, "HANDPOSE_SCORE": f"{event.score:.4f}",
               "HANDPOSE_TRACK_ID": "" if event.track_id is None else str(event.track_id),
               "HANDPOSE_HANDEDNESS": event.handedness or "", "HANDPOSE_START_MS": f"{event.start_ms:.1f}"}
        try:
            process = subprocess.Popen(command, shell=True, env=env, stdin=subprocess.DEVNULL, stdout=2)
        except OSError as e:
            raise HandposeError(f"--on {event.label}: cannot run {command!r}: {e.strerror or e}") from None
        self.running.append((command, process))
        self.started += 1

    def _reap(self) -> None:
        """Forget the commands that have finished; a failure is reported once."""
        still = []
        for command, process in self.running:
            code = process.poll()
            if code is None:
                still.append((command, process))
            elif code != 0:
                self.failed += 1
                log.warning("--on command %r exited with %d", command, code)
        self.running = still

    def close(self, timeout_s: float = 10.0) -> None:
        """Wait (up to ``timeout_s`` in all) for the commands still running; those that go on are left running."""
        deadline = time.monotonic() + timeout_s
        for _, process in self.running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))
        self._reap()
        if self.running:
            log.warning("%d --on command(s) still running after %.0f s, left running", len(self.running), timeout_s)
