"""Frame records sent to other programs as they come: UDP datagrams, OSC bundles, WebSocket messages (with a live
viewer page)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import cv2
import numpy as np

from ..errors import InputError
from ..imaging import prepare
from .records import record_json


def host_port(target: str, option: str, example: str, default_host: str | None = None,
              lowest: int = 1) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; with ``default_host``, ``PORT`` alone too) as a host and a port
    (``lowest`` 0: port 0 asks the system for a free one)."""
    host, sep, port = target.strip().rpartition(":")
    if not sep and default_host is not None:
        host = default_host
    host = host.strip("[]")
    if not host or not port.isdigit() or not lowest <= int(port) < 65536:
        form = "[HOST:]PORT" if default_host is not None else "HOST:PORT"
        raise InputError(f"{option} {target}: expected {form}, e.g. {example}")
    return host, int(port)


class UdpSink:
    """Each frame's JSON record as one UDP datagram to ``host:port`` (``[::1]:port`` for IPv6): the way game engines,
    TouchDesigner or a ROS bridge usually take hand data. Fire and forget: a lost or refused datagram is not an
    error (the stream goes on), and nothing waits for a receiver."""

    option, unit = "--udp", "datagrams"

    def __init__(self, target: str):
        import socket

        self.target = target
        host, port = host_port(target, self.option, "127.0.0.1:9000")
        try:
            family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        except OSError as e:
            raise InputError(f"{self.option} {target}: cannot resolve {host} ({e})") from e
        self.address = address
        self.sock = socket.socket(family, kind, proto)
        self.sent = self.dropped = 0

    def write(self, record: dict[str, Any]) -> None:
        self.send(record_json(record).encode())

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendto(data, self.address)
            self.sent += 1
        except OSError:  # no receiver yet, a full buffer, a datagram too large: this frame is lost, not the stream
            self.dropped += 1

    def close(self) -> None:
        self.sock.close()


class OscSink(UdpSink):
    """Each frame as one Open Sound Control bundle over UDP to ``host:port``: TouchDesigner, Max/MSP, Pure Data,
    Wekinator, VRChat. The addresses and arguments are in :mod:`handpose.osc`; fire and forget, as :class:`UdpSink`."""

    option, unit = "--osc", "bundles"

    def write(self, record: dict[str, Any]) -> None:
        from ..osc import frame_bundle

        self.send(frame_bundle(record))


def viewer_page() -> bytes:
    """The live viewer's HTML (``handpose run --ws``), with the hand's skeleton filled in."""
    from importlib.resources import files

    from ..results import SKELETON

    page = (files("handpose") / "data" / "viewer.html").read_text(encoding="utf-8")
    return page.replace("/*SKELETON*/[]", json.dumps([list(edge) for edge in SKELETON])).encode()


class WebSocketSink:
    """Each frame's JSON record as one WebSocket text message to every client connected: a web page (a kiosk's
    screen), a web app, Unity or Godot. ``target``: ``PORT`` (this machine only) or ``HOST:PORT`` (``0.0.0.0:PORT``:
    other machines too). A plain browser visit to ``http://HOST:PORT/`` gets a live viewer of the hands.

    A client that cannot keep up is sent the newest frames; records with gesture events (and the closing
    end-of-stream record) are never dropped for it. ``wait_for_clients(n)`` holds a run until n are connected.
    Web pages other than the viewer connect only when their origin is in ``origins`` (``http://localhost:3000``,
    ``null`` for a page opened from a file, ``*`` for any); clients that are not browsers always may.

    :meth:`write_image` sends a frame itself as a binary JPEG message just before its record (``handpose run
    --ws-video``): the viewer then draws the hands over the picture. A client is sent only the newest picture it has
    time for, and nothing is encoded while no client is connected.
    """

    def __init__(self, target: str, page: bool = True, queue_size: int = 64, origins: Iterable[str] = ()):
        from ..websocket import WebSocketServer, normalize_origin

        host, port = host_port(target, "--ws", "8765", default_host="127.0.0.1", lowest=0)
        origins = tuple(origins)
        for origin in origins:
            try:
                normalize_origin(origin)
            except ValueError:
                raise InputError(f"--ws-origin {origin}: expected a web page's origin like http://localhost:3000, "
                                 "'null' (a page opened from a file) or '*' (any page)") from None
        try:
            self.server = WebSocketServer(host, port, viewer_page() if page else None, queue_size, origins=origins)
        except OSError as e:
            raise InputError(f"--ws {target}: cannot listen on {host}:{port} ({e.strerror or e})") from e

    @property
    def url(self) -> str:
        return self.server.url

    def wait_for_clients(self, n: int = 1, timeout: float | None = None) -> bool:
        """Block until ``n`` clients are connected; False when ``timeout`` seconds passed first."""
        return self.server.wait_for_clients(n, timeout)

    def write(self, record: dict[str, Any]) -> None:
        self.server.broadcast(record_json(record),
                              essential=bool(record.get("events") or record.get("end_of_stream")))

    def write_image(self, image: np.ndarray, max_width: int = 640, quality: int = 75) -> bool:
        """Send a BGR frame as JPEG, at most ``max_width`` pixels wide; False when no client was connected."""
        if not self.server.clients:
            return False
        image = prepare(image)[0]  # gray, BGRA, 16-bit or float frames as 8-bit colour
        h, w = image.shape[:2]
        if w > max_width:
            # bilinear: a preview, and INTER_AREA costs 2 ms for 1080p -> 640 (0.3 ms bilinear)
            image = cv2.resize(image, (max_width, max(1, round(h * max_width / w))), interpolation=cv2.INTER_LINEAR)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise InputError(f"cannot encode a {w}x{h} frame as JPEG")
        self.server.broadcast(jpeg.tobytes(), latest=True)
        return True

    def close(self) -> None:
        self.server.close()

    def __enter__(self) -> WebSocketSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
