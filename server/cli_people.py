"""``convene people import`` and ``convene people links``: the import and the join
links from a terminal. They call the running service's HTTP API with the admin token
(never the database), so what they change reaches live sockets at once."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import typer

people_app = typer.Typer(
    help="Registrants and their join links, through a running service.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

URL = typer.Option("http://127.0.0.1:8000", help="the running service")
TOKEN = typer.Option(
    None, envvar="CONVENE_ADMIN_TOKEN", help="admin token (default: the data directory's)"
)
EVENT = typer.Option(..., "--event", help="the event's id")


def _fail(message: str) -> None:
    print(f"convene people: {message}", file=sys.stderr)
    raise typer.Exit(1)


def _client(url: str, token: str | None) -> httpx.Client:
    from .demo import DemoError, admin_token_from_file

    try:
        admin = token or admin_token_from_file()
    except DemoError as exc:
        _fail(str(exc))
    return httpx.Client(
        base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {admin}"}, timeout=120
    )


def _send(client: httpx.Client, method: str, path: str, **kw) -> httpx.Response:
    try:
        r = client.request(method, path, **kw)
    except httpx.InvalidURL as exc:
        _fail(f"--url is not a valid URL ({exc})")
    except httpx.TransportError as exc:
        _fail(
            f"the service at {client.base_url} is not reachable ({type(exc).__name__}): "
            "start it with `convene serve`, or pass --url"
        )
    if r.is_error:
        try:
            problem = r.json()
        except ValueError:
            problem = {"detail": r.text[:200]}
        for e in problem.get("errors") or []:
            where = f"line {e['line']}" if e.get("line") else f"row {e.get('index')}"
            print(
                f"  {where}, {e.get('column')} {e.get('value')!r}: {e['detail']}", file=sys.stderr
            )
        _fail(f"{method} {path} answered {r.status_code}: {problem.get('detail')}")
    return r


@people_app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV (UTF-8) or JSON"),
    event: str = EVENT,
    dry_run: bool = typer.Option(False, "--dry-run", help="validate only; store nothing"),
    url: str = URL,
    token: str = TOKEN,
) -> None:
    """Import registrants (all or nothing; re-importing changes only what changed).
    The created people's join links go to stdout as CSV; the counts to stderr."""
    from . import spreadsheets

    ctype = "application/json" if file.suffix.lower() == ".json" else "text/csv"
    with _client(url, token) as client:
        r = _send(
            client,
            "POST",
            f"/api/events/{event}/people/import",
            content=file.read_bytes(),
            headers={"content-type": ctype},
            params={"dry_run": "true"} if dry_run else None,
        )
    out = r.json()
    print(
        f"{'would create' if dry_run else 'created'} {out['created']}, "
        f"updated {out['updated']}, unchanged {out['unchanged']}",
        file=sys.stderr,
    )
    new = [p for p in out["people"] if p.get("join_url")]
    if new:
        columns = ("id", "name", "email", "role", "join_url")
        sys.stdout.buffer.write(spreadsheets.write(columns, ([p[c] for c in columns] for p in new)))
        sys.stdout.buffer.flush()


@people_app.command("links")
def links(
    event: str = EVENT,
    role: list[str] = typer.Option(None, "--role", help="a role whose links to re-issue"),
    person: list[str] = typer.Option(None, "--person", help="a person id (repeatable)"),
    url: str = URL,
    token: str = TOKEN,
) -> None:
    """Re-issue join links as CSV for a mail merge (their old links end at once):
    ``convene people links --event ID --role participant > links.csv``."""
    from . import spreadsheets

    if not role and not person:
        _fail("say whose links: --role participant (repeatable) and/or --person ID")
    body = {k: v for k, v in (("roles", role), ("person_ids", person)) if v}
    with _client(url, token) as client:
        r = _send(
            client,
            "POST",
            f"/api/events/{event}/people/links",
            json=body,
            headers={"Accept": "text/csv"},
        )
    sys.stdout.buffer.write(r.content)
    sys.stdout.buffer.flush()
    rows = spreadsheets.read(r.content.decode("utf-8-sig"))[1]
    print(f"{len(rows)} links re-issued", file=sys.stderr)
