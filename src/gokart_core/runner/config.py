"""``add_config(path)``: read a luigi configuration file (ini; toml and yaml when their parsers
are installed) into the configuration that tasks read their parameters from."""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import json
import os
import sys
from typing import Any

import luigi.configuration
from luigi.configuration.cfg_parser import LuigiConfigParser

INI_SUFFIXES = (".ini", ".cfg", ".conf")
YAML_SUFFIXES = (".yaml", ".yml")
TOML_SUFFIXES = (".toml",)


def add_config(file_path: str | os.PathLike[str]) -> None:
    """Add a configuration file: ``[Section] option = value`` for ini, ``Section: {option:
    value}`` for yaml and ``[Section]`` tables for toml. A value set by a later file wins.

    ``${ENV_VAR}`` in a value is replaced by the environment variable when read (luigi's
    interpolation), in every format. Raises FileNotFoundError for a missing file and
    ValueError for an unknown suffix or a file that is not sections of options.
    """
    path = os.fspath(file_path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"add_config: no such config file: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in INI_SUFFIXES:
        LuigiConfigParser.add_config_path(path)  # type: ignore[no-untyped-call]  # re-reads all
        return
    if suffix in YAML_SUFFIXES:
        if importlib.util.find_spec("yaml") is None:
            raise ImportError(f"add_config({path!r}) needs PyYAML: pip install pyyaml")
        import yaml

        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    elif suffix in TOML_SUFFIXES:
        toml_module = "tomllib" if sys.version_info >= (3, 11) else "tomli"
        if importlib.util.find_spec(toml_module) is None:
            raise ImportError(f"add_config({path!r}) needs tomli on Python 3.10: pip install tomli")
        toml = importlib.import_module(toml_module)
        with open(path, "rb") as f:
            data = toml.load(f)
    else:
        raise ValueError(
            f"add_config({path!r}): unknown config suffix {suffix!r}; use one of "
            f"{', '.join(INI_SUFFIXES + YAML_SUFFIXES + TOML_SUFFIXES)}"
        )
    _set_sections(path, data)


def _set_sections(path: str, data: Any) -> None:
    if data is None:
        return
    if not isinstance(data, dict):
        raise ValueError(
            f"add_config({path!r}): expected sections of options, got {type(data).__name__}"
        )
    config = luigi.configuration.get_config()
    for section, options in data.items():
        if not isinstance(options, dict):
            raise ValueError(
                f"add_config({path!r}): section {section!r} must map options to values, "
                f"got {type(options).__name__}"
            )
        if not config.has_section(str(section)):
            config.add_section(str(section))
        for option, value in options.items():
            if value is None:
                continue
            # '%' is ini interpolation syntax: keep it literal; ${VAR} still interpolates.
            config.set(str(section), str(option), _to_str(value).replace("%", "%%"))


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str)
    return str(value)


__all__ = ["add_config"]
