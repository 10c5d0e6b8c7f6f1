"""``handpose`` command line: one sub-command per job, one error style, non-zero exit on failure."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from .._version import __version__
from ..errors import HandposeError

Handler = Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="handpose",
        description="Real-time hand pose estimation and gesture recognition.",
        epilog="SOURCE may be an image, a folder, a glob, a video file, a camera index or an rtsp/http URL. "
               "Run 'handpose COMMAND --help' for a command's options.",
    )
    p.add_argument("--version", action="version", version=f"handpose {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="print debug information")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        mod.add_parser(sub)
    return p


def _command_modules() -> list:
    from . import doctor, models

    mods = [models, doctor]
    for name in ("run", "gestures", "bench", "evaluate"):
        try:
            mods.append(__import__(f"handpose.cli.{name}", fromlist=["add_parser"]))
        except ModuleNotFoundError as e:
            if e.name != f"handpose.cli.{name}":
                raise
    return mods


def _quiet_native_logs() -> None:
    """Keep OpenCV's and FFmpeg's own warnings (a camera that is not there, a refused stream) off the terminal:
    handpose says what went wrong in one line; ``-v`` shows them again."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # read when FFmpeg first opens something
    try:
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except (ImportError, AttributeError):  # a build without the logging utilities
        pass


def _configure_logging(verbose: bool) -> None:
    """handpose's own messages from INFO up; other libraries' only from WARNING up (ONNX Runtime's quantizer logs
    each scale it adjusts at INFO, on the root logger), unless ``-v`` asks for everything."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="handpose: %(message)s",
                        stream=sys.stderr)
    logging.getLogger("handpose").setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not args.verbose:
        _quiet_native_logs()
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except HandposeError as e:
        print(f"handpose: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("handpose: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:  # the file system refused (permissions, a folder where a file goes, a full disk)
        if args.verbose:
            raise
        where = f": {e.filename}" if e.filename else ""
        print(f"handpose: error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug, not bad input: say so briefly, full trace with -v
        if args.verbose:
            raise
        print(f"handpose: internal error: {type(e).__name__}: {e} (run with -v for the traceback and "
              "please report it)", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
