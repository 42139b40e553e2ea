"""Parameter types of gokart that hold plain values (tasks as values: ``task_parameters``)."""

from __future__ import annotations

import datetime
import urllib.parse
import warnings
from typing import Any, Generic, Protocol, TypeVar

import luigi

from gokart_core.luigi_internals import OneValueOnCommandLine


class ExplicitBoolParameter(OneValueOnCommandLine, luigi.BoolParameter):
    """A bool parameter that takes an explicit value on the command line: ``--flag true``
    (``True``/``false``, any case). As in gokart: ``--flag`` without a value is argparse's
    "expected one argument" error, a value other than true or false a ``ValueError``, and
    without a default the parameter is required (``MissingParameterException``), where
    luigi's ``BoolParameter`` would be False."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("parsing", None)
        self.parsing = luigi.BoolParameter.EXPLICIT_PARSING
        luigi.Parameter.__init__(self, *args, **kwargs)  # no implicit default of False


S = TypeVar("S", bound="Serializable")


class Serializable(Protocol):
    """What ``SerializableParameter`` needs of its objects (gokart's protocol)."""

    def gokart_serialize(self) -> str:
        """The object as a string; leave out fields whose changes should not change ids."""
        ...

    @classmethod
    def gokart_deserialize(cls: type[S], s: str) -> S:
        """The object from what ``gokart_serialize`` wrote."""
        ...


class SerializableParameter(luigi.Parameter[S], Generic[S]):
    """An object of ``object_type`` that serializes itself (``gokart_serialize`` and the
    classmethod ``gokart_deserialize``). Generic, as gokart's:
    ``SerializableParameter[Config](object_type=Config)``."""

    def __init__(self, object_type: type[S], *args: Any, **kwargs: Any) -> None:
        self._object_type = object_type
        super().__init__(*args, **kwargs)

    def parse(self, x: Any) -> S:
        if isinstance(x, self._object_type):
            return x
        return self._object_type.gokart_deserialize(x)

    def serialize(self, x: S) -> str:
        return str(x.gokart_serialize())


class ZonedDateSecondParameter(luigi.Parameter):
    """A timezone-aware ``datetime`` to the second, ISO 8601: ``2013-07-10T19:07:38+09:00``.

    A trailing ``Z`` means UTC. A value without a timezone is accepted with a warning.
    Microseconds are dropped.
    """

    def parse(self, x: Any) -> datetime.datetime:
        if isinstance(x, datetime.datetime):
            return x
        text = str(x)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        value = datetime.datetime.fromisoformat(text)
        if value.tzinfo is None:
            warnings.warn(
                f"{x!r} has no timezone; luigi.DateSecondParameter is meant for naive datetimes",
                stacklevel=2,
            )
        return value

    def serialize(self, x: Any) -> str:
        return str(x.isoformat())

    def normalize(self, x: Any) -> Any:
        if isinstance(x, datetime.datetime):
            return x.replace(microsecond=0)
        return x


__all__ = [
    "ExplicitBoolParameter",
    "Serializable",
    "SerializableParameter",
    "ZonedDateSecondParameter",
]


class ServerParameter(luigi.OptionalParameter):
    """A server's host or URL (``redis_host``): a URL's password is masked wherever the value
    is shown or sent as text (the task's parameters on luigid, its logs, its tree). The value
    itself keeps it; give passwords through a plugin's config or environment instead where
    another process must re-create the task from its parameters."""

    def serialize(self, x: Any) -> str:
        text = super().serialize(x)
        return mask_url_password(text) if text and "://" in text else text


def mask_url_password(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (the rest as it was, valid or
    not)."""
    parts = urllib.parse.urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
