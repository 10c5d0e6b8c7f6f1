"""The WebSocket sink (``handpose run --ws``): the protocol against an independent client (``websockets``), the
viewer page, slow clients, and the CLI end to end."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import cv2
import numpy as np
import pytest

from handpose.cli import main
from handpose.errors import InputError
from handpose.sinks import WebSocketSink
from handpose.websocket import WebSocketServer, accept_key

ws_client = pytest.importorskip("websockets.sync.client", reason="the 'websockets' client (dev extra) tests the server")


def http_url(sink: WebSocketSink) -> str:
    return sink.url.replace("ws://", "http://", 1)


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply


def slow_client(sink: WebSocketSink) -> Any:
    """A client that falls behind: it buffers one message and its socket a little (this machine's TCP may buffer
    32 MB for a plain one, more than these tests send), so what the server sends piles up in its own queue."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)  # before connecting: no autotuning
    sock.connect(("127.0.0.1", sink.server.port))
    return ws_client.connect(sink.url, sock=sock, max_size=None, max_queue=1)


def test_accept_key_is_rfc_6455s_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_records_reach_every_client_in_order_whatever_their_size() -> None:
    big = "x" * 70_000  # past the 16-bit length: the 64-bit form of the frame header
    with WebSocketSink("127.0.0.1:0") as sink, ws_client.connect(sink.url) as a, ws_client.connect(sink.url) as b:
        assert sink.wait_for_clients(2, timeout=5)
        for i in range(5):
            sink.write({"frame": i, "hands": [], "events": [], "pad": "y" * (100 * i) + (big if i == 3 else "")})
        for client in (a, b):
            got = [json.loads(client.recv(timeout=5)) for _ in range(5)]
            assert [r["frame"] for r in got] == list(range(5))
            assert len(got[3]["pad"]) == 300 + len(big) and len(got[4]["pad"]) == 400
        assert a.ping().wait(timeout=5)  # answered with a pong
        assert sink.server.sent == 10 and sink.server.served == 2


def test_a_client_that_leaves_is_forgotten_and_the_end_is_a_clean_close() -> None:
    with WebSocketSink("0") as sink:
        with ws_client.connect(sink.url):
            assert sink.wait_for_clients(1, timeout=5) and sink.server.clients == 1
        deadline = time.monotonic() + 5
        while sink.server.clients and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sink.server.clients == 0
        sink.write({"frame": 0, "hands": [], "events": []})  # nobody there: nothing happens
        with ws_client.connect(sink.url) as late:
            assert sink.wait_for_clients(1, timeout=5)
            sink.close()
            with pytest.raises(Exception, match="1001"):  # the server went away: "going away"
                late.recv(timeout=5)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", sink.server.port), timeout=1).close()


