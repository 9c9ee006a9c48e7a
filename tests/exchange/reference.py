"""A reference upstream platform (a city hotline) and a webhook receiver, for the tests
and for anyone building the other side (docs/exchange.md): a small HTTP server on
127.0.0.1 that checks each delivery's signature and records what it was told. It can
be "down" for a while: answering 503 (`down = True`), or gone altogether, nothing
listening on its port (`stop()`, then `start()` on the same port). Orders are sent
signed, as the contract says."""
import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from community.exchange import signing


class Receiver:
    """Records every signed POST; refuses (401) a bad signature, answers 503 while down."""

    def __init__(self, secret: str, clock=None):
        self.secret = secret
        self.clock = clock  # a callable giving "now" (the tests' frozen clock)
        self.received: list[dict] = []
        self.refused = 0
        self.down = False
        self.calls = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.calls += 1
                if receiver.down:
                    return self._answer(503)
                now = receiver.clock() if receiver.clock else datetime.now().astimezone()
                if not signing.verify(receiver.secret, self.headers.get(signing.TIMESTAMP),
                                      self.headers.get(signing.SIGNATURE), body, now):
                    receiver.refused += 1
                    return self._answer(401)
                receiver.received.append(json.loads(body))
                return self._answer(200)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/callback"

    def start(self):
        if self.server is None:  # again on the same port (HTTPServer reuses the address)
            self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        # stop() waits for the loop's next poll: 0.5 s by default, at every test's end.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Gone: the port refuses connections until start()."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def steps(self, key="step") -> list[str]:
        return [message["data"].get(key) or message["event"] for message in self.received]


class Answer:
    """What the platform answered over HTTP, read like a test client's answer."""

    def __init__(self, status: int, body: bytes):
        self.status_code, self.data = status, body

    def get_json(self):
        return json.loads(self.data)


def send_order(client, name: str, secret: str, order: dict, now: datetime, *, signature=None):
    """POST an order as the upstream does: JSON, timestamped and signed. `client` is the
    app's test client, or the base URL of a running platform (then over HTTP)."""
    body = json.dumps(order, ensure_ascii=False).encode()
    headers = signing.headers(secret, body, now)
    if signature is not None:
        headers[signing.SIGNATURE] = signature
    path = f"/exchange/v1/upstreams/{name}/orders"
    if not isinstance(client, str):
        return client.post(path, data=body, headers=headers)
    request = urllib.request.Request(client + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (127.0.0.1)
            return Answer(answer.status, answer.read())
    except urllib.error.HTTPError as refused:
        return Answer(refused.code, refused.read())
