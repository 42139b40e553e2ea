"""The few redis commands the lock needs, spoken over a socket in RESP.

Why not redis-py: importing it costs 40-70 ms per process (its package imports asyncio and,
since 7.x, OpenTelemetry) and each command ~40 µs of client code, which together were most of
a locked build's overhead. The lock sends three scripts and PING, whose replies are integers,
simple strings and errors: a small protocol to speak, and the tests check it against redis-py.

Every command the lock sends is idempotent (see ``_lock.py``), so a command that fails on a
connection that went stale is sent once more on a fresh one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import BinaryIO, NoReturn

logger = logging.getLogger(__name__)


class RedisConnectionError(OSError):
    """The server could not be reached, or the connection broke."""


class RedisReplyError(Exception):
    """The server answered with an error."""


def _encode(args: tuple[str | int | float, ...]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


Reply = int | bytes | None
Args = tuple[str | int | float, ...]
#: Told the reply of a command sent without waiting: the reply, or the error it raised.
OnReply = Callable[[int | bytes | Exception | None], None]

#: Replies left unread before the connection reads them all (a PING) on its own.
_MAX_UNREAD = 64


class Connection:
    """One socket to one server; not thread-safe (``client()`` gives each thread its own).

    ``execute`` waits for the reply; ``send`` does not: its reply is read, and handed to a
    callback, before the reply of the next ``execute``, so a release costs no round trip of
    its own. Commands are resent on a fresh connection when one broke, so both are only for
    idempotent commands.
    """

    def __init__(self, host: str, port: int, connect_timeout: float, timeout: float) -> None:
        self.host, self.port = host, port
        self._connect_timeout, self._timeout = connect_timeout, timeout
        self._sock: socket.socket | None = None
        self._rfile: BinaryIO | None = None
        self._unread: list[tuple[Args, OnReply]] = []

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self._connect_timeout)
        # Commands are small and answered before the next is sent: Nagle would only delay them.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self._timeout)
        self._sock, self._rfile = sock, sock.makefile("rb")

    def close(self) -> None:
        if self._sock is not None:
            assert self._rfile is not None
            self._rfile.close()
            self._sock.close()
            self._sock = self._rfile = None

    def execute(self, *args: str | int | float) -> Reply:
        """Send one command and return its reply (after handing out the replies of commands
        sent before it); reconnects once, resending those too, if the connection broke."""
        fresh = self._sock is None
        try:
            return self._roundtrip(args, resend=False)
        except (OSError, EOFError) as first:
            self.close()
            if fresh:  # nothing stale to blame: the server is not there
                self._give_up(first)
        except BaseException as interrupted:
            self._give_up(interrupted, reraise=True)
        try:
            return self._roundtrip(args, resend=True)
        except (OSError, EOFError) as second:
            self._give_up(second)
        except BaseException as interrupted:
            self._give_up(interrupted, reraise=True)
        raise AssertionError("unreachable")  # _give_up raises

    def send(self, *args: str | int | float, on_reply: OnReply) -> None:
        """Send one command without waiting for its reply; ``on_reply`` gets it later."""
        self._unread.append((args, on_reply))
        try:
            if self._sock is None:
                self._connect()
            assert self._sock is not None
            # A socket the server closed (its idle timeout, a restart) takes a send without
            # complaint, and nothing may come after this one to find out: look first.
            if self._closed_by_server(self._sock):
                raise ConnectionResetError("the server closed the connection")
            self._sock.sendall(_encode(args))
        except OSError:
            self.close()
            try:
                self._connect()
                assert self._sock is not None
                self._sock.sendall(b"".join(_encode(a) for a, _ in self._unread))
            except OSError as second:
                self._give_up(second)
        if len(self._unread) >= _MAX_UNREAD:
            self.execute("PING")

    def _roundtrip(self, args: Args, resend: bool) -> Reply:
        if self._sock is None:
            self._connect()
        assert self._sock is not None and self._rfile is not None
        earlier = b"".join(_encode(a) for a, _ in self._unread) if resend else b""
        self._sock.sendall(earlier + _encode(args))
        while self._unread:
            try:
                reply: Reply | Exception = self._read_reply(self._rfile)
            except RedisReplyError as exc:
                reply = exc
            _, on_reply = self._unread.pop(0)
            _hand(on_reply, reply)
        return self._read_reply(self._rfile)

    def _closed_by_server(self, sock: socket.socket) -> bool:
        sock.setblocking(False)
        try:
            return sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False  # nothing to read: open
        finally:
            sock.settimeout(self._timeout)

    def _give_up(self, exc: BaseException, reraise: bool = False) -> NoReturn:
        """Close (a reply left unread would be taken for the next command's), tell the callbacks
        of unread commands, and raise."""
        self.close()
        unread, self._unread = self._unread, []
        for _, on_reply in unread:
            _hand(on_reply, RedisConnectionError(f"{type(exc).__name__}: {exc}"))
        if reraise:
            raise exc
        raise RedisConnectionError(f"{type(exc).__name__}: {exc}") from exc

    def _read_reply(self, rfile: BinaryIO) -> Reply:
        line = rfile.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("the server closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b":":
            return int(rest)
        if kind == b"-":
            raise RedisReplyError(rest.decode(errors="replace"))
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = rfile.read(size + 2)
            if len(data) != size + 2:
                raise EOFError("the server closed the connection")
            return data[:-2]
        # The lock's commands never answer with anything else: a desynchronised stream must
        # not be read on, so it is treated as a broken connection.
        raise EOFError(f"unexpected reply {line[:40]!r}")


def _hand(on_reply: OnReply, reply: Reply | Exception) -> None:
    try:
        on_reply(reply)
    except Exception:  # a callback's bug must not leave the connection out of step
        logger.exception("a redis reply callback failed")


_local = threading.local()


def client(host: str, port: int) -> Connection:
    """This thread's connection to ``host:port``; a forked child makes its own."""
    conns: dict[tuple[str, int, int], Connection] | None = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    key = (host, port, os.getpid())
    conn = conns.get(key)
    if conn is None:
        # No command of the lock blocks on the server: an answer that takes seconds means a
        # connection gone silent, and the renewal thread must not wait long on one.
        conn = conns[key] = Connection(host, port, connect_timeout=5.0, timeout=5.0)
    return conn
