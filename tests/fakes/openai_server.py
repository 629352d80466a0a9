"""A tiny OpenAI-compatible server on 127.0.0.1 for tests: POST /v1/chat/completions, every request recorded.

Drive it through the real `openai` client (base_url=server.base_url). Behaviour is a function of the
request body, so a test can play a well-behaved model, a failing one, a slow one, or one that obeys
whatever instructions it finds in the customer data.

    with FakeOpenAI(reply=lambda body: "line one\\nline two") as server:
        ...
        assert server.requests[0]["model"] == "gpt-test"
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.loopback import LoopbackServer

Body = dict[str, Any]


def user_text(body: Body) -> str:
    return "\n".join(m["content"] for m in body.get("messages", []) if m.get("role") == "user")


def system_text(body: Body) -> str:
    return "\n".join(m["content"] for m in body.get("messages", []) if m.get("role") == "system")


class FakeOpenAI:
    def __init__(
        self,
        reply: Callable[[Body], str] | None = None,
        status: int = 200,
        delay: float = 0.0,
        tokens: int = 50,
    ) -> None:
        self.reply = reply or (lambda body: "First line.\nSecond line.")
        self.status = status  # 500, 429...: every request fails with it
        self.delay = delay  # seconds before answering (longer than the client's timeout: a timeout)
        self.tokens = tokens
        self.requests: list[Body] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._loopback = LoopbackServer(self._handler())

    @property
    def base_url(self) -> str:
        return f"{self._loopback.url}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loopback.stop()

    def all_text(self) -> str:
        """Everything the server received, as one JSON text (for "no email appears anywhere" checks)."""
        with self._lock:
            return json.dumps(self.requests, ensure_ascii=False)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.requests.append(body)
                    fake.paths.append(self.path)
                if fake.delay:
                    time.sleep(fake.delay)
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                if fake.status != 200:
                    return self._send(fake.status, {"error": {"message": "fake failure", "type": "server_error"}})
                content = fake.reply(body)
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(fake.requests)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": fake.tokens,
                            "completion_tokens": 10,
                            "total_tokens": fake.tokens + 10,
                        },
                    },
                )

            def _send(self, status: int, payload: Body) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.send_header("retry-after-ms", "10")  # keep the client's retries quick in tests
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        return Handler
