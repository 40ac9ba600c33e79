"""The web server: Solara's Starlette app behind a guard for Host, Origin and the CDN proxy.

Start it with ``bash scripts/ui.sh`` or ``python -m ui.server --host 127.0.0.1 --port 8765``. This runs the
app the way Solara's self-hosting guide describes for a server other than ``solara run`` (``SOLARA_APP=app.py``
and an ASGI server on ``solara.server.starlette:app``), with that app wrapped in :class:`RequestGuard`:

* **Host.** A request (HTTP or WebSocket) whose ``Host`` header is not on the allow-list is refused with 400.
  Binding to 127.0.0.1 does not stop a web page in the user's own browser from reaching the server under a
  name of the attacker's (DNS rebinding); the Host check does.
* **Origin.** A WebSocket handshake must carry an ``Origin`` whose host is on the allow-list (browsers always
  send one), and an HTTP request that carries a foreign ``Origin`` is refused with 403: a page on another
  site cannot open the app's WebSocket (and so cannot drive a session) or post to it.
* **CDN proxy.** Solara serves its front end under ``/_solara/cdn/`` from the files of the installed
  ``solara-assets`` package, and fetches any file it does not have from a public CDN (7 s per request when
  offline, and a way for any visitor to make the server fetch from the internet). Here only files present in
  that folder are passed on; any other ``/_solara/cdn/`` request gets an immediate 404. Solara's own setting
  (``SOLARA_ASSETS_PROXY=false``) is not used for this: it turns off the local copy as well, and the page
  then loads its front end from the CDN in the browser (a blank page offline).

The allow-list is the bound host and ``localhost``, ``127.0.0.1`` and ``[::1]``, each at the bound port. A
deployment behind a reverse proxy names its public host(s) in ``HUNAN_UI_ALLOWED_HOSTS`` (comma-separated
``host`` or ``host:port``, e.g. ``sim.example.org,sim.example.org:8443``); that list replaces the default.
``solara run app.py`` still works for development but has none of these checks (``app.py`` logs a warning).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
#: Environment variable with the hosts a deployment is reached under (replaces the default allow-list).
ALLOWED_HOSTS_ENV = "HUNAN_UI_ALLOWED_HOSTS"
#: Set by :func:`main` for the app: ``app.py`` warns when it is served without the guard.
GUARDED_ENV = "HUNAN_UI_GUARDED"
#: URL prefix of Solara's CDN proxy.
CDN_PREFIX = "/_solara/cdn/"
#: Characters of a refused Host or Origin repeated in the server log (the header is the client's own text).
LOGGED_CHARS = 100
#: ``host`` or ``host:port``: a DNS name, an IPv4 address or a bracketed IPv6 address, and a port.
_HOST_RE = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?$")

logger = logging.getLogger("hunan.ui.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _host_entry(text: str, *, source: str) -> str:
    """One allow-list entry, lower-cased; refused with the entry and the expected form if malformed."""
    entry = text.strip().lower()
    if not _HOST_RE.match(entry):
        raise ValueError(f"{source}: entry {text.strip()!r} is not a host name or host:port "
                         "(e.g. sim.example.org or sim.example.org:8443)")
    return entry


def allowed_hosts(host: str, port: int, env: MutableMapping[str, str] | None = None) -> frozenset[str]:
    """The ``Host`` values (and Origin hosts) the server answers to.

    Args:
        host: the address the server binds to.
        port: the port it binds to.
        env: environment to read :data:`ALLOWED_HOSTS_ENV` from (default ``os.environ``).

    Returns:
        lower-cased ``host:port`` (or ``host``) entries.

    Raises:
        ValueError: if the environment variable holds a malformed entry or no entry.
    """
    env = os.environ if env is None else env
    configured = env.get(ALLOWED_HOSTS_ENV)
    if configured is not None:
        entries = [_host_entry(e, source=ALLOWED_HOSTS_ENV) for e in configured.split(",") if e.strip()]
        if not entries:
            raise ValueError(f"{ALLOWED_HOSTS_ENV} is set but names no host (comma-separated host or host:port)")
        return frozenset(entries)
    names = {"localhost", "127.0.0.1", "[::1]"}
    bound = host.strip().lower()
    if bound not in ("", "0.0.0.0", "::", "[::]"):  # a wildcard address is no name a browser uses
        names.add(f"[{bound}]" if ":" in bound and not bound.startswith("[") else bound)
    return frozenset(f"{name}:{port}" for name in names)


class RequestGuard:
    """ASGI middleware: refuse foreign Host and Origin headers and keep the CDN proxy to local files.

    Args:
        app: the ASGI app to guard (Solara's Starlette app).
        hosts: allowed ``Host`` values, lower-cased (see :func:`allowed_hosts`).
        cdn_dir: the folder of the installed front-end files (Solara's ``assets.proxy_cache_dir``).
    """

    def __init__(self, app: ASGIApp, *, hosts: Iterable[str], cdn_dir: Path) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts)
        self.cdn_dir = Path(os.path.realpath(cdn_dir))

    def origin_allowed(self, origin: str) -> bool:
        """Whether an ``Origin`` header names an http(s) origin whose host is on the allow-list."""
        try:
            parts = urlsplit(origin.strip())
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and parts.netloc.lower() in self.hosts and not parts.path

    def local_asset(self, path: str) -> bool:
        """Whether a path under the CDN prefix names a file of the installed assets.

        Mirrors Solara's ``cdn_helper.get_path``: a bare package name (``vega@5``) stands for its
        ``__main.js``. A path that resolves outside the folder is not local.
        """
        parts = path.replace("\\", "/").split("/")
        store = path if len(parts) != 1 else f"{path}/__main.js"
        target = os.path.realpath(self.cdn_dir / store)
        return Path(target).is_relative_to(self.cdn_dir) and os.path.isfile(target)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one connection, then pass it on or refuse it."""
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        origin = headers.get("origin")
        refusal = None
        if host.lower() not in self.hosts:
            refusal = (400, "host", host)
        elif origin is not None and not self.origin_allowed(origin):
            refusal = (403, "origin", origin)
        elif kind == "websocket" and origin is None:
            refusal = (403, "origin", "(none)")
        if refusal is not None:
            status, header, value = refusal
            logger.warning("refused %s %s: %s %r is not on the allow-list (%s)", kind, scope.get("path", ""),
                           header.capitalize(), value[:LOGGED_CHARS], ALLOWED_HOSTS_ENV)
            await _refuse(scope, receive, send, status, f"{header.capitalize()} not allowed")
            return
        path = scope.get("path", "")
        if kind == "http" and path.startswith(CDN_PREFIX) and not self.local_asset(path[len(CDN_PREFIX):]):
            await _plain(send, 404, "Not among the installed front-end files (the CDN proxy is local only)")
            return
        await self.app(scope, receive, send)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    if scope["type"] == "http":
        await _plain(send, status, text)
        return
    # WebSocket: read the connect event, then close before accepting; the server answers the handshake 403.
    message = await receive()
    if message.get("type") == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})


