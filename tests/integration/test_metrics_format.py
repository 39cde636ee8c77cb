"""/metrics speaks the format the scraper asks for: OpenMetrics when its Accept header
prefers it (Prometheus 3 does), the Prometheus text format otherwise."""

from __future__ import annotations

import pytest

from tests.support.client import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

# what Prometheus 3 sends when it scrapes
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,"
    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)


async def test_openmetrics_when_the_scraper_asks_for_it(server):
    async with Api(server.url, None) as anon:
        r = await anon.call("GET", "/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
        plain = await anon.call("GET", "/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert r.text.endswith("# EOF\n")  # OpenMetrics ends every exposition so
    assert "# TYPE convene_events_stored counter" in r.text
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("text/plain")
    assert "# EOF" not in plain.text and "# TYPE convene_events_stored_total counter" in plain.text
