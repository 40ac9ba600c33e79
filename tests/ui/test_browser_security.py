"""Issue 13 in a real Chromium against ``python -m ui.server``: what a hostile client or web page can send.

* The scenario select's ``input`` event is emitted with a file path (as a client that ignores the list of
  options does): refused with a message, and the file's content is nowhere on the page or in the server log.
* A page on another site (a web server on another port of this machine, open in the same browser) opens
  the app's WebSocket and sends it HTTP requests: the handshake and the requests are refused, while the
  same calls from the app's own page go through. (Foreign ``Host`` headers and ``Origin:
  http://evil.example.com`` from a non-browser client: ``tests/reliability/test_ui_security.py``.)
* Every front-end file the page loads comes from the server itself, none from a CDN.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")
from ui_pages import open_page  # noqa: E402

pytestmark = pytest.mark.browser

SECRET = "SECRET-issue13-browser"

# Emit the Vuetify component's input event with a value, exactly as picking an option would (the wrapper of
# ipyvuetify listens to it and sends the value to the server).
_EMIT_INPUT = "(el, value) => { el.__vue__.$emit('input', value); }"
# Open a WebSocket and report how it ended: 'open' or 'closed <code>'.
_OPEN_WS = """url => new Promise(resolve => {
  const ws = new WebSocket(url);
  ws.onopen = () => { resolve('open'); ws.close(); };
  ws.onclose = e => resolve('closed ' + e.code);
})"""


@pytest.fixture
def secret_toml(tmp_path: Path) -> Path:
    """A TOML file elsewhere on the server holding a secret."""
    path = tmp_path / "evil.toml"
    path.write_text(f'[registry]\ntoken = "{SECRET}"\n')
    return path


def test_scenario_select_input_event_with_a_file_path_is_refused(ui_server, ui_home, new_browser,
                                                                   secret_toml) -> None:
    page = open_page(new_browser(), ui_server)
    page.get_by_text("Scenario preset · Seed (whole number)").click()
    select = page.locator(".scenario-select")
    # the same event with a shipped name is taken: the event does reach the server
    select.evaluate(_EMIT_INPUT, "plan-2021")
    page.locator(".scenario-select", has_text="plan-2021").wait_for()

    select.evaluate(_EMIT_INPUT, str(secret_toml))
    alert = page.locator(".input-refused").first
    alert.wait_for()
    text = alert.inner_text()
    assert "scenario" in text and str(secret_toml) in text and "baseline, plan-2021" in text
    page.get_by_role("button", name="Reset", exact=True).click()  # Reset runs the preset kept, not the path
    alert.wait_for(state="detached")
    assert "plan-2021" in select.text_content()

    page.get_by_role("button", name="中文").click()  # the refusal in Chinese
    page.get_by_text("湖南新型城镇化模拟器").first.wait_for()
    select.evaluate(_EMIT_INPUT, str(secret_toml.with_suffix("")))
    page.locator(".input-refused", has_text="预设情景之一").first.wait_for()

    assert SECRET not in page.content() and "registry" not in page.content()
    assert SECRET not in (ui_home / "server.log").read_text()


@pytest.fixture
def other_site() -> Iterator[str]:
    """Another web site on this machine (a plain HTTP server on another port): a foreign origin.

    It is a real server on 127.0.0.1 rather than a page made up by Playwright's router: Chromium blocks
    requests from a public-looking origin to 127.0.0.1 on its own (Private Network Access), which would hide
    whether the app's server refuses them; other browsers do not all do that.
    """
    handler = type("Page", (http.server.BaseHTTPRequestHandler,), {
        "do_GET": _serve_page, "log_message": lambda *args: None})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _serve_page(handler: http.server.BaseHTTPRequestHandler) -> None:
    body = b"<html><body>another site</body></html>"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_page_on_another_site_cannot_open_the_websocket_or_send_requests(ui_server, ui_home, new_browser,
                                                                              other_site) -> None:
    context = new_browser()
    ws_url = ui_server.replace("http://", "ws://") + "jupyter/api/kernels/probe/channels?session_id=probe"
    own = open_page(context, ui_server)
    assert own.evaluate(_OPEN_WS, ws_url) == "open"  # the app's own page may
    assert own.evaluate("url => fetch(url, {method: 'POST'}).then(r => r.status)", ui_server) != 403

    foreign = other_site.rstrip("/")
    evil = context.new_page()
    evil.goto(other_site)
    assert evil.evaluate(_OPEN_WS, ws_url).startswith("closed")  # the handshake is answered 403
    # A cross-site fetch (CORS mode) and a form-like POST both carry the page's Origin. The page cannot read
    # either answer, so the server's log is the witness: it logs each refusal before it answers.
    log = ui_home / "server.log"
    refused_http = f"refused http /: Origin '{foreign}'"
    for method, mode in (("GET", "cors"), ("POST", "no-cors")):
        before = log.read_text().count(refused_http)
        evil.evaluate("([url, method, mode]) => fetch(url, {method, mode}).catch(() => null)",
                      [ui_server, method, mode])
        assert log.read_text().count(refused_http) == before + 1, method
    assert f"refused websocket /jupyter/api/kernels/probe/channels: Origin '{foreign}'" in log.read_text()


def test_every_front_end_file_comes_from_the_server(ui_server, new_browser) -> None:
    context = new_browser()
    requests: list[str] = []
    failed: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    context.on("requestfailed", lambda r: failed.append(r.url))
    page = open_page(context, ui_server)
    page.get_by_role("tab", name="About").click()
    page.locator(".about-tab .static-markdown").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert any("/_solara/cdn/" in url for url in requests)  # the front end is loaded through the proxy ...
    outside = [url for url in requests if not url.startswith(ui_server) and not url.startswith(("data:", "blob:"))]
    assert outside == []  # ... and from nowhere else
    assert not any("katex" in url for url in requests)  # the About tab needs no KaTeX
    assert [url for url in failed if "/_solara/cdn/" in url] == []
