"""A real HTTP server on 127.0.0.1 answering like the tax service's self-employed status check.

POST {"inn": ..., "requestDate": ...} is answered {"status": bool, "message": ...} from ``statuses``
(INN -> True/False); ``faults`` (INN -> "hang" | "500" | "bad_json") make it misbehave: "hang" holds
the request longer than the client's timeout (released at shutdown, nobody sleeps).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG_SECONDS = 10


class NpdStatusServer:
    def __init__(self, statuses=None):
        self.statuses = dict(statuses or {})
        self.faults = {}
        self.requests = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v1/tracker/taxpayer_status"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def _handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        self.requests.append(body)
        inn = body.get("inn")
        fault = self.faults.get(inn)
        if fault == "hang":
            self.release.wait(HANG_SECONDS)
            return
        if fault == "500":
            return self._send(handler, 500, b'{"code": "internal"}')
        if fault == "bad_json":
            return self._send(handler, 200, b'{"status": ')
        status = self.statuses.get(inn, False)
        message = f"{inn} is a payer of the professional income tax" if status else f"{inn} is not a payer"
        return self._send(handler, 200, json.dumps({"status": status, "message": message}).encode())

    def _send(self, handler, code, body):
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