def build_app(hosts: Iterable[str]) -> RequestGuard:
    """Solara's Starlette app for ``app.py``, guarded (call after the environment is set, see :func:`main`)."""
    import solara.server.settings
    import solara.server.starlette

    return RequestGuard(solara.server.starlette.app, hosts=hosts,
                        cdn_dir=solara.server.settings.assets.proxy_cache_dir)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m ui.server``: ``--host`` (default 127.0.0.1) and ``--port`` (8765)."""
    parser = argparse.ArgumentParser(prog="python -m ui.server", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (default 8765)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve the app on ``--host``/``--port`` (default 127.0.0.1:8765) behind :class:`RequestGuard`."""
    args = build_parser().parse_args(argv)
    try:
        hosts = allowed_hosts(args.host, args.port)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201  (command-line entry point)
        return 2
    # what `solara run app.py --production` sets up, before solara.server.starlette is imported
    os.environ.setdefault("SOLARA_APP", str(REPO / "app.py"))
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = args.host, str(args.port)
    os.environ[GUARDED_ENV] = "1"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    import uvicorn
    from solara.__main__ import LOGGING_CONFIG

    app = build_app(hosts)
    logger.info("serving http://%s:%d/ for hosts %s", args.host, args.port, ", ".join(sorted(hosts)))
    uvicorn.run(app, host=args.host, port=args.port, log_config=LOGGING_CONFIG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
