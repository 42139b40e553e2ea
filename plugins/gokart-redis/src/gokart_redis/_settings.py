"""Where the lock's redis is and how to reach it: a task's ``redis_host`` / ``redis_port``, the
``[gokart_redis]`` section of the luigi config and ``GOKART_REDIS_*`` environment variables,
resolved into one :class:`RedisSettings` (without importing redis-py, so that a build without a
lock never pays for it).

The server, first found wins: ``redis_host`` given as a URL (``redis://``, ``rediss://``,
``unix://``); ``redis_host`` and ``redis_port``; the ``url`` option; the ``sentinels`` option
(with ``sentinel_service``). With none of them the lock is off. Every other option (``username``,
``password``, ``db``, the TLS files, the timeouts) applies to whichever server was found, over
what a URL says. An option is read from ``GOKART_REDIS_<OPTION>`` (``GOKART_REDIS_PASSWORD``)
first, then from ``[gokart_redis]``.

A password (and a URL's password) is kept out of every message, repr and log line:
:meth:`RedisSettings.describe` names the server only, and :func:`scrub` masks what a library's
error message might quote.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

from gokart_core.plugin_api import LockSettings, mask_url_password

SECTION = "gokart_redis"
_ENV_PREFIX = "GOKART_REDIS_"
#: The options of ``[gokart_redis]`` and their types; each is also ``GOKART_REDIS_<NAME>``.
OPTIONS: Mapping[str, type] = {
    "url": str,
    "username": str,
    "password": str,
    "db": int,
    "ssl": bool,
    "ssl_ca_certs": str,
    "ssl_certfile": str,
    "ssl_keyfile": str,
    "sentinels": str,
    "sentinel_service": str,
    "sentinel_password": str,
    "socket_timeout": float,
    "retry_seconds": float,
}
_TRUE = {"1", "true", "yes", "on"}


class RedisSettingsError(ValueError):
    """An option of ``[gokart_redis]`` (or its environment variable) that cannot be used."""


@dataclasses.dataclass(frozen=True)
class RedisSettings:
    """How to reach the lock's redis. Hashable: one connection pool per distinct settings."""

    host: str | None = None
    port: int | None = None
    unix_socket_path: str | None = None
    #: ``(host, port)`` of each sentinel, and the name of the master they watch.
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_service: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    sentinel_password: str | None = dataclasses.field(default=None, repr=False)
    ssl: bool = False
    ssl_ca_certs: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    #: Seconds to wait for a reply (and to connect) before the command counts as failed.
    socket_timeout: float = 5.0
    #: How long transient errors (connection refused or reset, a timeout, a server loading its
    #: data, a replica that is read-only during a failover) are retried before the lock fails.
    retry_seconds: float = 30.0

    def describe(self) -> str:
        """The server for messages: never a password."""
        if self.sentinels:
            where = ",".join(f"{h}:{p}" for h, p in self.sentinels)
            text = f"redis master {self.sentinel_service!r} of the sentinels {where}"
        elif self.unix_socket_path:
            text = f"redis unix:{self.unix_socket_path}"
        else:
            text = f"redis {self.host}:{self.port}"
        extras = [f"db {self.db}"] if self.db else []
        if self.ssl:
            extras.append("TLS")
        if self.username:
            extras.append(f"user {self.username!r}")
        return f"{text} ({', '.join(extras)})" if extras else text

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.sentinel_password) if s]


def scrub(text: str, settings: RedisSettings) -> str:
    """``text`` with every secret of ``settings`` masked (for messages quoting a library's)."""
    for secret in settings.secrets():
        text = text.replace(secret, "***")
        quoted = urllib.parse.quote(secret, safe="")
        if quoted != secret:
            text = text.replace(quoted, "***")
    return text


def _options(config: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, kind in OPTIONS.items():
        env = f"{_ENV_PREFIX}{name.upper()}"
        raw = environ.get(env)
        source = env
        if raw is None:
            raw, source = config.get(name), f"[{SECTION}] {name}"
        if raw is None or raw == "":
            continue
        try:
            if kind is bool:
                found[name] = raw.strip().lower() in _TRUE
            else:
                found[name] = kind(raw)
        except ValueError:
            shown = "***" if "password" in name else repr(raw)
            raise RedisSettingsError(f"{source}: {shown} is not a valid {kind.__name__}") from None
    return found


def _sentinels(text: str) -> tuple[tuple[str, int], ...]:
    out = []
    for item in text.split(","):
        host, sep, port = item.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            raise RedisSettingsError(
                f"[{SECTION}] sentinels: {item.strip()!r} is not host:port "
                "(give them as host1:26379,host2:26379)"
            )
        out.append((host, int(port)))
    return tuple(out)


def _from_url(url: str) -> dict[str, Any]:
    """The settings a URL gives, as redis-py reads URLs (imported here: a lock is on)."""
    from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url

    try:
        parsed = parse_url(url)  # type: ignore[no-untyped-call, unused-ignore]
    except ValueError as exc:
        raise RedisSettingsError(f"redis URL {mask_url_password(url)!r}: {exc}") from None
    out: dict[str, Any] = {
        k: parsed[k] for k in ("host", "port", "db", "username", "password") if k in parsed
    }
    cls = parsed.get("connection_class")
    if cls is UnixDomainSocketConnection:
        out["unix_socket_path"] = parsed["path"]
    elif cls is SSLConnection:
        out["ssl"] = True
    if "host" in out and "port" not in out:
        out["port"] = 6379
    for key in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        if key in parsed:
            out[key] = parsed[key]
    return out


def resolve(
    lock: LockSettings,
    config: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> RedisSettings | None:
    """The settings of the lock that ``lock`` asks for, or None when no server is named."""
    section = config if config is not None else _config_section()
    # Only the GOKART_REDIS_* variables: one pass over the keys costs half of looking up each
    # option's name, and the pairs key the memo below.
    env = environ if environ is not None else os.environ
    ours = tuple(sorted((k, env[k]) for k in env if k.startswith(_ENV_PREFIX)))
    return _resolved(lock.host, lock.port, tuple(sorted(section.items())), ours)


@functools.lru_cache(maxsize=256)
def _resolved(
    host: str | None,
    port: int | None,
    config: tuple[tuple[str, str], ...],
    environ: tuple[tuple[str, str], ...],
) -> RedisSettings | None:
    # Every lock a task takes asks again (the config or the environment may have changed since
    # the last): the same inputs give the same settings without parsing them again.
    options = _options(dict(config), dict(environ))
    server: dict[str, Any] = {}
    if host is not None and "://" in host:
        server = _from_url(host)
    elif host is not None and port is not None:
        server = {"host": host, "port": int(port)}
    elif "url" in options:
        server = _from_url(options["url"])
    elif "sentinels" in options:
        if "sentinel_service" not in options:
            raise RedisSettingsError(
                f"[{SECTION}] sentinels is set without sentinel_service (the master's name)"
            )
        server = {"sentinels": _sentinels(options["sentinels"])}
    else:
        return None
    options.pop("url", None)
    options.pop("sentinels", None)
    return RedisSettings(**{**server, **options})


def _config_section() -> dict[str, str]:
    import luigi.configuration

    config = luigi.configuration.get_config()
    if not config.has_section(SECTION):
        return {}
    return {k: v for k, v in config.items(SECTION) if k in OPTIONS}


__all__ = ["RedisSettings", "RedisSettingsError", "resolve", "scrub"]
