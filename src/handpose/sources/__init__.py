"""Frame sources: an image, a folder, a glob, a video file, a camera index or a network stream.

An http(s) URL of an image or a video file is read whole, like a file. Live sources (cameras, rtsp/http streams) are
read on a background thread that keeps only the newest frame: when processing is slower than the camera, stale
frames are dropped instead of queueing up latency.
"""

from .base import IMAGE_EXTS, STREAM_SCHEMES, VIDEO_EXTS, Frame, Source, common_root
from .images import MAX_IMAGE_BYTES, ImageFiles, ImageUrl, decode_image, fetch_image, image_size, read_image
from .live import LiveSource
from .opening import (
    KIND_NAMES,
    SOURCE_OPTIONS,
    camera_request,
    glob_files,
    is_glob,
    is_image_source,
    open_source,
    url_kind,
)
from .video import VideoFile, VideoFiles, parse_time, part_options

__all__ = [
    "IMAGE_EXTS",
    "KIND_NAMES",
    "MAX_IMAGE_BYTES",
    "SOURCE_OPTIONS",
    "STREAM_SCHEMES",
    "VIDEO_EXTS",
    "Frame",
    "ImageFiles",
    "ImageUrl",
    "LiveSource",
    "Source",
    "VideoFile",
    "VideoFiles",
    "camera_request",
    "common_root",
    "decode_image",
    "fetch_image",
    "glob_files",
    "image_size",
    "is_glob",
    "is_image_source",
    "open_source",
    "parse_time",
    "part_options",
    "read_image",
    "url_kind",
]
