"""A local fake of the Bot Framework: the Bot Connector service and the identity provider behind its JWTs.

- Connector: records POST /v3/conversations/{id}/activities (and .../activities/{reply to}), answers
  {"id": ...}; GET .../members/{user} answers from a small roster; faults can be injected (429, 403, 5xx).
- Identity: serves an OpenID metadata document and its JWKS, and signs tokens with a local RSA key the way
  the Bot Framework signs what it sends to a bot (iss, aud = app id, serviceurl), so the SDK's real JWT
  validation runs against it (TANDEM_TEAMS_OPENID_METADATA_URL points here).
Nothing here reaches the internet.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.loopback import LoopbackServer

ISSUER = "https://api.botframework.com"
KEY_ID = "tandem-test-key"
OUTBOUND_TOKEN = "test-outbound-token"


@dataclass
class Post:
    conversation_id: str
    activity: dict[str, Any]
    reply_to: str | None
    authorization: str | None
    id: str


@dataclass
class ConnectorState:
    posts: list[Post] = field(default_factory=list)
    updates: list[Post] = field(default_factory=list)  # PUT .../activities/{id}: the id is the one replaced
    attempts: int = 0
    faults: deque[tuple[int, int | None]] = field(default_factory=deque)  # (status, retry after)
    roster: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> TeamsChannelAccount
    counter: int = 0


class FakeBotConnector:
    def __init__(self) -> None:
        self.state = ConnectorState()
        self.lock = threading.Lock()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.loopback = LoopbackServer(self._handler())

    def __enter__(self) -> FakeBotConnector:
        self.loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loopback.stop()

    @property
    def url(self) -> str:
        return self.loopback.url

    @property
    def service_url(self) -> str:
        return f"{self.url}/"

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    # -- the identity side ------------------------------------------------------------------------------
    def token(self, app_id: str, service_url: str | None = None, key: Any = None, **claims: Any) -> str:
        """A Bot Framework channel token for `app_id`, signed with our key (or another, to forge one)."""
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": app_id,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 10,
            "exp": now + 600,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": KEY_ID})

    def _jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KEY_ID, "use": "sig", "alg": "RS256", "endorsements": ["msteams", "emulator"]})
        return {"keys": [jwk]}

    # -- the connector side -----------------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, retry_after: int | None = None) -> None:
        with self.lock:
            self.state.faults.extend([(status, retry_after)] * times)

    def posts(self, conversation_id: str | None = None) -> list[Post]:
        with self.lock:
            return [p for p in self.state.posts if conversation_id is None or p.conversation_id == conversation_id]

    def cards(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        return [a["content"] for p in self.posts(conversation_id) for a in p.activity.get("attachments") or []]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if path == "/v1/.well-known/openidconfiguration":
                    self._send(200, {"issuer": ISSUER, "jwks_uri": f"{fake.url}/v1/keys"})
                elif path == "/v1/keys":
                    self._send(200, fake._jwks())
                elif "/members/" in path:
                    user = unquote(path.rsplit("/members/", 1)[1])
                    member = fake.state.roster.get(user)
                    self._send(200 if member else 404, member or {"error": {"code": "NotFound"}})
                else:
                    self._send(404, {"error": {"code": "NotFound"}})

            def do_PUT(self) -> None:
                """Update an activity the bot posted earlier (UpdateActivity): 404 for an unknown id."""
                parts = [unquote(p) for p in urlparse(self.path).path.strip("/").split("/")]
                length = int(self.headers.get("Content-Length") or 0)
                activity = json.loads(self.rfile.read(length) or b"{}")
                if len(parts) != 5 or parts[:2] != ["v3", "conversations"] or parts[3] != "activities":
                    self._send(404, {"error": {"code": "NotFound"}})
                    return
                with fake.lock:
                    known = any(p.id == parts[4] and p.conversation_id == parts[2] for p in fake.state.posts)
                    if known:
                        fake.state.updates.append(
                            Post(parts[2], activity, None, self.headers.get("Authorization"), parts[4])
                        )
                if not known:
                    self._send(404, {"error": {"code": "ActivityNotFound"}})
                    return
                self._send(200, {"id": parts[4]})

            def do_POST(self) -> None:
                parts = [unquote(p) for p in urlparse(self.path).path.strip("/").split("/")]
                length = int(self.headers.get("Content-Length") or 0)
                activity = json.loads(self.rfile.read(length) or b"{}")
                if len(parts) not in (4, 5) or parts[:2] != ["v3", "conversations"] or parts[3] != "activities":
                    self._send(404, {"error": {"code": "NotFound"}})
                    return
                with fake.lock:
                    fake.state.attempts += 1
                    fault = fake.state.faults.popleft() if fake.state.faults else None
                    if fault is None:
                        fake.state.counter += 1
                        ident = f"act{fake.state.counter}"
                        fake.state.posts.append(
                            Post(parts[2], activity, parts[4] if len(parts) == 5 else None,
                                 self.headers.get("Authorization"), ident)
                        )  # fmt: skip
                if fault is not None:
                    status, retry_after = fault
                    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
                    self._send(status, {"error": {"code": "Throttled" if status == 429 else "Error"}}, headers)
                    return
                self._send(200, {"id": ident})

        return Handler
