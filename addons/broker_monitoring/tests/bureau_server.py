"""A real HTTP bureau API on 127.0.0.1 for the connector tests.

It pages a list of signals by an opaque cursor ``p<offset>`` and can be told
to misbehave on a given cursor: hang (longer than the client's timeout),
answer 500, or send a body that is not JSON. With ``redirect_to`` set it
answers every request with a redirect there.
"""

import contextlib
import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# How long a "hang" fault holds the request; the connector's timeout is far shorter.
HANG_SECONDS = 10


class BureauServer:
    def __init__(self, signals):
        self.signals = list(signals)
        self.faults = defaultdict(list)  # cursor -> faults still to play, in order
        self.requests = []  # (cursor, headers) of every request
        self.release = threading.Event()  # ends the hanging handlers at shutdown
        self.on_request = None  # optional callback(cursor) run before answering
        self.redirect_to = None  # answer every request with a 302 to this URL
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/signals"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def add_fault(self, cursor, *faults):
        self.faults[cursor].extend(faults)

    def requested_cursors(self):
        return [cursor for cursor, _headers in self.requests]

    def _handle(self, handler):
        query = parse_qs(urlparse(handler.path).query)
        cursor = query.get("cursor", [""])[0]
        limit = int(query.get("limit", ["100"])[0])
        with self._lock:
            self.requests.append((cursor, dict(handler.headers)))
            fault = self.faults[cursor].pop(0) if self.faults[cursor] else None
        if self.on_request:
            self.on_request(cursor)
        if self.redirect_to:
            return self._send(handler, 302, b"", location=self.redirect_to)
        if fault == "hang":
            self.release.wait(HANG_SECONDS)
            return
        if fault == "500":
            return self._send(handler, 500, b'{"error": "internal"}')
        if fault == "404":
            return self._send(handler, 404, b'{"error": "not found"}')
        if fault == "bad_json":
            return self._send(handler, 200, b'{"signals": [{"id": "x", ')
        offset = int(cursor[1:]) if cursor.startswith("p") else 0
        end = min(offset + limit, len(self.signals))
        body = {"signals": self.signals[offset:end], "next_cursor": f"p{end}", "has_more": end < len(self.signals)}
        self._send(handler, 200, json.dumps(body).encode())

    @staticmethod
    def _send(handler, status, payload, location=None):
        # the client may have given up (timeout): nothing to answer then
        with contextlib.suppress(OSError):
            handler.send_response(status)
            if location:
                handler.send_header("Location", location)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
