"""The objects of every in-memory target of this process, by key (gokart's repository)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class InMemoryData:
    """One kept object and when it was dumped."""

    value: Any
    last_modification_time: datetime = field(default_factory=datetime.now)

    @classmethod
    def create_data(cls, value: Any) -> InMemoryData:
        return cls(value)


class InMemoryCacheRepository:
    """A view of the process-wide store: every instance sees the same objects, as in gokart."""

    _cache: ClassVar[dict[str, InMemoryData]] = {}

    def get_value(self, key: str) -> Any:
        return self._get_data(key).value

    def get_last_modification_time(self, key: str) -> datetime:
        return self._get_data(key).last_modification_time

    def _get_data(self, key: str) -> InMemoryData:
        try:
            return self._cache[key]
        except KeyError:
            raise KeyError(f"nothing was dumped to the in-memory target {key!r}") from None

    def set_value(self, key: str, obj: Any) -> None:
        self._cache[key] = InMemoryData.create_data(obj)

    def has(self, key: str) -> bool:
        return key in self._cache

    def remove(self, key: str) -> None:
        self._get_data(key)
        del self._cache[key]

    def empty(self) -> bool:
        return not self._cache

    def clear(self) -> None:
        self._cache.clear()

    def get_gen(self) -> Iterator[tuple[str, Any]]:
        for key, data in list(self._cache.items()):
            yield key, data.value

    @property
    def size(self) -> int:
        return len(self._cache)
