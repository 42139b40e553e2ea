"""A stand-in for the Slack Web API: a real HTTP server on a free port of 127.0.0.1 that answers
the methods gokart-slack calls (``conversations.list`` over two pages, the external upload:
``files.getUploadURLExternal``, the upload itself, ``files.completeUploadExternal``) and records
every request, so that a test asserts what was posted and how."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import luigi.configuration
import pytest

import gokart_pickle
import gokart_slack
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager
from gokart_core.testing.servers import free_port

TOKEN = "xoxb-stand-in-token-1234567890"
TOKEN_ENV = "GOKART_SLACK_TEST_TOKEN"
#: The workspace's public channels, over two pages of conversations.list.
PAGES = [
    [{"id": "C01GENERAL", "name": "general"}, {"id": "C02RANDOM", "name": "random"}],
    [{"id": "C03BUILDS", "name": "builds"}],
]


@dataclass
class Request:
    method: str  # the Slack method (files.completeUploadExternal) or "upload/F..."
    headers: dict[str, str]
    params: dict[str, str]  # the query string and a form body, one value per name
    body: bytes


@dataclass
class SlackStandIn:
    port: int
    token: str = TOKEN
    token_env: str = TOKEN_ENV
    requests: list[Request] = field(default_factory=list)
    #: Slack method -> the error it answers with (``{"ok": false, "error": ...}``).
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    def answer(self, request: Request) -> tuple[int, Any]:
        method = request.method
        if method.startswith("upload/"):
            return 200, "OK"
        if method in self.errors:
            return 200, {"ok": False, "error": self.errors[method]}
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 200, {"ok": False, "error": "invalid_auth"}
        if method == "conversations.list":
            page = int(request.params.get("cursor") or 0)
            more = page + 1 < len(PAGES)
            return 200, {
                "ok": True,
                "channels": PAGES[page],
                "response_metadata": {"next_cursor": str(page + 1) if more else ""},
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.requests):04d}"
            url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return 200, {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            return 200, {"ok": True, "files": json.loads(request.params["files"])}
        return 404, {"ok": False, "error": "unknown_method"}

    def upload_of(self, complete: Request) -> bytes:
        """The bytes uploaded for the file that ``complete`` finished."""
        (file,) = json.loads(complete.params["files"])
        (upload,) = self.calls(f"upload/{file['id']}")
        return upload.body


def _handler(server: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            if "form-urlencoded" in (self.headers.get("Content-Type") or ""):
                params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
            method = url.path.removeprefix("/api/").lstrip("/")
            request = Request(method, dict(self.headers.items()), params, body)
            server.requests.append(request)
            status, answer = server.answer(request)
            data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn(port=free_port())
    httpd = ThreadingHTTPServer(("127.0.0.1", stand_in.port), _handler(stand_in))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def slack_config(slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``[SlackConfig]`` pointing at the stand-in, channel ``builds``, the token in
    ``$GOKART_SLACK_TEST_TOKEN``."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = luigi.configuration.get_config()
    if not config.has_section("SlackConfig"):
        config.add_section("SlackConfig")
    options = {"token_name": TOKEN_ENV, "channel": "builds", "base_url": slack.base_url}
    for key, value in options.items():
        config.set("SlackConfig", key, value)
    try:
        yield
    finally:
        config.remove_section("SlackConfig")


@pytest.fixture(autouse=True)
def plugins() -> Iterator[None]:
    """gokart-slack and gokart-pickle (the tasks' outputs), whatever else is installed."""
    luigi.task_register.Register.clear_instance_cache()
    with use_plugin_manager(builtins_only_plugin_manager(gokart_slack, gokart_pickle)):
        yield
