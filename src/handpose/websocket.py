"""A small WebSocket broadcast server (RFC 6455, server side, text and binary messages out): every frame's record
reaches every browser page, web app or game engine connected, with no dependency beyond the standard library.

One thread accepts connections and one thread per client sends its messages, so a slow client never holds up the
stream: it is sent the newest frames, and the ones it could not take in time are dropped for it, except messages
marked as essential (gesture events), which it gets in order. A plain HTTP ``GET /`` is answered with a page, when
one is given (the live viewer of ``handpose run --ws``).

Any web page a user has open can try to connect to a port on their machine, so browsers are told apart: a browser
always sends the page's ``Origin``, and only the server's own page or an origin allowed by name may connect. A
client sending no ``Origin`` (Python, Unity, Godot, a native app) is not a web page and connects as it likes. On a
loopback address the ``Host`` must name this machine too, so a page whose DNS name is rebound to 127.0.0.1 is refused.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import select
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # fixed by RFC 6455, section 1.3
_TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x8, 0x9, 0xA
_DROPPABLE, _ESSENTIAL, _LATEST = 0, 1, 2  # how a queued message is treated when a client falls behind
_MAX_REQUEST = 16384  # bytes of an opening handshake
_MAX_INCOMING = 65536  # bytes of a message from a client (we expect none but pings and closes)


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answer to a client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1(key.strip().encode() + _GUID).digest()).decode()


def _valid_key(key: str) -> bool:
    """A client's key is 16 random bytes in base64."""
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


