"""What a task's code contributes to its unique id.

Two opt-in ways to rename a task's outputs when its code changes, both off by default so that
unique ids stay gokart's:

- ``serialized_task_definition_check=True`` (a parameter, as in gokart 1.12): a digest of the
  class's source code enters the id. The source is normalized through the AST, so formatting,
  comments, docstrings and other bare string statements leave the id alone, while any other edit
  (a constant, an operator, a call, a decorator, an annotation) changes it. The classes covered
  are the task class and every base class it inherits behaviour from, except the framework's own
  (``TaskOnKart`` and its bases, luigi's, the standard library's ``typing``/``abc``). Code outside
  those classes (a module-level helper that ``run()`` calls) is not covered: bump
  ``code_version`` for that.
- ``code_version = "2"`` (a class attribute, as dagster's ``code_version`` on assets): any str
  enters the id as it is; ``None`` (the default) adds nothing. It is inherited like any class
  attribute.

gokart hashed the raw text of the methods instead, so with the check on, ids differ from
gokart's (by design: gokart's change with every reformatting). The normalized form depends on
Python's AST, which may change between Python minor versions: an upgrade of Python may rename
outputs of tasks that use the check.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import luigi

from gokart_core import forksafe
from gokart_core.errors import TaskDefinitionError

#: Modules whose classes are framework, never the user's task code: their source may be absent
#: (C types), and a new luigi or gokart-core version must not rename every output.
_FRAMEWORK_MODULES = (
    "builtins",
    "typing",
    "abc",
    "collections",
    "_collections_abc",
    "luigi",
    "gokart_core",
)

#: Normalized source of one class, per class object: a class is parsed once, however many
#: tasks (or subclasses) use it. Weak keys: a class redefined in a notebook frees the old entry.
_class_sources: weakref.WeakKeyDictionary[type, str] = weakref.WeakKeyDictionary()
_digests: weakref.WeakKeyDictionary[type, str] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _new_lock_in_child() -> None:
    # Another thread of the parent (the run report's writer) may hold it at the fork: it would
    # never be released in the child.
    global _lock
    _lock = threading.Lock()


forksafe.at_fork_in_child(_new_lock_in_child)


def unique_id_parts(task: Any, check_definition: bool) -> list[Any]:
    """What ``task``'s code adds to the list its unique id hashes: the definition digest (when
    ``check_definition``), then ``{"code_version": ...}`` (when the task has one). Empty when
    neither applies, which keeps the id gokart's."""
    cls = type(task)
    parts: list[Any] = []
    if check_definition:
        parts.append(definition_digest(cls))
    # Read from the class: a gokart task may have a luigi parameter of that name, whose value
    # is among its parameters already (and must not change gokart's id).
    version = getattr(cls, "code_version", None)
    if isinstance(version, luigi.Parameter):
        version = None
    if version is not None:
        if not isinstance(version, str):
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__}.code_version must be a str or None, "
                f"got {type(version).__name__} {version!r}"
            )
        parts.append({"code_version": version})
    return parts


def definition_digest(cls: type) -> str:
    """md5 hex digest of the normalized source of ``cls`` and of its non-framework bases (in
    MRO order); computed once per class.

    Raises TaskDefinitionError, naming the class, when a source cannot be found (a class
    defined in a REPL, by ``exec`` or by ``type(...)``), instead of hashing less than the code.
    """
    digest = _digests.get(cls)
    if digest is None:
        sources = [_class_source(klass) for klass in _user_classes(cls.__mro__)]
        digest = hashlib.md5("\n".join(sources).encode()).hexdigest()
        with _lock:
            _digests[cls] = digest
    return digest


def _user_classes(mro: Iterable[type]) -> list[type]:
    return [
        klass
        for klass in mro
        if klass is not object and klass.__module__.split(".")[0] not in _FRAMEWORK_MODULES
    ]


def _class_source(cls: type) -> str:
    cached = _class_sources.get(cls)
    if cached is not None:
        return cached
    name = f"{cls.__module__}.{cls.__qualname__}"
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError) as exc:
        raise TaskDefinitionError(
            f"serialized_task_definition_check=True needs the source code of class {name}, "
            f"which Python cannot find ({exc}); classes defined in a REPL, by exec() or by "
            "type() have none. Define the class in a file, or set code_version on it and turn "
            "the check off."
        ) from exc
    # The lines of a nested class are indented: parsing them under "if 1:" keeps every
    # string literal byte for byte (dedenting would change multi-line strings).
    indented = source[:1].isspace()
    try:
        module = ast.parse("if 1:\n" + source if indented else source)
    except SyntaxError as exc:  # the file changed on disk since the import
        raise TaskDefinitionError(
            f"serialized_task_definition_check=True: the source of class {name} in "
            f"{inspect.getsourcefile(cls)} does not parse ({exc}); was the file edited "
            "since it was imported?"
        ) from exc
    node = module.body[0]
    if indented:
        assert isinstance(node, ast.If)
        node = node.body[0]
    if not isinstance(node, ast.ClassDef) or node.name != cls.__name__:
        raise TaskDefinitionError(
            f"serialized_task_definition_check=True: Python found no definition of class {name} "
            f"in {inspect.getsourcefile(cls)}; was the file edited since it was imported?"
        )
    normalized = _serialize(_strip_strings(node))
    with _lock:
        _class_sources[cls] = normalized
    return normalized


def _strip_strings(tree: ast.AST) -> ast.AST:
    """Remove statements that are a bare string constant (docstrings, attribute docstrings,
    strings used as comments): evaluating them does nothing. A body left empty becomes
    ``pass``, which is what it does."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt):
                continue
            kept = [stmt for stmt in body if not _is_bare_string(stmt)]
            if len(kept) != len(body):
                # ``orelse``/``finalbody`` may be empty; ``body`` may not.
                setattr(node, field, kept or ([ast.Pass()] if field == "body" else []))
    return tree


def _is_bare_string(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _serialize(node: Any) -> str:
    """A deterministic text of an AST without positions. Unlike ``ast.dump``, fields that are
    None or empty are always left out (``ast.dump`` shows them before Python 3.13 and hides
    them after, and new Python versions add such fields, e.g. ``type_params`` in 3.12), and so
    is a string's ``u`` prefix (``Constant.kind``), which means nothing in Python 3."""
    if isinstance(node, ast.AST):
        fields = []
        for field in node._fields:
            if field == "kind" and isinstance(node, ast.Constant):
                continue
            value = getattr(node, field, None)
            if value is None or (isinstance(value, list) and not value):
                continue
            fields.append(f"{field}={_serialize(value)}")
        return f"{type(node).__name__}({', '.join(fields)})"
    if isinstance(node, list):
        return "[" + ", ".join(_serialize(item) for item in node) + "]"
    # Constants: repr tells 1 from 1.0, True and "1"; the type name tells 1 from a subclass.
    return f"{type(node).__name__}:{node!r}"
