"""The format registry: which format handles which file name.

Plugins fill it through the ``gokart_register_formats`` hook. Entries may name their class as a
``"package.module:Class"`` string, imported on first use, so that the cost of a format (pandas,
pyarrow, ...) is paid only by the tasks that use it.
"""

from __future__ import annotations

import importlib
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gokart_core.errors import FormatRegistrationError, PluginNotInstalledError, UnknownFormatError
from gokart_core.plugin.install_hints import pip_install
from gokart_core.target.format import Format, FormatChoice

#: Which distribution provides the formats gokart users expect, for the "install ..." hints.
#: Only a hint table: core registers none of these formats itself.
KNOWN_PROVIDERS: Mapping[str, str] = {
    ".pkl": "gokart-pickle",
    ".csv": "gokart-pandas",
    ".tsv": "gokart-pandas",
    ".json": "gokart-pandas",
    ".ndjson": "gokart-pandas",
    ".parquet": "gokart-pandas",
    ".feather": "gokart-pandas",
    ".txt": "gokart-text",
    ".ini": "gokart-text",
    ".gz": "gokart-text",
    ".xml": "gokart-xml",
    ".npz": "gokart-numpy",
    ".png": "gokart-binary",
    ".jpg": "gokart-binary",
    ".zip": "gokart-zip",
}

#: Which distribution provides the format names gokart-core's own API asks for by name
#: (``make_model_target`` -> ``"model-zip"``), for the "install ..." hint of an unknown name.
KNOWN_FORMAT_NAMES: Mapping[str, str] = {
    "pickle": "gokart-pickle",
    "csv": "gokart-pandas",
    "tsv": "gokart-pandas",
    "json": "gokart-pandas",
    "ndjson": "gokart-pandas",
    "parquet": "gokart-pandas",
    "feather": "gokart-pandas",
    "text": "gokart-text",
    "gz": "gokart-text",
    "xml": "gokart-xml",
    "npz": "gokart-numpy",
    "binary": "gokart-binary",
    "model-zip": "gokart-zip",
    "large-data-frame": "gokart-zip",
}


#: Compression suffixes: ``x.csv.gz`` is csv, gzipped, whenever ``.csv.gz`` itself is not
#: registered. Values are fsspec codec names; the second item is what to install for it.
COMPRESSIONS: Mapping[str, tuple[str, str | None]] = {
    ".gz": ("gzip", None),
    ".bz2": ("bz2", None),
    ".xz": ("xz", None),
    ".zst": ("zstd", "zstandard"),
    ".lz4": ("lz4", "lz4"),
}


@dataclass(frozen=True)
class FormatMatch:
    """How a file name was matched: the entry, the suffix, and a compression codec if any."""

    entry: FormatEntry
    suffix: str
    compression: str | None = None


def _codec_available(codec: str) -> bool:
    import fsspec.compression

    return codec in fsspec.compression.compr


@dataclass
class FormatEntry:
    """A registered format: its name, its class (or where to import it from) and its extensions."""

    name: str
    target: type[Format] | str
    extensions: tuple[str, ...]
    override: bool = False
    install_hint: str | None = None
    _cls: type[Format] | None = field(default=None, repr=False)

    def load_class(self) -> type[Format]:
        """The format class, importing it on first use."""
        if self._cls is None:
            if isinstance(self.target, str):
                self._cls = _import_format(self.name, self.target, self.install_hint)
            else:
                self._cls = self.target
        return self._cls


def _import_format(name: str, spec: str, install_hint: str | None) -> type[Format]:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f"; install it with: {pip_install(install_hint)}" if install_hint else ""
        raise PluginNotInstalledError(
            f"format {name!r} is implemented in {spec!r}, which cannot be imported ({exc}){hint}"
        ) from exc
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, Format)):
        raise FormatRegistrationError(
            f"format {name!r}: {spec!r} does not name a subclass of gokart_core.Format"
        )
    return cls


def _normalize_extension(ext: str) -> str:
    ext = ext.lower()
    return ext if ext.startswith(".") else "." + ext


