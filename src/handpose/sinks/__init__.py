"""Where results go: an annotated video, a GIF, a window, a folder of annotated images, JSON Lines, CSV, COCO
keypoint annotations; UDP, OSC and WebSocket for other programs. The rules every output file follows (never replaced
without ``--overwrite``, written whole) are in :mod:`handpose.outputs`."""

from .coco import CocoSink
from .folder import FolderSink
from .network import OscSink, UdpSink, WebSocketSink, host_port, viewer_page
from .preview import Preview
from .records import CsvSink, JsonlSink, hands_csv_header, record_json
from .video import VIDEO_FOURCC, GifSink, VideoSink, can_write_gif, check_movie_format, is_movie, movie_sink

__all__ = [
    "VIDEO_FOURCC",
    "CocoSink",
    "CsvSink",
    "FolderSink",
    "GifSink",
    "JsonlSink",
    "OscSink",
    "Preview",
    "UdpSink",
    "VideoSink",
    "WebSocketSink",
    "can_write_gif",
    "check_movie_format",
    "hands_csv_header",
    "host_port",
    "is_movie",
    "movie_sink",
    "record_json",
    "viewer_page",
]
