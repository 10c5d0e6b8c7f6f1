"""Containers and processor options of the Tasks API, at MediaPipe's module paths."""

from . import containers, processors

__all__ = ["containers", "processors"]
