"""/docs (Swagger UI) and /redoc render in the browser from files the server ships: every request the pages make
stays on the server itself, except ReDoc's sidebar "API docs by Redocly" logo, which its bundle always tries
to fetch from its CDN and hides when that fails (decorative; nothing else is loaded from outside)."""

from __future__ import annotations

import pytest

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize(("path", "ready", "shot"), [
    ("/docs", ".swagger-ui .info .title", "08-api-docs-swagger"),
    ("/redoc", ".api-info h1, .api-content h1", "09-api-docs-redoc"),
])
def test_api_docs_render_offline(page, site, path, ready, shot):
    outside = []

    def only_this_server(route):
        if route.request.url.startswith(site.base_url):
            route.continue_()
        else:  # answered empty here, as a firewall would; only the decorative logo may be asked for
            outside.append(route.request.url)
            route.fulfill(status=204)

    page.page.route("**/*", only_this_server)
    page.page.goto(site.base_url + path)
    title = page.page.locator(ready).first
    title.wait_for()
    assert "Grounded" in title.inner_text()
    assert [url for url in outside if url != REDOC_LOGO] == []
    page.screenshot(shot)
