"""The UI server's guard (issue 13): Host and Origin allow-list, and a CDN proxy that never leaves the machine.

The served app (``python -m ui.server``, as ``scripts/ui.sh`` starts it) is asked directly with raw HTTP and
WebSocket requests, as a non-browser client or a DNS-rebinding page would send them. Solara's CDN setting
points at a local recording server for this module: any request the proxy forwarded "to the internet" would
land there, so an empty record shows that nothing was fetched.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import http.server
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

UI_TESTS = Path(__file__).resolve().parents[1] / "ui"
if str(UI_TESTS) not in sys.path:
    sys.path.insert(0, str(UI_TESTS))

from ui_fixtures import serve_app  # noqa: E402
from ui_testdata import write_results  # noqa: E402

from ui.server import ALLOWED_HOSTS_ENV, CDN_PREFIX, RequestGuard, allowed_hosts, build_parser  # noqa: E402

websockets_client = pytest.importorskip("websockets.sync.client")
pytestmark = pytest.mark.slow  # starts the served app once (a few seconds)


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"//")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_cdn() -> Iterator[list[str]]:
    """A local HTTP server standing in for the public CDN; yields the paths it was asked for."""
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, fake_cdn) -> Iterator[tuple[str, int, Path]]:
    """The app behind its guard; yields (host, port, server log)."""
    port_cdn, _seen = fake_cdn
    home = tmp_path_factory.mktemp("ui_security_home")
    root = tmp_path_factory.mktemp("ui_security_results")
    write_results(root / "exp1")
    with serve_app(home, root, extra_env={"SOLARA_ASSETS_CDN": f"http://127.0.0.1:{port_cdn}/npm/"}) as (url, _p):
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        yield host, int(port), home / "server.log"


def _get(host: str, port: int, path: str = "/", headers: dict[str, str] | None = None,
         method: str = "GET") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ---- Host ------------------------------------------------------------------------------------------------


def test_foreign_host_headers_are_refused(served) -> None:
    host, port, log = served
    for value in ("evil.example.com", f"evil.example.com:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1",
                  f"localhost.evil.example.com:{port}", f"127.0.0.1:{port}@evil.example.com"):
        status, body = _get(host, port, headers={"Host": value})
        assert status == 400, value
        assert body == b"Host not allowed"
    assert f"refused http /: Host 'evil.example.com:{port}' is not on the allow-list" in log.read_text()
    for value in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert _get(host, port, headers={"Host": value})[0] == 200, value


def test_foreign_host_on_the_websocket_is_refused(served) -> None:
    host, port, log = served
    # a raw handshake (the websockets client sets its own Host header): only Host is foreign
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": f"http://{host}:{port}"}
    path = "/jupyter/api/kernels/probe/channels?session_id=probe"
    assert _get(host, port, path, headers={**upgrade, "Host": "evil.example.com"})[0] == 403
    assert "refused websocket /jupyter/api/kernels/probe/channels: Host 'evil.example.com'" in log.read_text()
    assert _get(host, port, path, headers={**upgrade, "Host": f"{host}:{port}"})[0] == 101  # the same, at home


# ---- Origin ----------------------------------------------------------------------------------------------


def test_foreign_origin_on_http_is_refused(served) -> None:
    host, port, log = served
    for origin in ("http://evil.example.com", f"http://evil.example.com:{port}", f"http://127.0.0.1:{port + 1}",
                   f"https://127.0.0.1:{port}.evil.example.com", "null", f"file://127.0.0.1:{port}"):
        for method in ("GET", "POST"):
            status, body = _get(host, port, headers={"Origin": origin}, method=method)
            assert (status, body) == (403, b"Origin not allowed"), (origin, method)
    assert "refused http /: Origin 'http://evil.example.com' is not on the allow-list" in log.read_text()
    assert _get(host, port, headers={"Origin": f"http://{host}:{port}"})[0] == 200


def test_websocket_needs_an_allowed_origin(served) -> None:
    host, port, log = served
    url = f"ws://{host}:{port}/jupyter/api/kernels/probe/channels?session_id=probe"
    for origin in ("http://evil.example.com", f"http://localhost:{port + 1}", None):
        kwargs = {} if origin is None else {"origin": origin}
        with pytest.raises(Exception, match="403"):
            websockets_client.connect(url, open_timeout=10, **kwargs)
    assert "refused websocket /jupyter/api/kernels/probe/channels: Origin 'http://evil.example.com'" in log.read_text()
    with websockets_client.connect(url, origin=f"http://localhost:{port}", open_timeout=10):
        pass  # the app's own origin is accepted


# ---- the CDN proxy ---------------------------------------------------------------------------------------


def test_cdn_requests_for_files_not_installed_get_a_local_404_and_fetch_nothing(served, fake_cdn, tmp_path,
                                                                                monkeypatch) -> None:
    import solara.settings
    from solara.server import cdn_helper

    host, port, _log = served
    port_cdn, seen = fake_cdn
    t0 = time.perf_counter()
    for path in ("katex@0.16.9/dist/katex.min.js", "anything", "left-pad@1.3.0/index.js",
                 "../../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "vega@5/../../../../etc/passwd"):
        status, _body = _get(host, port, CDN_PREFIX + path)
        assert status == 404, path
    print(f"\n[measure] 6 CDN requests answered in {time.perf_counter() - t0:.3f} s")
    assert seen == []  # the proxy asked the (stand-in) CDN for nothing
    # the control: Solara's proxy code itself, with the same CDN setting, does ask the stand-in
    monkeypatch.setattr(solara.settings.assets, "cdn", f"http://127.0.0.1:{port_cdn}/npm/")
    cdn_helper.get_data(tmp_path, "katex@0.16.9/dist/katex.min.js")
    assert seen == ["/npm/katex@0.16.9/dist/katex.min.js"]
    seen.clear()


def test_cdn_files_are_served_from_the_installed_package(served, fake_cdn) -> None:
    import solara.server.settings

    host, port, _log = served
    _port_cdn, seen = fake_cdn
    local = solara.server.settings.assets.proxy_cache_dir / "requirejs@2.3.6" / "require.js"
    assert local.is_file()  # solara-assets is installed
    status, body = _get(host, port, CDN_PREFIX + "requirejs@2.3.6/require.js",
                        headers={"Accept-Encoding": "identity"})
    assert status == 200 and body == local.read_bytes()
    assert seen == []


# ---- the guard on its own (no server) --------------------------------------------------------------------


def test_allow_list_defaults_and_environment() -> None:
    assert allowed_hosts("127.0.0.1", 8765, env={}) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert "sim.lan:80" in allowed_hosts("sim.lan", 80, env={})
    assert allowed_hosts("0.0.0.0", 80, env={}) == {"127.0.0.1:80", "localhost:80", "[::1]:80"}
    env = {ALLOWED_HOSTS_ENV: " Sim.Example.org , sim.example.org:8443,[2001:db8::1]:443 "}
    assert allowed_hosts("127.0.0.1", 8765, env=env) == {"sim.example.org", "sim.example.org:8443",
                                                          "[2001:db8::1]:443"}
    for bad in ("", " , ", "http://sim.example.org", "sim.example.org/path", "*", "a b"):
        with pytest.raises(ValueError, match=ALLOWED_HOSTS_ENV):
            allowed_hosts("127.0.0.1", 8765, env={ALLOWED_HOSTS_ENV: bad})


def test_deployment_host_from_the_environment_is_accepted_and_localhost_refused(tmp_path: Path) -> None:
    calls: list[str] = []

    async def app(scope, receive, send) -> None:
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = RequestGuard(app, hosts=allowed_hosts("0.0.0.0", 8765, env={ALLOWED_HOSTS_ENV: "sim.example.org"}),
                         cdn_dir=tmp_path)

    def status(headers: dict[str, str]) -> int:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b""}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "path": "/", "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
        # a thread of its own: a browser test in the same process may already run an event loop in this one
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(lambda: asyncio.run(guard(scope, receive, send))).result()
        return sent[0]["status"]

    assert status({"host": "sim.example.org"}) == 200
    assert status({"host": "sim.example.org", "origin": "https://sim.example.org"}) == 200
    assert status({"host": "localhost:8765"}) == 400
    assert status({"host": "sim.example.org", "origin": "https://evil.example.com"}) == 403
    assert calls == ["/", "/"]



def test_the_server_binds_localhost_unless_told_otherwise() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
