"""Console routes and the security headers they carry.

The join token lives in the URL fragment and ``sessionStorage`` only; the headers make
sure nothing else leaks it or lets another page wrap ours: scripts only from this
origin (no inline script, so user text can never run), no framing, no referrer."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def _origin(url: str | None) -> str | None:
    """The Janus URL's origin, for ``connect-src``: janus.js calls ``/janus/<session>``,
    which a source with the path ``/janus`` would not match."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def headers(janus_url: str | None = None) -> dict[str, str]:
    """The console's security headers; the page may also reach the Janus its media
    tickets name (``CONVENE_JANUS_URL``), where its audio goes."""
    connect = " ".join(filter(None, ["'self'", _origin(janus_url)]))
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; font-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }


class _ConsoleFiles(StaticFiles):
    def __init__(self, *, directory: Path, headers: dict[str, str]):
        super().__init__(directory=directory)
        self.headers = headers

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers.update(self.headers)
        return response


def _page(name: str, headers: dict[str, str]):
    async def page() -> FileResponse:
        return FileResponse(STATIC / name, media_type="text/html", headers=headers)

    return page


def install(app: FastAPI, janus_url: str | None = None) -> None:
    """``/`` (what Convene is), ``/join`` (the personal link's page, every role) and
    ``/console/*`` (its modules, styles, message catalogues and vendored janus.js)."""
    h = headers(janus_url)
    app.add_api_route("/", _page("index.html", h), methods=["GET"], include_in_schema=False)
    app.add_api_route("/join", _page("join.html", h), methods=["GET"], include_in_schema=False)
    app.mount("/console", _ConsoleFiles(directory=STATIC, headers=h), name="console")
