"""A real HTTP receiver on loopback for webhook tests: records every request, answers as told."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


# (number of requests so far, the request) -> (status, seconds to wait before answering)
Answer = Callable[[int, Received], tuple[int, float]]


@dataclass
class Receiver:
    url: str
    port: int
    answer: Answer = field(default=lambda _n, _r: (200, 0.0))
    requests: list[Received] = field(default_factory=list)
    # the requests answered 2xx, in the order their answers were sent
    accepted: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def receiving(answer: Answer | None = None, port: int = 0) -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder["receiver"]
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                # the sender died mid-request (the crash tests kill it): a real receiver gets a truncated
                # body whose signature cannot verify, so it is neither recorded nor answered
                self.close_connection = True
                return
            request = Received({k.lower(): v for k, v in self.headers.items()}, body)
            with receiver.lock:
                receiver.requests.append(request)
                number = len(receiver.requests)
            status, delay = receiver.answer(number, request)
            if delay:
                time.sleep(delay)
            answer = b'{"ok": true}' if 200 <= status < 300 else b"no thanks " * 300
            if 200 <= status < 300:
                with receiver.lock:
                    receiver.accepted.append(request)
            self.send_response(status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            try:
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                return  # the sender went away before the answer (killed, or timed out)

        def log_message(self, *_args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # the default 5 drops connections when many deliveries arrive at once
        allow_reuse_address = True

    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    receiver = Receiver(f"http://127.0.0.1:{port}/hooks", port)
    if answer is not None:
        receiver.answer = answer
    holder["receiver"] = receiver
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