class FormatRegistry:
    """Maps format names and file-name suffixes to formats."""

    def __init__(self) -> None:
        self._by_name: dict[str, FormatEntry] = {}
        self._by_extension: dict[str, FormatEntry] = {}

    def add(
        self,
        name: str,
        format: type[Format] | str,
        *,
        extensions: Iterable[str] = (),
        override: bool = False,
        install_hint: str | None = None,
    ) -> None:
        """Register ``format`` under ``name`` for the given suffixes (``".csv"``, ``".csv.gz"``).

        ``override=True`` replaces an entry of the same name or extension registered without it,
        in whichever order the two plugins run. ``install_hint`` is what to ``pip install`` when
        a ``"module:Class"`` string cannot be imported.
        """
        entry = FormatEntry(
            name=name,
            target=format,
            extensions=tuple(_normalize_extension(e) for e in extensions),
            override=override,
            install_hint=install_hint,
        )
        if not self._may_replace(self._by_name.get(name), entry, f"format name {name!r}"):
            return
        # Check every extension before changing anything, so a clash registers nothing.
        won = [
            ext
            for ext in entry.extensions
            if self._may_replace(self._by_extension.get(ext), entry, f"extension {ext!r}")
        ]
        self._by_name[name] = entry
        for ext in won:
            self._by_extension[ext] = entry

    @staticmethod
    def _may_replace(existing: FormatEntry | None, new: FormatEntry, what: str) -> bool:
        """Whether ``new`` takes the slot ``what``; raise when neither entry may win."""
        if existing is None:
            return True
        if new.override and not existing.override:
            return True
        if existing.override and not new.override:
            return False
        raise FormatRegistrationError(
            f"{what} is registered twice: by format {existing.name!r} ({existing.target!r}) and "
            f"by format {new.name!r} ({new.target!r}); pass override=True to replace the other"
        )

    @property
    def names(self) -> list[str]:
        """Registered format names, sorted."""
        return sorted(self._by_name)

    @property
    def extensions(self) -> list[str]:
        """Registered suffixes, sorted."""
        return sorted(self._by_extension)

    def entry_for_name(self, name: str) -> FormatEntry:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self.names) or "(none: install a format plugin such as gokart-pickle)"
            provider = KNOWN_FORMAT_NAMES.get(name)
            hint = (
                f"; the plugin distribution {provider!r} provides it: {pip_install(provider)}"
                if provider
                else ""
            )
            raise UnknownFormatError(
                f"no format named {name!r} is registered; registered formats: {known}{hint}"
            ) from None

    def entry_for_path(self, path: str) -> FormatEntry:
        """The entry whose registered suffix is the longest one that ``path`` ends with."""
        return self.match(path).entry

    def match(self, path: str) -> FormatMatch:
        """Match the longest suffix of ``path``'s file name that names a format.

        A suffix names a format when it is registered (``.gz``, ``.csv.gz``), or when it is a
        registered suffix followed by a compression suffix (``.csv`` + ``.gz``): the longest wins,
        so ``x.csv.gz`` is gzipped csv while ``x.gz`` keeps the meaning of ``.gz`` itself.
        """
        name = posixpath.basename(path).lower()
        # Candidate suffixes from longest to shortest: "a.csv.gz" -> ".csv.gz", ".gz".
        dot = name.find(".", 1)
        while dot != -1:
            suffix = name[dot:]
            entry = self._by_extension.get(suffix)
            if entry is not None:
                return FormatMatch(entry, suffix)
            inner, outer = posixpath.splitext(suffix)
            if inner and outer in COMPRESSIONS and inner in self._by_extension:
                codec, package = COMPRESSIONS[outer]
                if not _codec_available(codec):
                    raise PluginNotInstalledError(
                        f"{path!r} is {inner} compressed with {codec}, which needs the package "
                        f"{package!r}: pip install {package}"
                    )
                return FormatMatch(self._by_extension[inner], suffix, codec)
            dot = name.find(".", dot + 1)
        raise UnknownFormatError(self._unknown_extension_message(path, name))

    def _unknown_extension_message(self, path: str, name: str) -> str:
        ext = posixpath.splitext(name)[1]
        registered = ", ".join(self.extensions) or "(none)"
        if not ext:
            what = f"{path!r} has no extension"
        else:
            what = f"no format is registered for extension {ext!r} of {path!r}"
        provider = KNOWN_PROVIDERS.get(ext)
        if provider:
            hint = f"the plugin distribution {provider!r} provides it: {pip_install(provider)}"
        else:
            hint = "a format plugin provides new extensions; or pass format='<name>' to make_target"
        return f"{what}. Registered extensions: {registered}. {hint}"

    def choose(
        self, path: str, format_name: str | None = None, options: Mapping[str, Any] | None = None
    ) -> FormatChoice:
        """The format for ``path``, by explicit name if given, else by the longest suffix (which
        the choice keeps, with its compression codec)."""
        if format_name is not None:
            return FormatChoice(self.create(path, format_name, options))
        match = self.match(path)
        return FormatChoice(
            match.entry.load_class()(**dict(options or {})), match.suffix, match.compression
        )

    def create(
        self, path: str, format_name: str | None = None, options: Mapping[str, Any] | None = None
    ) -> Format:
        """A format instance for ``path``: by explicit name if given, else by suffix."""
        entry = (
            self.entry_for_name(format_name) if format_name is not None else self.match(path).entry
        )
        return entry.load_class()(**dict(options or {}))
