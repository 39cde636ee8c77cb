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

    from .db import unreachable

    why = unreachable(settings.database_url)  # one line, like a bad setting
    if why is not None:
        logging.getLogger("convene").error("%s", why)
        raise typer.Exit(2)

    import uvicorn

    from .app import create_app
    from .gateway.transport import FastWebSocketProtocol

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        ws=FastWebSocketProtocol,  # websockets-sansio, writing pre-framed bytes
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


@app.command("media-bridge", short_help="Drive a Janus AudioBridge from sessions' state.")
def media_bridge(
    session: list[str] = typer.Option(..., "--session", help="session id (repeat for more)"),
    url: str = typer.Option("http://127.0.0.1:8000", help="the Convene service"),
    metrics_port: int = typer.Option(0, help="serve Prometheus metrics here (0: off)"),
    poll_s: float = typer.Option(0.3, help="Janus is checked at least this often"),
    janus_url: str = typer.Option(
        None, help="Janus as the bridge reaches it (default: CONVENE_JANUS_URL, the clients')"
    ),
) -> None:
    """Follow each session as an observer and keep Janus's AudioBridge rooms, allowed
    lists and mutes equal to it. The observer token is read from
    CONVENE_BRIDGE_TOKEN; CONVENE_JANUS_URL, CONVENE_JANUS_ADMIN_KEY,
    CONVENE_MEDIA_SECRET and CONVENE_MEDIA_GENERATION as the service reads them."""
    import asyncio
    import os

    from .logs import configure
    from .media.bridge import Bridge, BridgeConfig, BridgeMetrics
    from .settings import Settings

    settings = Settings()
    configure(settings.log_format, settings.log_level)
    token = os.environ.get("CONVENE_BRIDGE_TOKEN")
    janus_url = janus_url or settings.janus_url
    secret = settings.media_secret.get_secret_value() if settings.media_secret else ""
    if not token or not janus_url or not secret:
        typer.echo(
            "set CONVENE_BRIDGE_TOKEN (an observer's token), CONVENE_JANUS_URL and "
            "CONVENE_MEDIA_SECRET",
            err=True,
        )
        raise typer.Exit(2)
    metrics = BridgeMetrics()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
    admin_key = settings.janus_admin_key
    bridges = [
        Bridge(
            BridgeConfig(
                convene_url=url,
                session_id=sid,
                token=token,
                janus_url=janus_url,
                admin_key=admin_key.get_secret_value() if admin_key else None,
                secret=secret,
                generation=settings.media_generation,
                poll_s=poll_s,
            ),
            metrics,
        )
        for sid in session
    ]

    async def main() -> None:
        await asyncio.gather(*(b.run() for b in bridges))

    asyncio.run(main())


if __name__ == "__main__":
    app()
