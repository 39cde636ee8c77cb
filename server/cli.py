"""The ``convene`` command line."""

from __future__ import annotations

from importlib.metadata import version

import typer

from .cli_people import people_app

# Plain help pages: typer's rich ones print "<bool>" beside every flag (--help too),
# as if it took a value.
app = typer.Typer(
    help="Convene: real-time orchestration backend for online events.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(people_app, name="people")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"convene {version('convene')}")
        raise typer.Exit()


@app.callback()
def main(
    _version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="print the version and exit",
    ),
) -> None:
    """Convene: real-time orchestration backend for online events."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
) -> None:
    """Start the service (migrations are applied on start-up)."""
    import logging
    import os

    from pydantic import ValidationError

    from .admin_token import refuse_placeholder
    from .logs import configure
    from .settings import Settings

    os.environ.setdefault("CONVENE_PUBLIC_URL", f"http://{host}:{port}")
    try:
        settings = Settings()
    except ValidationError as exc:  # one log line naming the variables, not their values
        configure(os.environ.get("CONVENE_LOG_FORMAT", "json"))
        wrong = "; ".join(
            f"CONVENE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        logging.getLogger("convene").error("invalid settings: %s", wrong)
        raise typer.Exit(2) from None
    configure(settings.log_format, settings.log_level)
    if settings.admin_token is not None:
        try:
            refuse_placeholder(settings.admin_token.get_secret_value())
        except ValueError as exc:
            logging.getLogger("convene").error("%s", exc)  # a log line like any other
            raise typer.Exit(2) from None

    import uvicorn

    from .app import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_frame,
        ws_per_message_deflate=False,
        backlog=4096,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from .migrate import upgrade
    from .settings import Settings

    upgrade(Settings().database_url, revision)
    typer.echo("database is up to date")


@app.command(short_help="Create the 2021 kick-off event in a running service.")
def demo(
    url: str = typer.Option("http://127.0.0.1:8000", help="the running service"),
    token: str = typer.Option(
        None,
        envvar="CONVENE_ADMIN_TOKEN",
        help="admin token (default: the one in the data directory)",
    ),
) -> None:
    """Create the 2021 kick-off event through the API of a running service."""
    from .demo import run

    run(url, token)


if __name__ == "__main__":
    app()
