"""Sphinx configuration: ``nox -s docs`` builds ``docs/_build/html`` with warnings as errors.

The pages are Markdown (myst-parser). The hook reference and the plugin pages are generated at
build time from the installed gokart-core and plugins (``_ext/``): nothing there is typed by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "gokart-core"
author = "gokart-core developers"
copyright = "gokart-core developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "hook_reference",
    "plugin_reference",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# The reference shows hooks and APIs by their short names; the module is said once per page.
add_module_names = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}

html_theme = "alabaster"
html_title = "gokart-core"
html_static_path: list[str] = []
