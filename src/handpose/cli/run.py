"""``handpose run SOURCE``: hands (and gestures) of any source, to an annotated video/GIF/folder, JSON Lines, CSV."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from ..camera import Camera
from ..errors import HandposeError, InputError, OutputError
from ..outputs import check_distinct, check_not_input, check_writable
from ..sinks import (
    VIDEO_FOURCC,
    CocoSink,
    CsvSink,
    FolderSink,
    JsonlSink,
    OscSink,
    Preview,
    UdpSink,
    VideoSink,
    WebSocketSink,
    check_movie_format,
    is_movie,
    movie_sink,
)
from ..sources import IMAGE_EXTS, KIND_NAMES, VideoFiles
from .hooks import CommandHooks, hook_spec
from .numbers import (
    add_part_options,
    add_tune_option,
    at_least,
    frame_size,
    positive,
    probability,
    seconds,
    tuning,
    video_part,
    zoom,
)

log = logging.getLogger("handpose")
RecordSink = JsonlSink | CsvSink | CocoSink | UdpSink | WebSocketSink


def _camera(text: str) -> Camera:
    try:
        return Camera.parse(text)
    except HandposeError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_tracker_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs the pipeline."""
    p.add_argument("--model", default="full", choices=["full", "lite", "full-int8", "lite-int8"],
                   help="model variant (default: full; *-int8 after 'handpose models quantize')")
    p.add_argument("--engine", default="auto", choices=["auto", "litert", "onnxruntime", "torch"],
                   help="inference engine (default: auto = fastest available)")
    p.add_argument("--max-hands", type=at_least(1), default=2, help="most hands to find per frame (default: 2)")
    p.add_argument("--min-detection-confidence", type=probability, default=None, metavar="P",
                   help="palm detections scoring below P are dropped, and one under 0.5 is a hand only if the "
                        "landmark model is sure of it (default: 0.1 for images, finding blurred and cut-off hands, "
                        "0.5 for video; raise it against false hands)")
    p.add_argument("--min-presence", type=probability, default=0.5, metavar="P",
                   help="a hand whose landmark model's presence score falls below P is dropped (video mode: "
                        "the detector looks for it again; default: 0.5)")
    p.add_argument("--camera", type=_camera, default=None, metavar="FOV|FX,FY,CX,CY",
                   help="the camera's horizontal field of view in degrees, or its calibrated intrinsics in pixels: "
                        "every hand is also placed in 3D in front of it (metres; JSON 'camera', CSV camx0...)")
    p.add_argument("--mirrored", action="store_true", help="the input is a mirrored selfie view")
    p.add_argument("--flip", action="store_true",
                   help="mirror every frame left to right first, the selfie view webcam apps show: the picture, the "
                        "keypoints and swipes move the way the person moves (a webcam with --show; gesture models "
                        "trained on selfie-view data)")
    p.add_argument("--gray", default="skin", choices=["skin", "plain"],
                   help="how gray frames (infrared and monochrome cameras) reach the colour-trained models: in a "
                        "skin tone, which finds far more hands (default), or plain; colour frames are untouched")
    p.add_argument("--zoom", type=zoom, default=1.0, metavar="Z",
                   help="also look for far and small hands in overlapping tiles seen Z times closer than the whole "
                        "frame (e.g. 2 or 3; image mode: slower by a detector run per tile; video mode: the tiles "
                        "take turns with the whole frame at no extra cost; default: 1, off)")
    p.add_argument("--threads", type=at_least(1), default=None, help="threads per model (default: cores, up to 4)")
    p.add_argument("--providers", default=None,
                   help="ONNX Runtime execution providers, in order of preference: e.g. 'tensorrt,cuda,cpu' on an "
                        "NVIDIA GPU or Jetson with onnxruntime-gpu (implies --engine onnxruntime)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="find hands in an image, folder, glob, video, camera or stream",
                       description="Find hands and their 21 keypoints in SOURCE; write an annotated copy, "
                                   "JSON Lines (one object per processed frame or image) and/or a CSV (one row per "
                                   "hand).")
    p.add_argument("source", help="image, folder, glob (quoted), video file, camera index (0) or rtsp/http URL")
    p.add_argument("--output", "-o", help="annotated output: a video (.mp4/.avi), a .gif, or a folder")
    p.add_argument("--json", help="write JSON Lines here ('-' for standard output)")
    p.add_argument("--csv", help="write a CSV here, one row per hand per frame ('-' for standard output)")
    p.add_argument("--coco", metavar="FILE",
                   help="images: write the hands found as COCO keypoint annotations (a 'hand' category, 21 named "
                        "keypoints, the skeleton), pre-labels for an annotation tool (CVAT, FiftyOne) or a training "
                        "set; once corrected, 'handpose eval FILE --images ROOT' scores against them")
    p.add_argument("--udp", metavar="HOST:PORT", help="send each frame's JSON record as one UDP datagram (game "
                   "engines, TouchDesigner, ROS bridges)")
    p.add_argument("--osc", metavar="HOST:PORT", help="send each frame as one Open Sound Control bundle over UDP "
                   "(TouchDesigner, Max/MSP, Pure Data, Wekinator, VRChat)")
    p.add_argument("--ws", metavar="[HOST:]PORT",
                   help="serve each frame's JSON record to WebSocket clients (web pages, web apps, Unity, Godot) "
                        "and a live viewer at http://HOST:PORT/; PORT alone: this machine only, 0.0.0.0:PORT: "
                        "other machines too")
    p.add_argument("--ws-wait", type=at_least(1), default=None, metavar="N",
                   help="with --ws: wait until N clients are connected before the first frame")
    p.add_argument("--ws-video", nargs="?", type=at_least(16), const=640, default=None, metavar="WIDTH",
                   help="with --ws: send each frame too, as a JPEG at most WIDTH pixels wide (default 640), for the "
                        "viewer to draw the hands on; nothing is encoded while no client is connected")
    p.add_argument("--ws-origin", action="append", default=[], metavar="ORIGIN",
                   help="with --ws: a web page that may connect besides the viewer, e.g. http://localhost:3000 "
                        "('null': a page opened from a file; '*': any page); repeatable")
    p.add_argument("--show", action="store_true", help="show the annotated frames in a window (q to quit; "
                   "images: any other key for the next)")
    p.add_argument("--world", action="store_true", help="annotated frames: each hand's 3D world landmarks in an "
                   "inset at the top right, seen from the side")
    p.add_argument("--mode", choices=["image", "video"], default=None,
                   help="image: detector on every input; video: tracking (default: image for pictures, "
                        "video for videos, cameras and streams)")
    p.add_argument("--no-smooth", action="store_true", help="turn off One-Euro smoothing in video mode")
    p.add_argument("--detect-every", type=at_least(1), default=8,
                   help="video mode: while fewer than --max-hands are tracked, look for new hands every N frames")
    p.add_argument("--gestures", default=None,
                   help="recognize gestures: 'builtin', a rules .toml, a trained .npz, or several joined by commas")
    p.add_argument("--no-dynamic", action="store_true",
                   help="with --gestures: no motions (swipes, circles, waves, push, zoom, ...)")
    p.add_argument("--on", type=hook_spec, action="append", default=[], metavar="LABEL=COMMAND",
                   help="with --gestures: run a shell command when the gesture LABEL starts (a motion: is done; "
                        "'*' any), in the background, the event in HANDPOSE_* variables; repeatable")
    add_tune_option(p, "with --gestures: set a parameter of the motions or of held gestures' debounce, e.g. "
                       "swipe_min_distance=2 or hold_ms=300")
    p.add_argument("--limit", type=at_least(1), default=None, help="stop after N frames")
    p.add_argument("--stride", type=at_least(1), default=1,
                   help="videos: process every Nth frame (the others are skipped undecoded; times stay true)")
    add_part_options(p, "process")
    p.add_argument("--size", type=frame_size, default=None, metavar="WxH",
                   help="cameras: ask for frames of this size, e.g. 1280x720 (for far hands; compressed MJPG, which "
                        "USB webcams need for large frames at full rate)")
    p.add_argument("--fps", type=positive, default=None,
                   help="cameras: ask for this frame rate; a folder of frames: the rate they were taken at "
                        "(default 25), for their times, tracking and an annotated video's speed")
    p.add_argument("--reconnect", type=seconds, default=30.0, metavar="S",
                   help="a network stream that drops is reconnected to for up to S seconds (default 30; 0: the "
                        "run ends at the first drop)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    add_tracker_options(p)
    p.set_defaults(handler=cmd_run)


def _open_sink(output: str, src: Any, first_shape: tuple[int, int], overwrite: bool) -> Any:
    path = Path(output)
    suffix = path.suffix.lower()
    fps = (src.fps or 25.0) / getattr(src, "stride", 1)  # a strided video plays at its true speed
    if src.kind == "images":
        if is_movie(path):
            return movie_sink(path, 5 if suffix == ".gif" else fps, first_shape, overwrite)
        if _is_image_file(path):
            return FolderSink(path.parent, overwrite, filename=path.name)
        return FolderSink(path, overwrite, root=src.root)
    if is_movie(path):
        return movie_sink(path, fps, first_shape, overwrite)
    if suffix:
        raise InputError(f"--output {output}: unsupported format {suffix} (use {', '.join(VIDEO_FOURCC)}, .gif or "
                         "a folder)")
    stem = Path(src.name).stem if src.kind == "video" else src.name.replace(":", "_").replace("/", "_")
    return VideoSink(path / f"{stem}.mp4", fps, first_shape, overwrite)


def _is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTS and not path.is_dir()


def _check_image_output(output: str, src: Any) -> None:
    """One image goes to an image file or a folder; several go to a folder or a video (checked before the work)."""
    path = Path(output)
    if src.total == 1 and is_movie(path):
        raise InputError(f"--output {output}: for an image input, give a folder or an image file name")
    if src.total != 1 and _is_image_file(path):
        raise InputError(f"--output {output}: {src.name} holds {src.total} images; give a folder for their "
                         "annotated copies, or a video file (.mp4, .gif) to show them in turn")


def _sink_path(sink: Any) -> str:
    if isinstance(sink, FolderSink):
        return str(sink.folder / sink.filename) if sink.filename else str(sink.folder)
    return str(sink.path)


def _video_outputs(output: str | None, src: Any, overwrite: bool) -> list[Path | None]:
    """Where each video of a folder or glob goes: ``output/<its path below the videos' common folder>.mp4``,
    all checked before the first is processed."""
    if not output:
        return [None] * len(src.files)
    folder = Path(output)
    if folder.suffix:
        raise InputError(f"--output {output}: {src.name} holds {len(src.files)} videos; give a folder for their "
                         "annotated copies")
    targets = [folder / p.resolve().relative_to(src.root).with_suffix(".mp4") for p in src.files]
    for target, p in zip(targets, src.files, strict=True):
        if targets.count(target) > 1:
            raise InputError(f"two inputs would both be written to {target}, {p} among them")
        check_not_input(target, src.files)
        check_writable(target, overwrite, make_folders=False)
    return targets


class _Run:
    """One ``handpose run``: the tracker, sinks and counts shared by every video of the source."""

    def __init__(self, args: argparse.Namespace, tracker: Any, records: list[RecordSink],
                 window: Preview | None = None):
        self.args, self.tracker, self.records, self.window = args, tracker, records, window
        self.processed = self.skipped = self.hands = self.pictures = 0
        self.outputs: list[str] = []

    def process(self, src: Any, output: str | Path | None) -> bool:
        """Process one image sequence, video or live source; False when the user asked to stop."""
        from tqdm import tqdm

        from ..draw import EventBanner, draw_fps, draw_hands, draw_world

        args, tracker = self.args, self.tracker
        tracker.reset()
        # each video has its own timeline: a motion shown until 5 s into the last one must not linger in this one
        banner = EventBanner() if tracker.gesture_classifier is not None else None
        sink, hands, done = None, None, 0
        # what each photo holds, unless standard output carries the records (a video's frames go by too fast to read)
        say_each = src.kind == "images" and "-" not in (args.json, args.csv)
        pictures_to = next((s for s in self.records if isinstance(s, WebSocketSink)), None) if args.ws_video else None
        left = args.limit - self.processed - self.skipped if args.limit else None
        total = min(src.total, left) if src.total and left else src.total
        bar = tqdm(total=total, unit="frame" if src.kind != "images" else "img", disable=None, file=sys.stderr,
                   desc=Path(src.name).name or src.name, dynamic_ncols=True)
        t0, fps, go_on = time.perf_counter(), 0.0, True

        def skip(reason: str) -> None:
            bar.write(f"handpose: skipped {reason}", file=sys.stderr)

        try:
            for frame in src:
                if left is not None and done >= left:
                    break
                done += 1
                bar.update(1)
                began = time.perf_counter()
                hands = tracker.process_frame(frame, on_skip=skip)
                if hands is None:
                    self.skipped += 1
                    continue
                if say_each:
                    bar.write(f"{frame.source}: {hands.summary()} ({(time.perf_counter() - began) * 1e3:.1f} ms)",
                              file=sys.stdout)
                self.processed += 1
                self.hands += len(hands)
                if pictures_to is not None:  # the picture first, so that its record can be drawn on it
                    self.pictures += pictures_to.write_image(frame.image, args.ws_video)
                if self.records:
                    record = hands.to_dict(frame.source)
                    for writer in self.records:
                        writer.write(record)
                if output or args.show:
                    annotated = draw_hands(frame.image, hands)
                    if args.world:
                        draw_world(annotated, hands, copy=False)
                    if banner is not None:
                        banner.draw(annotated, hands)
                    if src.live:
                        now = time.perf_counter()
                        fps = 0.9 * fps + 0.1 / max(now - t0, 1e-6) if fps else 1 / max(now - t0, 1e-6)
                        t0 = now
                        draw_fps(annotated, fps)
                    if output:
                        if sink is None:
                            sink = _open_sink(str(output), src, (annotated.shape[1], annotated.shape[0]),
                                              args.overwrite)
                            self.outputs.append(_sink_path(sink))
                        # a live source's frames come when processing allows: their times keep playback real
                        sink.write(annotated, frame.source, frame.timestamp_ms if src.live else None)
                    # a photo stays until a key is pressed; frames of a video or camera go by
                    if self.window is not None and not self.window.show(annotated, pause=src.kind == "images"):
                        go_on = False
                        break
        except KeyboardInterrupt:  # Ctrl+C ends a camera run: what was held ends there too, then the run stops
            self._end_gestures(src.name, hands)
            raise
        else:
            self._end_gestures(src.name, hands)
        finally:
            bar.close()
            if sink is not None:
                sink.close()
        return go_on and (left is None or done < left)

    def _end_gestures(self, source: str, hands: Any) -> None:
        """Gestures still held end with the input; one closing object carries their end events."""
        classifier = self.tracker.gesture_classifier
        if classifier is None or hands is None:
            return
        ended = classifier.finish()
        if ended:
            for writer in self.records:
                writer.write({"source": source, "end_of_stream": True, "frame": None,
                              "timestamp_ms": round(hands.timestamp_ms, 3), "hands": [],
                              "events": [e.to_dict() for e in ended]})


def _check_outputs(args: argparse.Namespace, src: Any) -> list[Path | None]:
    """Every output named checked before any is created or any work done; the output of each video of a list."""
    for option, given in (("--ws-wait", args.ws_wait), ("--ws-video", args.ws_video),
                          ("--ws-origin", args.ws_origin)):
        if given and not args.ws:
            raise InputError(f"{option} is for WebSocket clients: add --ws PORT")
    if args.json == "-" and args.csv == "-":
        raise InputError("--json - and --csv -: only one of them can go to standard output")
    if args.coco and src.kind != "images":
        raise InputError(f"--coco annotates pictures, and {args.source} is {KIND_NAMES.get(src.kind, src.kind)}: "
                         "give it images (a file, folder or glob), e.g. a video's frames saved first with "
                         "'ffmpeg -i clip.mp4 -vf fps=2 frames/%06d.jpg'; a video's hands go to --json or --csv")
    if args.coco == "-":
        raise InputError("--coco writes one JSON document when the run ends: give it a file name")
    check_distinct({"--output": args.output, "--json": args.json, "--csv": args.csv, "--coco": args.coco})
    for output in (args.output, args.json, args.csv, args.coco):
        if output and output != "-":
            check_not_input(Path(output), src.files)
    if src.kind == "images" and args.output:
        _check_image_output(args.output, src)
    targets = _video_outputs(args.output, src, args.overwrite) if src.kind == "videos" else []
    video_file = args.output if src.kind != "images" and Path(args.output or "").suffix else None
    for output in (args.json, args.csv, args.coco, video_file):
        if output and output != "-":
            check_writable(Path(output), args.overwrite, make_folders=False)
    if args.output:
        check_movie_format(Path(args.output))
    return targets


def _summary(args: argparse.Namespace, src: Any, run: _Run, engine: str, mode: str, hooks: CommandHooks | None,
             records: list[RecordSink]) -> None:
    """What was processed and where the outputs went: on standard error when standard output carries records."""
    what = {"images": "image", "videos": f"frame of {len(src.files)} videos"}.get(src.kind, "frame")
    if run.processed != 1:
        what = what.replace("image", "images").replace("frame", "frames")
    hands = f"{run.hands} hand{'s' if run.hands != 1 else ''}"
    print(f"handpose: {run.processed} {what} processed, {hands} found, {run.skipped} skipped "
          f"(engine {engine}, mode {mode})", file=sys.stderr)
    said = []  # where the outputs went
    if run.outputs:
        said.append(f"annotated output: {', '.join(run.outputs) if len(run.outputs) < 4 else Path(args.output)}")
    if args.json and args.json != "-":
        said.append(f"json lines: {args.json}")
    if args.csv and args.csv != "-":
        said.append(f"csv: {args.csv}")
    if hooks is not None:
        said.append(f"on: {hooks.started} commands started" + (f", {hooks.failed} failed" if hooks.failed else ""))
    for sink in records:
        if isinstance(sink, CocoSink):
            said.append(f"coco: {sink.name} ({len(sink.images)} images, {len(sink.annotations)} hands)")
        if isinstance(sink, UdpSink):  # and OscSink
            said.append(f"{sink.option[2:]}: {sink.sent} {sink.unit} to {sink.target}"
                        + (f", {sink.dropped} not sent" if sink.dropped else ""))
        if isinstance(sink, WebSocketSink):
            server = sink.server
            said.append(f"websocket: {server.sent} messages to {server.served} "
                        f"client{'s' if server.served != 1 else ''} at {sink.url}"
                        + (f", {run.pictures} frames sent as pictures" if args.ws_video else "")
                        + (f", {server.dropped} dropped for slow clients" if server.dropped else "")
                        + (f", {server.refused} web pages refused (see --ws-origin)" if server.refused else ""))
    if said:  # on standard error when standard output carries the JSON Lines or the CSV
        print("\n".join(said), file=sys.stderr if "-" in (args.json, args.csv) else sys.stdout)


def cmd_run(args: argparse.Namespace) -> int:
    from ..pipeline import HandTracker
    from ..sources import VideoFile, camera_request, open_source

    tuned = tuning(args)
    if tuned and args.gestures is None:
        raise InputError("--tune sets parameters of gesture recognition: add --gestures (e.g. --gestures builtin)")
    asked = camera_request(args.source, args.size, None)
    if args.fps:  # a camera's rate to ask for, or the rate a folder of frames was taken at
        asked["fps"] = args.fps
    part = video_part(args)
    src = open_source(args.source, reconnect_s=args.reconnect, **asked, **part)
    with src:
        if args.stride > 1:
            if isinstance(src, (VideoFile, VideoFiles)):
                src.every(args.stride)
            else:
                raise InputError(f"--stride is for video files, and {args.source} is "
                                 f"{KIND_NAMES.get(src.kind, src.kind)}")
        mode = args.mode or ("image" if src.kind == "images" else "video")
        tracker = HandTracker(args.model, args.engine, max_hands=args.max_hands, mode=mode,
                              smooth=False if args.no_smooth else None, mirrored=args.mirrored, flip=args.flip,
                              detect_every=args.detect_every, threads=args.threads, gestures=args.gestures,
                              min_detection_confidence=args.min_detection_confidence,
                              min_presence=args.min_presence, camera=args.camera, zoom=args.zoom,
                              gray=args.gray, providers=_providers(args))
        if args.no_dynamic and tracker.gesture_classifier is not None:
            tracker.gesture_classifier.dynamic = None
        if tuned:
            tracker.gesture_classifier.tune(**tuned)
        hooks = CommandHooks(args.on) if args.on else None
        if hooks is not None:
            if tracker.gesture_classifier is None:
                raise InputError("--on runs commands on gestures: add --gestures (e.g. --gestures builtin)")
            hooks.attach(tracker.gesture_classifier)
        targets = _check_outputs(args, src)
        window = None
        if args.show:  # before the work: is there a window to show in?
            try:
                window = Preview("handpose")
            except InputError as e:
                raise InputError(f"--show: {e}") from e
        records: list[RecordSink] = []
        run = _Run(args, tracker, records, window)
        try:
            if args.udp:
                records.append(UdpSink(args.udp))
            if args.osc:
                records.append(OscSink(args.osc))
            if args.ws:  # before the files: a port in use is refused with nothing written yet
                records.append(_serve_ws(args.ws, args.ws_wait, args.ws_origin))
            if args.json:
                records.append(JsonlSink(args.json, args.overwrite))
            if args.csv:
                records.append(CsvSink(args.csv, args.overwrite, camera=args.camera is not None))
            if args.coco:
                records.append(CocoSink(args.coco, args.overwrite, root=getattr(src, "root", None)))
            if not isinstance(src, VideoFiles):
                run.process(src, args.output)
            else:
                _each_video(run, src, targets)
        finally:
            for sink in records:
                sink.close()
            if hooks is not None:
                hooks.close()
            if window is not None:
                window.close()
    _summary(args, src, run, tracker.engine, mode, hooks, records)
    if run.processed == 0:
        raise HandposeError(f"nothing could be processed from {args.source}")
    return 0


def _each_video(run: _Run, videos: VideoFiles, targets: list[Path | None]) -> None:
    """The videos of a folder or glob in turn, each to its own annotated copy; one that cannot be read is
    reported, and the run goes on."""
    for path, target in zip(videos.files, targets, strict=True):
        try:
            with videos.video(path) as video:
                if not run.process(video, target):
                    break
        except OutputError:  # a full disk fails every video after it too
            raise
        except InputError as e:
            run.skipped += 1
            print(f"handpose: skipped {e}", file=sys.stderr)


def _serve_ws(target: str, wait: int | None, origins: list[str]) -> WebSocketSink:
    """The WebSocket sink, announced on standard error (standard output may carry the records)."""
    sink = WebSocketSink(target, origins=origins)
    print(f"handpose: serving {sink.url} (live viewer: {sink.url.replace('ws://', 'http://', 1)}/)",
          file=sys.stderr)
    if wait:
        print(f"handpose: waiting for {wait} WebSocket client{'s' if wait > 1 else ''} (Ctrl+C to stop)",
              file=sys.stderr)
        try:
            sink.wait_for_clients(wait)
        except BaseException:  # Ctrl+C while waiting
            sink.close()
            raise
    return sink


def _providers(args: argparse.Namespace) -> list[str] | None:
    """``--providers a,b`` as a list; they are ONNX Runtime's, so another engine with them is a mistake."""
    if not args.providers:
        return None
    if args.engine not in ("auto", "onnxruntime"):
        raise InputError(f"--providers are ONNX Runtime's: use them with --engine onnxruntime, not {args.engine}")
    providers = [p.strip() for p in args.providers.split(",") if p.strip()]
    if not providers:
        raise InputError("--providers: give at least one, e.g. 'cuda,cpu'")
    return providers
