"""Console routes and the security headers they carry.

The join token lives in the URL fragment and ``sessionStorage`` only; the headers make
sure nothing else leaks it or lets another page wrap ours: scripts only from this
origin (no inline script, so user text can never run), no framing, no referrer."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


class _ConsoleFiles(StaticFiles):
    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def _page(name: str):
    async def page() -> FileResponse:
        return FileResponse(STATIC / name, media_type="text/html", headers=HEADERS)

    return page


def install(app: FastAPI) -> None:
    """``/`` (what Convene is), ``/join`` (the personal link's page, every role) and
    ``/console/*`` (its modules, styles and message catalogues)."""
    app.add_api_route("/", _page("index.html"), methods=["GET"], include_in_schema=False)
    app.add_api_route("/join", _page("join.html"), methods=["GET"], include_in_schema=False)
    app.mount("/console", _ConsoleFiles(directory=STATIC), name="console")
