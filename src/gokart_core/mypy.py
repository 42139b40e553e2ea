"""gokart's mypy plugin path: ``plugins = gokart_core.mypy`` in a mypy config (gokart's docs:
``plugins = gokart.mypy``).

It is luigi's own plugin (``luigi.mypy``), which types the constructor of every luigi task,
``TaskOnKart`` subclasses included, from their parameters: ``MyTask(n="x")`` for an
``n: int = luigi.IntParameter()`` is an error. Every parameter is optional in that constructor,
since a value may come from the config or the command line, unless ``pyproject.toml`` says, as
gokart's plugin reads it::

    [tool.gokart-mypy]
    disallow_missing_parameters = true

Then a parameter declared without a default must be passed: ``MyTask()`` is ``Missing named
argument "n"``. The option is read from the mypy config file when that is a ``pyproject.toml``
(gokart's rule); it must be a boolean. This project type-checks itself with the plugin
(``pyproject.toml``), ``tests/typing_rejected.py`` being the uses it must reject.

The one module that subclasses luigi's plugin: it reads the ``has_default`` of the attributes
that luigi's plugin records per class, and changes the constructor's signature at each call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

# mypy's modules first: luigi.mypy starts with mypy.expandtype, which imported before
# mypy.types is a circular import (outside a mypy run, as in read_options' tests).
from mypy.types import CallableType, Instance, get_proper_type  # isort: skip
from mypy.nodes import ARG_NAMED, ARG_NAMED_OPT, TypeInfo
from mypy.options import Options
from mypy.plugin import FunctionSigContext, ReportConfigContext

# isort: split
from luigi.mypy import METADATA_TAG, TaskPlugin

#: gokart's section and option names.
SECTION = "gokart-mypy"
DISALLOW_MISSING_PARAMETERS = "disallow_missing_parameters"


def read_options(config_file: str | None) -> dict[str, bool]:
    """``{"disallow_missing_parameters": bool}`` from ``[tool.gokart-mypy]`` of the mypy
    config file, when it is a ``pyproject.toml`` (False otherwise)."""
    found = False
    if config_file is not None and config_file.endswith(".toml"):
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # mypy's own dependency there
            import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
        with open(config_file, "rb") as f:
            section = tomllib.load(f).get("tool", {}).get(SECTION, {})
        found = section.get(DISALLOW_MISSING_PARAMETERS, False)
        if not isinstance(found, bool):
            raise ValueError(
                f"{config_file}: [tool.{SECTION}] {DISALLOW_MISSING_PARAMETERS} must be true or "
                f"false, not {found!r}"
            )
    return {DISALLOW_MISSING_PARAMETERS: found}


class GokartTaskPlugin(TaskPlugin):
    """luigi's ``TaskPlugin`` with gokart's ``disallow_missing_parameters``: the constructor's
    signature at each call, with the parameters that the class declares without a default
    (luigi's plugin records which, in the class's metadata) made required."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._options = read_options(options.config_file)

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        return self._options  # mypy's cache is invalid when the option changes

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], CallableType] | None:
        if not self._options[DISALLOW_MISSING_PARAMETERS]:
            return None
        sym = self.lookup_fully_qualified(fullname)  # a class name: the call of a constructor
        if sym is not None and isinstance(sym.node, TypeInfo) and METADATA_TAG in sym.node.metadata:
            return _required_missing
        return None


def _required_missing(ctx: FunctionSigContext) -> CallableType:
    signature = ctx.default_signature
    returned = get_proper_type(signature.ret_type)
    if not isinstance(returned, Instance):
        return signature
    attributes = returned.type.metadata.get(METADATA_TAG, {}).get("attributes", [])
    required = {a["name"] for a in attributes if not a.get("has_default", True)}
    kinds = [
        ARG_NAMED if kind == ARG_NAMED_OPT and name in required else kind
        for name, kind in zip(signature.arg_names, signature.arg_kinds)
    ]
    return signature.copy_modified(arg_kinds=kinds)


def plugin(version: str) -> type[GokartTaskPlugin]:
    """mypy's entry point."""
    return GokartTaskPlugin


__all__ = ["GokartTaskPlugin", "plugin", "read_options"]
