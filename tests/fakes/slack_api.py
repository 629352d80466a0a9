"""A local fake of Slack's Web API speaking its wire format, for tests and benchmarks.

It answers the methods Tandem uses, records every call, holds a tiny workspace (users, DMs, messages
with metadata), serves `response_url`s, and can inject faults: 429 with Retry-After, 500s, a rate limit
(global, or per method with a burst), and seeded random 429s and 500s (some of which still post).
Nothing here reaches the internet: point `SLACK_API_URL` at `fake.api_url`.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.fakes.loopback import LoopbackServer


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    lands: bool = False  # a 500 that still posts the message (the ambiguous case)


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str | None
    status: int = 200
    cause: str = ""  # why a fault was served: fail_next | rate_limit | random
    landed: bool = False  # a 500 whose message was posted all the same


@dataclass
class Bucket:
    """A token bucket: `burst` calls at once, refilled at `per_second` (how Slack's tiers behave)."""

    burst: float
    per_second: float
    tokens: float = -1.0
    updated: float = 0.0

    def wait(self, now: float) -> float:
        """0 if a call may go now (and takes its token), else the seconds until one may."""
        if self.tokens < 0:
            self.tokens, self.updated = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass
class Hold:
    """One call held open: the test learns it arrived (and may kill the client meanwhile), then lets it go.
    With `lands`, a chat.postMessage is posted before it is held (the send landed, its answer never came)."""

    method: str
    after: int  # calls of `method` let through before the held one
    lands: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    seen: int = 0

    def release(self) -> None:
        self.released.set()


@dataclass
class RandomFaults:
    rng: random.Random
    rate_429: float
    rate_500: float
    lands_ratio: float
    methods: frozenset[str]
    retry_after: int


@dataclass
class SlackState:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> user object
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (response_url id, payload)
    response_times: dict[str, float] = field(default_factory=dict)  # response_url id -> first arrival
    views: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    ts_counter: int = 0
    oauth_codes: set[str] = field(default_factory=set)  # issued by `authorize`, each exchanged once


class FakeSlack:
    def __init__(
        self,
        tokens: tuple[str, ...] = ("xoxb-test",),
        rate_limit_per_second: float | None = None,
        method_limits: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        """`method_limits`: method -> (burst, calls per second), answered past it with 429 + Retry-After."""
        self.tokens = set(tokens)
        self.state = SlackState()
        self.socket_url: str | None = None  # a FakeSocketMode's URL, for apps.connections.open
        self.lock = threading.Lock()
        self.rate_limit = rate_limit_per_second
        self._window: deque[float] = deque()
        self.buckets = {m: Bucket(burst, rate) for m, (burst, rate) in (method_limits or {}).items()}
        self.random: RandomFaults | None = None
        self.holds: list[Hold] = []
        self.loopback = LoopbackServer(self._handler())

    # -- life cycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        self.loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loopback.stop()

    @property
    def base_url(self) -> str:
        return self.loopback.url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, ident: str) -> str:
        return f"{self.base_url}/respond/{ident}"

    # -- workspace ----------------------------------------------------------------------------------------
    def add_user(self, user_id: str, email: str, tz: str = "America/New_York", name: str = "") -> None:
        self.state.users[user_id] = {
            "id": user_id,
            "name": name or email.split("@")[0],
            "tz": tz,
            "profile": {"email": email, "real_name": name},
        }

    def fail_next(
        self, method: str, status: int, times: int = 1, retry_after: int | None = None, lands: bool = False
    ) -> None:
        for _ in range(times):
            self.state.faults[method].append(Fault(status, retry_after, lands))

    def hold(self, method: str, after: int = 0, lands: bool = False) -> Hold:
        """Hold the call of `method` that comes after `after` others open until released (or 60 s): how a
        test stops a client at a precise point of a send, then kills it."""
        hold = Hold(method, after, lands)
        with self.lock:
            self.holds.append(hold)
        return hold

    def _held(self, method: str) -> Hold | None:
        with self.lock:
            for hold in self.holds:
                if hold.method == method and not hold.arrived.is_set():
                    hold.seen += 1
                    if hold.seen > hold.after:
                        hold.arrived.set()
                        return hold
        return None

    def random_failures(
        self,
        rate_429: float = 0.0,
        rate_500: float = 0.0,
        lands_ratio: float = 0.5,
        seed: int = 0,
        methods: tuple[str, ...] = ("chat.postMessage",),
        retry_after: int = 1,
    ) -> None:
        """Answer a seeded random share of `methods` calls with 429 or 500; `lands_ratio` of those 500s
        still post the message (the ambiguous case a client must check before re-posting)."""
        self.random = RandomFaults(
            random.Random(seed), rate_429, rate_500, lands_ratio, frozenset(methods), retry_after
        )

    def _random_fault(self, method: str) -> Fault | None:
        r = self.random
        if r is None or method not in r.methods:
            return None
        draw = r.rng.random()
        if draw < r.rate_429:
            return Fault(429, r.retry_after)
        if draw < r.rate_429 + r.rate_500:
            return Fault(500, lands=r.rng.random() < r.lands_ratio)
        return None

    def _method_limited(self, method: str) -> Fault | None:
        bucket = self.buckets.get(method)
        wait = bucket.wait(time.monotonic()) if bucket is not None else 0.0
        return Fault(429, max(1, math.ceil(wait))) if wait > 0 else None

    def calls(self, method: str) -> list[Call]:
        return [c for c in self.state.calls if c.method == method and c.status == 200]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [m for ch, msgs in self.state.messages.items() if channel in (None, ch) for m in msgs]

    # -- the API ------------------------------------------------------------------------------------------
    def _next_ts(self) -> str:
        self.state.ts_counter += 1
        return f"{1_700_000_000 + self.state.ts_counter}.{self.state.ts_counter:06d}"

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel", ""))
        if not channel or channel.startswith("CGONE"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self._next_ts()
        message = {
            "type": "message",
            "ts": ts,
            "text": body.get("text", ""),
            "blocks": _json_field(body.get("blocks")) or [],
            "metadata": _json_field(body.get("metadata")),
            "thread_ts": body.get("thread_ts"),
            "bot_id": "BTANDEM",
        }
        self.state.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _oauth_access(self, body: dict[str, Any]) -> dict[str, Any]:
        """OAuth v2: a code issued by `authorize` becomes a bot token for workspace T9 (once)."""
        code = str(body.get("code", ""))
        if code not in self.state.oauth_codes:
            return {"ok": False, "error": "invalid_code"}
        self.state.oauth_codes.discard(code)
        token = f"xoxb-installed-{len(self.tokens)}"
        self.tokens.add(token)
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "U0DEMOAM1"},
            "scope": "chat:write,commands",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": "UBOT",
            "team": {"id": "T9", "name": "Acme"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def authorize(self) -> str:
        """What Slack does when an admin approves the install: a one-time code for the redirect."""
        code = f"code-{len(self.state.oauth_codes) + 1}"
        self.state.oauth_codes.add(code)
        return code

    def api(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        s = self.state
        if method == "auth.test":
            return {"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BTANDEM"}
        if method == "oauth.v2.access":
            return self._oauth_access(body)
        if method == "apps.connections.open":  # Socket Mode: where to open the WebSocket
            return {"ok": True, "url": self.socket_url} if self.socket_url else {"ok": False, "error": "not_allowed"}
        if method == "chat.postMessage":
            return self._post(body)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "conversations.open":
            user_id = str(body.get("users", ""))
            if user_id not in s.users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "channel": {"id": "D" + user_id}}
        if method in ("conversations.history", "conversations.replies"):
            messages = s.messages.get(str(body.get("channel")), [])
            if method == "conversations.replies":
                root = body.get("ts")
                messages = [m for m in messages if root in (m["ts"], m.get("thread_ts"))]
            show_meta = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
            shown = [m if show_meta else {k: v for k, v in m.items() if k != "metadata"} for m in messages]
            return {"ok": True, "messages": list(reversed(shown))[: int(body.get("limit", 100))]}
        if method == "users.lookupByEmail":
            email = str(body.get("email", "")).lower()
            for user in s.users.values():
                if user["profile"]["email"].lower() == email:
                    return {"ok": True, "user": user}
            return {"ok": False, "error": "users_not_found"}
        if method == "users.info":
            found = s.users.get(str(body.get("user")))
            return {"ok": True, "user": found} if found else {"ok": False, "error": "user_not_found"}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = _json_field(body.get("view")) or {}
            s.views.append({"method": method, **body, "view": view})
            return {"ok": True, "view": {"id": f"V{len(s.views)}", **view}}
        return {"ok": False, "error": "unknown_method"}

    def _rate_limited(self) -> bool:
        if self.rate_limit is None:
            return False
        now = time.monotonic()
        while self._window and now - self._window[0] > 1.0:
            self._window.popleft()
        if len(self._window) >= self.rate_limit:
            return True
        self._window.append(now)
        return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _body(self) -> dict[str, Any]:
                url = urlparse(self.path)
                body: dict[str, Any] = dict(parse_qsl(url.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        body.update(json.loads(raw))
                    else:
                        body.update(dict(parse_qsl(raw)))
                return body

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                body = self._body()
                if path.startswith("/respond/"):
                    with fake.lock:
                        ident = path.rsplit("/", 1)[1]
                        fake.state.responses.append((ident, body))
                        fake.state.response_times.setdefault(ident, time.monotonic())
                    self._send(200, {"ok": True})
                    return
                method = path.removeprefix("/api/")
                if (hold := fake._held(method)) is not None:
                    self._hold(hold, method, body)
                    return
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else body.get("token")
                with fake.lock:
                    call = Call(method, body, token)
                    fake.state.calls.append(call)
                    fault = fake.state.faults[method].popleft() if fake.state.faults[method] else None
                    call.cause = "fail_next" if fault is not None else ""
                    if fault is None and fake._rate_limited():
                        fault, call.cause = Fault(429, 1), "rate_limit"
                    if fault is None and (fault := fake._method_limited(method)) is not None:
                        call.cause = "rate_limit"
                    if fault is None and (fault := fake._random_fault(method)) is not None:
                        call.cause = "random"
                    if fault is not None:
                        call.status = fault.status
                        if fault.lands and method == "chat.postMessage":
                            call.landed = fake._post(body).get("ok") is True
                        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                        error = "ratelimited" if fault.status == 429 else "internal_error"
                        self._send(fault.status, {"ok": False, "error": error}, headers)
                        return
                    if method not in ("auth.test", "oauth.v2.access") and token not in fake.tokens:
                        self._send(200, {"ok": False, "error": "invalid_auth"})
                        return
                    self._send(200, fake.api(method, body))

            def _hold(self, hold: Hold, method: str, body: dict[str, Any]) -> None:
                """Post first if the hold lands, then wait; the client is likely dead by the answer."""
                with fake.lock:
                    call = Call(method, body, None, status=503, cause="held")
                    fake.state.calls.append(call)
                    answer = fake.api(method, body) if hold.lands else {"ok": False, "error": "held"}
                    call.landed = hold.lands and answer.get("ok") is True
                hold.released.wait(60)
                with contextlib.suppress(OSError):  # the client was killed while we held it
                    self._send(200 if hold.lands else 503, answer)

        return Handler


def _json_field(value: Any) -> Any:
    """Form-encoded calls send nested fields as JSON strings; JSON calls send them as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