def encode_frame(payload: bytes, opcode: int = _TEXT) -> bytes:
    """One unfragmented, unmasked frame (a server's frames are never masked)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed by the client")
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    """One frame from a client: its opcode and unmasked payload."""
    b0, b1 = _recv_exact(conn, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _recv_exact(conn, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _recv_exact(conn, 8))[0]
    if n > _MAX_INCOMING:
        raise ConnectionError(f"a message of {n} bytes from a client")
    mask = _recv_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
    payload = _recv_exact(conn, n)
    key = (mask * (n // 4 + 1))[:n]  # the 4-byte mask repeated over the payload, XORed as one big integer
    return b0 & 0x0F, (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def _loopback(host: str) -> bool:
    """Is ``host`` (a name or address, IPv6 with or without brackets) this machine only?"""
    host = host.strip("[]").lower()
    return host in ("localhost", "::1") or host.endswith(".localhost") or host.startswith("127.")


def _hostname(host: str) -> str:
    """The name or address of a ``Host`` header (no port, no brackets); empty when it is not one."""
    try:
        return urlsplit(f"//{host}").hostname or ""
    except ValueError:  # an unclosed IPv6 bracket
        return ""


def normalize_origin(origin: str) -> str:
    """An origin as a browser sends it (``scheme://host[:port]``, lower case), or ``null`` / ``*``.

    Raises ValueError for anything else (a path, no scheme)."""
    origin = origin.strip().rstrip("/").lower()
    if origin in ("*", "null"):
        return origin
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or "@" in origin:
        raise ValueError(f"{origin!r} is not an origin like http://localhost:3000")
    return origin


def _http(status: str, body: bytes = b"", kind: str = "text/plain; charset=utf-8", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
            f"Cache-Control: no-store\r\nConnection: close\r\n{extra}\r\n").encode() + body


class _Client:
    """One connected client: its socket and the messages waiting for it."""

    def __init__(self, conn: socket.socket, address: str, queue_size: int):
        self.conn, self.address, self.queue_size = conn, address, queue_size
        self.pending: deque[tuple[bytes, int]] = deque()  # (frame, one of _DROPPABLE, _ESSENTIAL, _LATEST)
        self.ready = threading.Condition()
        self.closing = False
        self.dropped = 0

    def put(self, frame: bytes, kind: int) -> bool:
        """Queue a frame; False when the client is so far behind on essential messages that it must go."""
        with self.ready:
            if kind == _LATEST:  # a newer picture replaces the one still waiting: a slow client is not shown the past
                for i, (_, queued) in enumerate(self.pending):
                    if queued == _LATEST:
                        del self.pending[i]
                        self.dropped += 1
                        break
            if len(self.pending) >= self.queue_size:
                for i, (_, queued) in enumerate(self.pending):
                    if queued != _ESSENTIAL:  # the oldest frame that carries no event makes room
                        del self.pending[i]
                        self.dropped += 1
                        break
                else:
                    return False
            self.pending.append((frame, kind))
            self.ready.notify()
        return True


class WebSocketServer:
    """Broadcast text messages to every connected WebSocket client.

    ``port=0`` picks a free port (see :attr:`port`). ``page``: HTML answered to a plain ``GET /``.
    ``queue_size``: messages kept for a client that is behind before its non-essential ones are dropped.
    ``max_clients``: more are refused (each has a thread).
    ``origins``: web pages, besides the server's own, that may connect (``http://localhost:3000``; ``null``: a page
    opened from a file; ``*``: any page).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8765, page: bytes | None = None, queue_size: int = 64,
                 max_clients: int = 32, origins: Iterable[str] = ()):
        self.origins = {normalize_origin(o) for o in origins}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family)
        self._listener.settimeout(0.25)  # the accept loop looks at the stop flag this often
        self.host, self.port = host, self._listener.getsockname()[1]
        self.page, self.queue_size, self.max_clients = page, queue_size, max_clients
        self._clients: list[_Client] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self.sent = self.served = self.refused = 0
        self._warned: set[str] = set()
        self.dropped = 0  # messages dropped for slow clients, all clients together
        self._accepter = threading.Thread(target=self._accept, name="handpose-ws-accept", daemon=True)
        self._accepter.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    @property
    def clients(self) -> int:
        """How many clients are connected now."""
        with self._lock:
            return len(self._clients)

    def broadcast(self, message: str | bytes, essential: bool = False, latest: bool = False) -> None:
        """Send ``message`` (text, or bytes as a binary message) to every client connected now.

        ``essential``: never dropped for a slow client. ``latest``: only the newest such message waits for a client
        (a live picture), the one it replaces is dropped."""
        frame = encode_frame(message.encode()) if isinstance(message, str) else encode_frame(message, _BINARY)
        kind = _ESSENTIAL if essential else _LATEST if latest else _DROPPABLE
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            if client.put(frame, kind):
                self.sent += 1
            else:
                log.warning("websocket client %s is too far behind; disconnected", client.address)
                self._drop(client)

    def wait_for_clients(self, n: int, timeout: float | None = None) -> bool:
        """Block until at least ``n`` clients are connected (False when ``timeout`` seconds passed first)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._clients) >= n, timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Send what is queued, close every connection (code 1001, going away) and stop listening."""
        self._stop.set()
        self._accepter.join(timeout)  # no new client threads from here on
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with client.ready:
                client.closing = True
                client.ready.notify()
        for thread in self._threads:  # a client still in its handshake sees the stop flag itself
            thread.join(timeout)
        self._listener.close()

    def __enter__(self) -> WebSocketServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            thread = threading.Thread(target=self._serve, args=(conn, f"{address[0]}:{address[1]}"),
                                      name="handpose-ws-client", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _handshake(self, conn: socket.socket) -> bool:
        """Read the opening request; True once upgraded to a WebSocket, False when answered as plain HTTP."""
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk or len(request) + len(chunk) > _MAX_REQUEST:
                conn.sendall(_http("400 Bad Request", b"not an HTTP request\n"))
                return False
            request += chunk
        lines = request.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, _, rest = lines[0].partition(" ")
        path = rest.split(" ", 1)[0]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if method != "GET":
            conn.sendall(_http("405 Method Not Allowed", b"GET only\n", extra="Allow: GET\r\n"))
            return False
        host = headers.get("host", "")
        if host and _loopback(self.host) and not _loopback(_hostname(host)):
            conn.sendall(_http("403 Forbidden", b"this server answers to localhost only\n"))
            return False
        if headers.get("upgrade", "").lower() != "websocket":
            if self.page is not None and path.split("?", 1)[0] in ("/", "/index.html"):
                conn.sendall(_http("200 OK", self.page, "text/html; charset=utf-8"))
            elif self.page is not None:
                conn.sendall(_http("404 Not Found", b"not found\n"))
            else:
                conn.sendall(_http("426 Upgrade Required", b"a WebSocket server: connect with ws://\n",
                                   extra="Upgrade: websocket\r\n"))
            return False
        key = headers.get("sec-websocket-key", "")
        if headers.get("sec-websocket-version") != "13" or not _valid_key(key):
            conn.sendall(_http("400 Bad Request", b"WebSocket version 13 and a 16-byte key expected\n",
                               extra="Sec-WebSocket-Version: 13\r\n"))
            return False
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, host):
            self.refused += 1
            if origin not in self._warned:  # a page reconnecting by itself would repeat it every second
                self._warned.add(origin)
                log.warning("refused a WebSocket client from a web page at %s (allow it with --ws-origin %s)",
                            origin, origin)
            conn.sendall(_http("403 Forbidden", f"a page at {origin} may not connect; the server allows its own "
                                                f"page and those named by --ws-origin\n".encode()))
            return False
        if self.clients >= self.max_clients:
            conn.sendall(_http("503 Service Unavailable", f"{self.max_clients} clients already\n".encode()))
            return False
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n").encode())
        return True

    def _origin_allowed(self, origin: str, host: str) -> bool:
        """May a web page at ``origin`` connect? Its own page (same host and port) or one allowed by name."""
        origin = origin.strip().lower()
        if "*" in self.origins or origin in self.origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme == "http" and parts.netloc == host.lower()

    def _serve(self, conn: socket.socket, address: str) -> None:
        conn.settimeout(5.0)  # a client that takes nothing in 5 s (or sends half a request) is let go
        client = None
        try:
            if not self._handshake(conn):
                return
            client = _Client(conn, address, self.queue_size)
            with self._lock:
                self._clients.append(client)
                self.served += 1
                self._lock.notify_all()
            log.info("websocket client %s connected", address)
            self._send_loop(client)
        except (BrokenPipeError, ConnectionResetError):  # a page closed or reloaded
            log.info("websocket client %s left", address)
        except (OSError, ValueError) as e:  # ConnectionError is an OSError
            log.info("websocket client %s: %s", address, e)
        finally:
            if client is not None:
                self._drop(client)
            conn.close()

    def _send_loop(self, client: _Client) -> None:
        conn = client.conn
        while True:
            with client.ready:
                client.ready.wait_for(lambda: client.pending or client.closing, 0.25)
                frames = [f for f, _ in client.pending]
                client.pending.clear()
                closing = client.closing or self._stop.is_set()
            for frame in frames:
                conn.sendall(frame)
            if closing:
                conn.sendall(encode_frame(struct.pack("!H", 1001), _CLOSE))
                return
            while select.select([conn], [], [], 0)[0]:  # a ping, or the client closing
                opcode, payload = _read_frame(conn)
                if opcode == _PING:
                    conn.sendall(encode_frame(payload, _PONG))
                elif opcode == _CLOSE:
                    conn.sendall(encode_frame(payload[:2], _CLOSE))
                    return

    def _drop(self, client: _Client) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)
                self.dropped += client.dropped
        with client.ready:
            client.closing = True
            client.ready.notify()
