"""The stack's PostgreSQL cluster: where its data lives, how it is created, started and removed.

PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, which must be able to
enter every parent folder of its data. A checkout under a private folder (``/root``, ``mktemp -d``:
mode 0700) does not allow that, and loosening the user's own folders is not ours to do. So as root
the cluster lives in a folder the `postgres` user owns, outside the checkout, named after the stack
folder it serves: ``~postgres/mlops-levels/<checkout>-<hash>``. The stack folder records where
(``postgres-data.txt``) and `make reset` removes it. Run as any other user, the cluster lives in the
stack folder itself (that user owns both).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from shared.project import PROJECT_ROOT

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE_USER = "postgres"
RECORD = "postgres-data.txt"
CHECKOUT = PROJECT_ROOT


class PostgresError(RuntimeError):
    """PostgreSQL cannot be set up as asked; the message says what is missing."""


def _runs_as_other_user() -> bool:
    return os.geteuid() == 0


def as_database_user(command: list[str]) -> list[str]:
    """The command as the `postgres` user when we are root (PostgreSQL refuses root), else unchanged."""
    return ["runuser", "-u", DATABASE_USER, "--", *command] if _runs_as_other_user() else command


def tool(name: str) -> str:
    """A PostgreSQL 15 program (initdb, postgres) from Debian's folder or PATH."""
    found = POSTGRES_BIN / name
    if found.is_file():
        return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        raise PostgresError(f"{name} not found: install PostgreSQL 15 (Debian: apt-get install postgresql-15)")
    return on_path


def _database_user_home() -> Path:
    try:
        home = Path(pwd.getpwnam(DATABASE_USER).pw_dir)
    except KeyError:
        raise PostgresError(
            f"running as root, PostgreSQL needs the OS user {DATABASE_USER!r} (Debian's postgresql packages create it)"
        ) from None
    return home if home.is_dir() else Path(tempfile.gettempdir())


def data_folder_for(stack_folder: Path) -> Path:
    """Where the cluster of ``stack_folder`` lives (see the module's docstring); recorded on first use."""
    record = stack_folder / RECORD
    if record.is_file():
        return Path(record.read_text().strip())
    if not _runs_as_other_user():
        return stack_folder / "postgres"
    digest = hashlib.sha256(str(stack_folder.resolve()).encode()).hexdigest()[:10]
    return _database_user_home() / "mlops-levels" / f"{CHECKOUT.name}-{digest}"


def _owned_by_database_user(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if _runs_as_other_user():
        shutil.chown(folder, DATABASE_USER, DATABASE_USER)


def init_cluster(stack_folder: Path) -> Path:
    """The stack's cluster (created once), its location recorded in the stack folder.

    Over TCP every role logs in with its password (scram-sha-256); the Unix socket, in the data folder
    only the cluster's owner may enter, trusts the superuser for administration. The superuser's own
    password is random and kept nowhere: nothing logs in as it over TCP.
    """
    data = data_folder_for(stack_folder)
    stack_folder.mkdir(parents=True, exist_ok=True)
    (stack_folder / RECORD).write_text(f"{data}\n")
    if (data / "PG_VERSION").is_file():
        return data
    if data.parent != stack_folder:
        _owned_by_database_user(data.parent)
    _owned_by_database_user(data)
    data.chmod(0o700)
    pwfile = data.parent / f".initdb-password-{os.getpid()}"
    pwfile.touch(mode=0o600)
    pwfile.write_text(secrets.token_urlsafe(24) + "\n")
    if _runs_as_other_user():
        shutil.chown(pwfile, DATABASE_USER, DATABASE_USER)
    command = [tool("initdb"), "-D", str(data), "-U", DATABASE_USER, f"--pwfile={pwfile}", "--no-sync"]
    command += ["--auth-local=trust", "--auth-host=scram-sha-256"]
    try:
        done = subprocess.run(as_database_user(command), capture_output=True, text=True, timeout=120)
    finally:
        pwfile.unlink(missing_ok=True)
    if done.returncode != 0:
        raise PostgresError(f"initdb in {data} failed: {done.stderr.strip()[-500:]}")
    return data


def trusts_local_users(data: Path) -> bool:
    """A cluster made by an older stack: TCP logins need no password."""
    rules = [line.split() for line in (data / "pg_hba.conf").read_text().splitlines() if line.startswith("host")]
    return any(rule[-1] == "trust" for rule in rules)


def admin_conninfo(data: Path, port: int) -> str:
    """The superuser over the cluster's Unix socket (its data folder): for creating roles and databases."""
    return f"host={data} port={port} user={DATABASE_USER} dbname=postgres"


def server_command(data: Path, port: int) -> list[str]:
    """The server on 127.0.0.1:port; its socket in the data folder (the database user's own)."""
    settings = ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}", "-c", "fsync=off"]
    return as_database_user([tool("postgres"), "-D", str(data), "-p", str(port), *settings])


def remove_cluster(stack_folder: Path) -> Path | None:
    """Delete the cluster's data wherever it lives (the server must be stopped); returns what was removed."""
    record = stack_folder / RECORD
    if not record.is_file():
        return None
    data = Path(record.read_text().strip())
    shutil.rmtree(data, ignore_errors=True)
    record.unlink()
    return data
