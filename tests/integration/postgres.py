"""A throwaway PostgreSQL server for the tests: Debian's binaries, a fresh cluster on a free port, then removed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from streaming.embedded_broker import free_port

PASSWORD = "console-test-password"  # noqa: S105 - a throwaway cluster on loopback


def postgres_bindir() -> Path | None:
    """The folder of initdb/pg_ctl (Debian keeps them off PATH), or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if p.parent.parent.name.isdigit()]
    return max(versions, key=lambda p: int(p.parent.parent.name)).parent if versions else None


class PostgresServer:
    """``with PostgresServer() as pg: pg.create_database()`` gives SQLAlchemy URLs of fresh databases."""

    def __init__(self, bindir: Path, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable  # fsync on (benchmarks); tests skip it for speed
        self.port = free_port()
        # Not under pytest's tmp folder: the server runs as an unprivileged user who must reach this path.
        self.root = Path(tempfile.mkdtemp(prefix="console-pg-"))
        self.data = self.root / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.root, "nobody")
            self._as_user = ["runuser", "-u", "nobody", "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}): {result.stdout[-2000:]}{result.stderr[-2000:]}"
            )

    def __enter__(self) -> PostgresServer:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_user:
            shutil.chown(pwfile, "nobody")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "scram-sha-256",
            "--pwfile", str(pwfile), "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.start()
        return self

    def start(self) -> None:
        """Start the server on its port (again, after :meth:`stop`)."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off"
        pg_ctl = str(self.bindir / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        """Stop the server at once, as a crash or an outage would."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one database of this server."""
        return f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = f"console_{uuid.uuid4().hex[:12]}"
        conninfo = f"host=127.0.0.1 port={self.port} user=postgres password={PASSWORD} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
