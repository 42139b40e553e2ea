"""What a new s3fs filesystem takes over from the ones made before it in this process or an
ancestor: the one module of gokart-s3 that reaches into aiobotocore (s3fs's client library).

luigi forks a process per task (``workers > 1``). A forked child cannot use its parent's client
(the parent's event loop and sockets), so each child makes a session and a client of its own,
and on the way parses what its parent parsed already: botocore's service models (~120 ms of CPU)
and the CA bundle of every TLS context (~50 ms, even for an ``http://`` endpoint), and it
registers botocore's ~120 builtin event handlers again (~15 ms). These are plain data that a
child may read, so they are kept here, once per process tree:

- the *session*: one per set of session arguments (a child uses its copy of the parent's, with
  the credentials resolved again), and botocore's *data loader* (the parsed models) in all;
- aiohttp's TLS contexts are built once per (verify, client certificate) by an
  ``http_session_cls`` that keeps them (an ``ssl.SSLContext`` may serve many connections, in
  any process that inherited it).

Each step checks that aiobotocore still has the shape it relies on and otherwise leaves s3fs's
own behaviour alone: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

__all__ = ["prepare"]

#: botocore's data loader of the first session made in this process or an ancestor.
_data_loader: Any = None
#: (pid, session) by the session's arguments: the one made here or inherited from an ancestor.
_sessions: dict[str, tuple[int, Any]] = {}
#: (ssl context, proxy ssl context) by (verify, certificate file, key file): the built ones.
_tls_contexts: dict[tuple[Any, Any, Any], tuple[Any, Any]] = {}
#: The session class that keeps TLS contexts, once made (None: this aiobotocore has no place).
_session_class: Any = None


def prepare(fs: Any) -> None:
    """Give a new s3fs filesystem, before its first request, the shared parts."""
    _share_session(fs)
    _share_tls_contexts(fs)


def _share_session(fs: Any) -> None:
    """Set the session s3fs would make (``AioSession(**fs.kwargs)``): one per set of session
    arguments in this process, inherited by forked children."""
    if getattr(fs, "session", True) is not None or not isinstance(
        getattr(fs, "kwargs", None), dict
    ):
        return  # connected already, given a session by the task, or not the s3fs we know
    key = repr(sorted(fs.kwargs.items()))
    pid, session = _sessions.get(key, (None, None))
    if session is None:
        from aiobotocore.session import AioSession

        session = AioSession(**fs.kwargs)
        global _data_loader
        if _data_loader is None:
            _data_loader = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _data_loader)
    elif pid != os.getpid() and hasattr(session, "_credentials"):
        # Inherited from the parent: resolve credentials again here. Refreshable ones hold an
        # asyncio lock that may be bound to the parent's loop, or held by its loop's thread at
        # the fork, which no thread of this process would ever release.
        session._credentials = None
    _sessions[key] = (os.getpid(), session)
    fs.session = session


def _share_tls_contexts(fs: Any) -> None:
    """Make s3fs's client with the session class that keeps TLS contexts, unless the task
    chose a class of its own (``config_kwargs={"http_session_cls": ...}``)."""
    config = getattr(fs, "config_kwargs", None)
    if not isinstance(config, dict) or "http_session_cls" in config:
        return
    cls = _tls_keeping_session_class()
    if cls is not None:
        # A new dict: the task's own options (and fsspec's cache key) stay as they were.
        fs.config_kwargs = {**config, "http_session_cls": cls}


def _tls_keeping_session_class() -> Any:
    global _session_class
    if _session_class is not None:
        return _session_class
    try:
        from aiobotocore.httpsession import AIOHTTPSession
    except ImportError:
        return None
    if not callable(getattr(AIOHTTPSession, "_build_ssl_contexts", None)):
        return None  # an aiobotocore that builds its contexts elsewhere

    class TLSKeepingSession(AIOHTTPSession):  # type: ignore[misc]
        """aiobotocore's aiohttp session, building each kind of TLS context once."""

        def _build_ssl_contexts(self, proxy_url: Any) -> Any:
            if proxy_url:  # proxies add settings of their own: not kept
                return super()._build_ssl_contexts(proxy_url)
            key = (self._verify, self._cert_file, self._key_file)
            try:
                return _tls_contexts[key]
            except (KeyError, TypeError):  # TypeError: a key that cannot be hashed
                pass
            built = super()._build_ssl_contexts(proxy_url)
            with contextlib.suppress(TypeError):
                _tls_contexts[key] = built  # racing threads at worst build one twice
            return built

    _session_class = TLSKeepingSession
    return _session_class
