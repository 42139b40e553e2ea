"""Headless Chromium for the report tests, through Playwright's Python API and the system's
browser (Debian's ``chromium``: Playwright's own browser downloads are never used). A missing
browser or Playwright skips the test with how to get them, and fails it in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from gokart_core.testing.servers import unavailable

INSTALL = (
    "the browser tests need Chromium and Playwright's Python API: apt-get install -y chromium "
    "(or set GOKART_CHROMIUM to a Chromium binary) and pip install playwright"
)


def chromium_path() -> str | None:
    given = os.environ.get("GOKART_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable(INSTALL)
    path = chromium_path()
    if path is None:
        unavailable(INSTALL)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    opened = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    try:
        yield opened
    finally:
        opened.close()
    assert errors == [], errors


def open_report(page: Any, path: str) -> float:
    """Open the page from disk and wait until its script has drawn it; the seconds it took."""
    import time

    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    started = time.perf_counter()
    page.goto(f"file://{path}")
    page.wait_for_selector("body[data-ready]", timeout=30_000)
    elapsed = time.perf_counter() - started
    # self-contained: nothing fetched but the file itself
    assert [u for u in requests if not u.startswith("file://")] == []
    return elapsed
