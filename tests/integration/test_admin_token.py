"""Without ``CONVENE_ADMIN_TOKEN`` the service makes the operator's token, keeps it in
its data directory (0600), logs the file's path and never the token, and reuses it
after a restart."""

from __future__ import annotations

import stat

import pytest

from tests.support.client import Api
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")


class GeneratedTokenServer(ServerProcess):
    """A service started with no admin token at all (not even from this test's own
    environment); ``admin_token`` is read from the file it made once it is up."""

    def __init__(self, workdir, env, **kw):
        super().__init__(workdir, env, **kw)
        self.env.pop("CONVENE_ADMIN_TOKEN", None)
        self.admin_token = None

    @property
    def token_file(self):
        return self.workdir / "data" / "admin-token"

    def start(self, timeout: float = 30.0) -> GeneratedTokenServer:
        super().start(timeout)
        self.admin_token = self.token_file.read_text().strip()
        return self


async def _is_admin(srv, token: str) -> None:
    async with Api(srv.url, token) as api:
        event = await api.ok("POST", "/api/events", {"title": "Made by the operator"}, 201)
        await api.ok("GET", f"/api/events/{event['id']}")


async def test_generated_token_is_kept_logged_by_path_and_reused(tmp_path):
    env = {"CONVENE_DATABASE_URL": f"sqlite:///{tmp_path}/convene.db"}
    srv = GeneratedTokenServer(tmp_path, env)
    assert not srv.token_file.exists()
    with srv:
        token = srv.admin_token
        assert len(token) >= 32
        assert stat.S_IMODE(srv.token_file.stat().st_mode) == 0o600
        await _is_admin(srv, token)
        async with Api(srv.url, token + "x") as wrong:
            assert (await wrong.call("POST", "/api/events", {"title": "x"})).status_code == 401
    first_log = srv.log()
    assert str(srv.token_file.resolve()) in first_log
    assert token not in first_log

    again = GeneratedTokenServer(tmp_path, env, port=srv.port)
    with again:
        assert again.admin_token == token  # the same file, the same token
        await _is_admin(again, token)
    log = again.log()  # both runs append to the same log file
    assert log.count(str(srv.token_file.resolve())) == 2
    assert token not in log


async def test_a_given_admin_token_makes_no_file(server):
    """The shared test service has CONVENE_ADMIN_TOKEN set: nothing is written."""
    assert not (server.workdir / "data" / "admin-token").exists()
    assert "admin-token" not in server.log()
    await _is_admin(server, server.admin_token)