def test_a_browser_visit_gets_the_live_viewer_and_other_requests_clear_answers() -> None:
    with WebSocketSink("0") as sink:
        page = urllib.request.urlopen(http_url(sink) + "/", timeout=5).read().decode()
        assert "<canvas" in page and "new WebSocket" in page
        assert "const SKELETON = [[0, 1], [1, 2]," in page  # the hand's bones filled in from handpose.SKELETON
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(http_url(sink) + "/favicon.ico", timeout=5)
        assert missing.value.code == 404
        port = sink.server.port
        old = raw_request(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        assert old.startswith(b"HTTP/1.1 400") and b"Sec-WebSocket-Version: 13" in old
        assert raw_request(port, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").startswith(b"HTTP/1.1 405")
        assert raw_request(port, b"\x16\x03\x01" + b"\0" * 20_000).startswith(b"HTTP/1.1 400")  # TLS to a plain port
        assert sink.server.clients == 0
    with WebSocketServer("127.0.0.1", 0, max_clients=1) as bare:  # no page: a plain GET is told to upgrade
        assert raw_request(bare.port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").startswith(b"HTTP/1.1 426")
        with ws_client.connect(f"ws://127.0.0.1:{bare.port}"):
            assert bare.wait_for_clients(1, timeout=5)
            with pytest.raises(Exception, match="503"):
                ws_client.connect(f"ws://127.0.0.1:{bare.port}")


def test_web_pages_connect_only_from_the_viewer_or_an_allowed_origin(caplog) -> None:
    with WebSocketSink("0", origins=["http://localhost:3000/", "null"]) as sink:
        port = sink.server.port
        for origin in (f"http://127.0.0.1:{port}", "http://localhost:3000", "null", None):  # None: not a browser
            with ws_client.connect(sink.url, origin=origin):
                assert sink.wait_for_clients(1, timeout=5)
        for origin in ("http://evil.example", f"https://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}",
                       "http://evil.example"):
            with pytest.raises(Exception, match="403"):
                ws_client.connect(sink.url, origin=origin)
        assert sink.server.refused == 4 and sink.server.served == 4
        warned = [r.getMessage() for r in caplog.records if "refused a WebSocket client" in r.getMessage()]
        assert len(warned) == 3  # once per origin, not on every reconnection
        assert "allow it with --ws-origin http://evil.example" in warned[0]
        # a page at a DNS name rebound to 127.0.0.1 is same-origin with itself, but its Host is not this machine
        rebound = raw_request(port, f"GET / HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n".encode())
        assert rebound.startswith(b"HTTP/1.1 403")
        for host in (f"localhost:{port}", f"[::1]:{port}", "127.0.0.1"):
            assert raw_request(port, f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()).startswith(b"HTTP/1.1 200")
    with WebSocketSink("0", origins=["*"]) as anyone, ws_client.connect(anyone.url, origin="http://evil.example"):
        assert anyone.wait_for_clients(1, timeout=5)
    for bad in ("localhost:3000", "http://localhost:3000/page", "ftp://x", "http://"):
        with pytest.raises(InputError, match=f"--ws-origin {bad}: expected a web page's origin"):
            WebSocketSink("0", origins=[bad])


def test_a_slow_client_gets_the_newest_frames_and_every_event() -> None:
    big = "z" * 2_000_000  # 40 MB in all: more than the sockets' buffers hold, so the queue must drop
    with WebSocketSink("0", queue_size=4) as sink, slow_client(sink) as c:
        assert sink.wait_for_clients(1, timeout=5)
        for i in range(20):
            sink.write({"frame": i, "hands": [], "events": [{"label": "fist"}] if i % 5 == 0 else [], "pad": big})
        got = []
        while not got or got[-1] != 19:
            got.append(json.loads(c.recv(timeout=10))["frame"])
    assert got == sorted(got) and {0, 5, 10, 15, 19} <= set(got) and len(got) < 20
    assert sink.server.dropped == 20 - len(got)


def test_a_slow_client_is_sent_only_the_newest_picture() -> None:
    picture = b"\xff" * 2_000_000  # as in the test above: more than the sockets hold
    with WebSocketSink("0", queue_size=64) as sink, slow_client(sink) as c:
        assert sink.wait_for_clients(1, timeout=5)
        for i in range(20):
            sink.server.broadcast(bytes([i]) + picture, latest=True)
            sink.write({"frame": i, "hands": [], "events": []})
        pictures, records = [], []
        while not records or records[-1] != 19:
            message = c.recv(timeout=10)
            if isinstance(message, bytes):
                pictures.append(message[0])
            else:
                records.append(json.loads(message)["frame"])
    assert records == list(range(20))  # the queue is long enough for every record
    assert pictures == sorted(pictures) and pictures[-1] == 19 and len(pictures) < 20  # old pictures were replaced
    assert sink.server.dropped == 20 - len(pictures)


def test_frames_go_as_jpeg_pictures_of_a_bounded_width_only_while_someone_watches() -> None:
    frame = np.zeros((360, 640, 3), np.uint8)
    cv2.circle(frame, (320, 180), 100, (0, 0, 255), -1)
    with WebSocketSink("0") as sink:
        assert not sink.write_image(frame)  # nobody connected: nothing encoded
        with ws_client.connect(sink.url, max_size=None) as c:
            assert sink.wait_for_clients(1, timeout=5)
            for image, width, size in [(frame, 640, (640, 360)), (frame, 160, (160, 90)),
                                       (frame[..., 2] / np.float32(255), 320, (320, 180))]:  # float gray
                assert sink.write_image(image, width)
                got = cv2.imdecode(np.frombuffer(c.recv(timeout=5), np.uint8), cv2.IMREAD_COLOR)
                assert (got.shape[1], got.shape[0]) == size
                centre = got[size[1] // 2, size[0] // 2].astype(int)
                assert centre[2] > 200 or centre.min() > 200  # the red disc (white when gray) survived the JPEG
                assert got[2, 2].max() < 30


def test_a_client_too_far_behind_on_events_is_let_go(caplog) -> None:
    with WebSocketSink("0", queue_size=2) as sink, slow_client(sink) as c:
        assert sink.wait_for_clients(1, timeout=5)
        for i in range(12):
            sink.write({"frame": i, "hands": [], "events": [{"label": "fist"}], "pad": "e" * 2_000_000})
        assert sink.server.clients == 0 and "too far behind; disconnected" in caplog.text
        frames = []
        with pytest.raises(Exception, match="1001"):
            while True:
                frames.append(json.loads(c.recv(timeout=10))["frame"])
    assert frames == list(range(len(frames))) and len(frames) < 12  # what it got came in order, then the close


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_all(port: int, got: list) -> None:
    """A client of a run about to start on ``port``: every message it is sent, until the run closes it."""
    deadline = time.monotonic() + 30
    while True:
        try:
            ws = ws_client.connect(f"ws://127.0.0.1:{port}", open_timeout=5, max_size=None)
            break
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
    with ws:
        try:
            while True:
                got.append(ws.recv(timeout=30))
        except Exception:  # closed at the end of the run
            return


@pytest.mark.usefixtures("models_ready")
def test_run_serves_the_same_records_as_its_json_lines(video_path, tmp_path, capsys) -> None:
    port, got = free_port(), []
    reader = threading.Thread(target=read_all, args=(port, got))
    reader.start()
    code = main(["run", str(video_path), "--limit", "30", "--gestures", "builtin", "--ws", str(port),
                 "--ws-wait", "1", "--json", str(tmp_path / "h.jsonl")])
    reader.join(30)
    out, err = capsys.readouterr()
    assert code == 0 and f"serving ws://127.0.0.1:{port} (live viewer: http://127.0.0.1:{port}/)" in err
    assert "waiting for 1 WebSocket client" in err
    assert f"websocket: {len(got)} messages to 1 client at ws://127.0.0.1:{port}" in out
    lines = (tmp_path / "h.jsonl").read_text().splitlines()
    assert [json.loads(m) for m in got] == [json.loads(line) for line in lines] and len(lines) >= 30


@pytest.mark.usefixtures("models_ready")
def test_run_sends_each_frame_as_a_picture_before_its_record(video_path, capsys) -> None:
    port, got = free_port(), []
    reader = threading.Thread(target=read_all, args=(port, got))
    reader.start()
    code = main(["run", str(video_path), "--limit", "8", "--ws", str(port), "--ws-wait", "1", "--ws-video", "320"])
    reader.join(30)
    out = capsys.readouterr().out
    assert code == 0 and "8 frames sent as pictures" in out
    records = [json.loads(m)["frame"] for m in got if isinstance(m, str)]
    assert records == list(range(8))  # every record arrives, in order
    # each picture comes just before its frame's record; one the client had not taken when the next came is
    # replaced by it (a live view shows the newest frame), which a busy machine running the tests can cause
    shown = {json.loads(got[i + 1])["frame"]: m for i, m in enumerate(got) if isinstance(m, bytes)
             if i + 1 < len(got) and isinstance(got[i + 1], str)}
    assert sum(isinstance(m, bytes) for m in got) == len(shown) and 7 in shown  # nothing replaces the last one
    video = cv2.VideoCapture(str(video_path))  # each picture is its record's frame
    frames = [cv2.resize(video.read()[1], (320, 180), interpolation=cv2.INTER_LINEAR) for _ in range(8)]
    video.release()
    for i, message in shown.items():
        picture = cv2.imdecode(np.frombuffer(message, np.uint8), cv2.IMREAD_COLOR)
        assert picture.shape == (180, 320, 3)
        errors = [np.abs(picture.astype(int) - f.astype(int)).mean() for f in frames]
        assert int(np.argmin(errors)) == i and errors[i] < 4


@pytest.mark.usefixtures("models_ready")
def test_run_refuses_bad_websocket_options(video_path, tmp_path, capsys) -> None:
    for args, message in [(["--ws", "eighty"], "--ws eighty: expected [HOST:]PORT, e.g. 8765"),
                          (["--ws", "127.0.0.1:99999"], "--ws 127.0.0.1:99999: expected [HOST:]PORT"),
                          (["--ws-wait", "1"], "--ws-wait is for WebSocket clients: add --ws PORT"),
                          (["--ws", "0", "--ws-origin", "example.com"], "--ws-origin example.com: expected"),
                          (["--ws-origin", "*"], "--ws-origin is for WebSocket clients: add --ws PORT"),
                          (["--ws-video"], "--ws-video is for WebSocket clients: add --ws PORT")]:
        assert main(["run", str(video_path), "--limit", "1", *args]) == 1
        assert message in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        json_path = tmp_path / "h.jsonl"
        assert main(["run", str(video_path), "--limit", "1", "--ws", str(port), "--json", str(json_path)]) == 1
        assert f"--ws {port}: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
        assert not json_path.exists()  # refused before any file was made
