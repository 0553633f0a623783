"""One PostgreSQL role per database of the stack, each with its own password, kept out of URLs and command lines.

Each server connects over TCP as its database's role (scram-sha-256); the password is in a libpq
password file of the stack folder (``pgpass-<database>``, mode 0600) that only that server's
environment names (``PGPASSFILE``, read by psycopg and asyncpg alike). So a URL such as
``postgresql+psycopg://mlflow@127.0.0.1:P/mlflow`` holds no secret, and ``ps`` shows none.
Administration (roles, databases) goes through the cluster's Unix socket, in its data folder that
only the cluster's owner (and root) may enter.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import psycopg
from psycopg import sql

from deploy.postgres import DATABASE_USER

ROLES_RECORD = "database-roles.json"


def roles(stack_folder: Path, databases: tuple[str, ...]) -> dict[str, str]:
    """The role each database is used as: its own, or the superuser on a cluster made before roles existed."""
    record = stack_folder / ROLES_RECORD
    if record.is_file():
        return dict(json.loads(record.read_text()))
    return {name: name for name in databases}


def record_roles(stack_folder: Path, databases: tuple[str, ...], legacy: bool) -> None:
    """Written once, when the cluster is made (legacy: found trusting every local user, made by an older stack)."""
    record = stack_folder / ROLES_RECORD
    if record.is_file():
        return
    if legacy:
        print(
            "stack: this PostgreSQL cluster predates per-role passwords and trusts every local user on its port; "
            "`make reset` recreates it with one role per database (its registry and prediction log are lost)",
            file=sys.stderr,
        )
    record.write_text(json.dumps({name: DATABASE_USER if legacy else name for name in databases}))


def passfile(stack_folder: Path, database: str, role: str) -> Path:
    """The libpq password file of one database's role, made with a random password on first use."""
    path = stack_folder / f"pgpass-{database}"
    if not path.is_file():
        path.touch(mode=0o600)
        path.write_text(f"127.0.0.1:*:*:{role}:{secrets.token_urlsafe(24)}\n")
    return path


def password(path: Path) -> str:
    return path.read_text().strip().rsplit(":", 1)[1]


def ensure_roles(admin: str, stack_folder: Path, databases: tuple[str, ...]) -> None:
    """Each database exists, owned by its role, whose password is the one in its password file.

    ``admin`` is a libpq conninfo of the superuser over the cluster's Unix socket.
    """
    used = roles(stack_folder, databases)
    with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
        existing_roles = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
        existing_databases = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in databases:
            role = used[name]
            if role != DATABASE_USER:
                secret = password(passfile(stack_folder, name, role))
                verb = "ALTER" if role in existing_roles else "CREATE"
                conn.execute(
                    sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(secret))
                )
            if name not in existing_databases:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(role)))
            if role != DATABASE_USER:  # its owner only: MLflow's role cannot open the prediction log, and so on
                conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))


def forget_roles(stack_folder: Path) -> None:
    """The cluster was removed: its roles record and password files go with it."""
    (stack_folder / ROLES_RECORD).unlink(missing_ok=True)
    for path in stack_folder.glob("pgpass-*"):
        path.unlink()
