"""Browser fixtures: the API (extractive generator, the session's demo collection) on a loopback port, Debian's
Chromium driven by Playwright (no browser download), a fresh page per test that records console errors, and a
folder for screenshots (under pytest's tmp; also copied to $GROUNDED_SCREENSHOTS when that is set)."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' installs playwright")

from grounded.api.app import create_app  # noqa: E402
from web_keys import ADMIN_KEY  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")

STARTUP_TIMEOUT_S = 120


@dataclass
class Site:
    base_url: str
    settings: object


@dataclass
class Page:
    """A Playwright page plus what it logged: console errors and uncaught exceptions fail the test."""

    page: object
    shots: Path
    errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if copy_to := os.environ.get("GROUNDED_SCREENSHOTS"):
            Path(copy_to).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, Path(copy_to) / path.name)
        return path


@pytest.fixture(scope="module")
def site(components, demo_collection, settings_factory) -> Iterator[Site]:
    settings = settings_factory(home=components.settings.home, admin_key=ADMIN_KEY)
    app = create_app(settings, components)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{sock.getsockname()[1]}", settings)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture(scope="session")
def browser():
    assert CHROMIUM.exists(), "needs Debian's chromium: apt-get install -y chromium (.ci/run does)"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {path}", file=sys.stderr)
    return path


def _open(browser, shots: Path, **context_options) -> Iterator[Page]:
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(120_000)  # generous: the machine running the suite may be busy
    recorded = Page(page, shots)
    page.on("console", lambda m: recorded.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: recorded.errors.append(str(e)))
    try:
        yield recorded
    finally:
        context.close()
    assert recorded.errors == [], f"console errors: {recorded.errors}"


@pytest.fixture
def page(browser, shots) -> Iterator[Page]:
    yield from _open(browser, shots, viewport={"width": 1280, "height": 860})


@pytest.fixture
def phone(browser, shots) -> Iterator[Page]:
    yield from _open(browser, shots, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
