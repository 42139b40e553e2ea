"""The page: the data of :mod:`.model` inside one HTML file with its styles and script
(``report.css``, ``report.js``, package data of this folder), nothing fetched from anywhere,
and its writing to a path or URL.

The data sits in a ``<script type="application/json">`` element with every ``<`` escaped, so
no task name, parameter or traceback can end the element or inject markup; the script puts
text into the page with ``textContent`` only.

A page is written like an output: through the URL's fsspec filesystem (``memory://``,
``s3://``, a local path), atomically (a temporary file beside it, then renamed: a reader
reloading the page during a build sees the last whole page, never half of one), its folder made
when missing.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import Any

from gokart_core.plugin.manager import get_plugins
from gokart_core.target import storage


@cache
def _asset(name: str) -> str:
    return resources.files(__package__ or "gokart_core.report").joinpath(name).read_text("utf-8")


def render(data: dict[str, Any]) -> str:
    """The page of ``data`` (:func:`gokart_core.report.model.page_data`)."""
    payload = json.dumps(data, separators=(",", ":"), default=str)
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    title = html.escape(str(data.get("title", "run report")))
    # While the build runs, the page reloads itself (the selection stays: it is in the URL).
    refresh = "" if data.get("finished", True) else '<meta http-equiv="refresh" content="2">'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title} · gokart-core run report</title>\n{refresh}\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>\n{_asset('report.css')}</style>\n</head>\n<body>\n"
        '<header id="top"></header>\n<main><section id="graph"></section>'
        '<aside id="panel"></aside></main>\n'
        f'<script type="application/json" id="report-data">{payload}</script>\n'
        f"<script>\n{_asset('report.js')}</script>\n</body>\n</html>\n"
    )


def write(url: str, text: str, storage_options: dict[str, Any] | None = None) -> None:
    """Write ``text`` to ``url`` atomically; raises what the filesystem raises."""
    fs, path = get_plugins().filesystem(url, storage_options or {})
    with storage.atomic_write(fs, path) as fp:
        fp.write(text.encode("utf-8"))
