"""The web console: the service's own browser client, plain ES modules served from
``static/`` (no build step, no CDN), built only on the public REST/WebSocket contract.
Its pages and accessible names are specified in shared/spec/console.md."""

from .routes import install

__all__ = ["install"]
