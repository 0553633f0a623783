"""The prediction log's tables and how to read them: what the service writes and every level reads.

The service (`level2_cicd/service/store.py`) appends to these tables; the monitor, the retention
purge, the workshop comparison and the `prediction_log` data source read them. Any SQLAlchemy
database: SQLite on embedded defaults, PostgreSQL in the stack.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from shared.local_state import ensure_sqlite_folder
from shared.schema import FEATURES, Kind

METADATA = sa.MetaData()
ADDED_LATER = {
    "added_later": True
}  # optional columns an older log gains when opened (not features: those need a migration)

PREDICTIONS = sa.Table(
    "predictions",
    METADATA,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),  # event time (now, or as the client says)
    sa.Column("served_at", sa.DateTime, nullable=False),
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("prediction", sa.Integer, nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    # Added after the first release, so nullable (older logs gain them, their rows read as online/champion):
    sa.Column("source", sa.String(16), nullable=True, info=ADDED_LATER),  # online (the service) or batch
    sa.Column("variant", sa.String(16), nullable=True, info=ADDED_LATER),  # champion, or challenger (A/B test)
    sa.Column("entity_id", sa.String(64), nullable=True, info=ADDED_LATER),  # the row's id in the client's table
    *(sa.Column(f.name, sa.String(64) if f.kind is Kind.CATEGORICAL else sa.Float, nullable=True) for f in FEATURES),
)

SHADOW = sa.Table(  # the challenger's scores of requests the champion answered (release mode shadow)
    "shadow_predictions",
    METADATA,
    sa.Column("request_id", sa.String(64), primary_key=True),  # the answered prediction's id: one shadow each
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("served_at", sa.DateTime, nullable=False),
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("prediction", sa.Integer, nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
)

LABELS = sa.Table(
    "labels",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("label", sa.Integer, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
)

REJECTIONS = sa.Table(
    "rejections",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),  # event time of the refused request
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),  # one refused request
    sa.Column("row", sa.Integer, nullable=False),  # its row that broke a rule
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(64), nullable=False),
)


def naive_utc(moment: datetime | None = None) -> datetime:
    """A moment as the log stores it, naive UTC (now, when none is given): an aware time is converted, not just
    stripped; a naive one is taken as UTC."""
    if moment is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


class StoreSchemaError(RuntimeError):
    """An existing table does not have the columns this code writes: rows would be lost."""


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def check_tables(engine: sa.Engine) -> None:
    """Refuse a database whose existing log tables miss columns this code writes (or have extra required ones)."""
    inspector = sa.inspect(engine)
    for table in METADATA.tables.values():
        if not inspector.has_table(table.name):
            continue
        found = {c["name"]: c for c in inspector.get_columns(table.name)}
        missing = sorted(set(table.columns.keys()) - set(found))
        required_extra = sorted(n for n, c in found.items() if n not in table.columns and not c.get("nullable", True))
        problems = [f"missing columns {', '.join(missing)}"] if missing else []
        if required_extra:
            problems.append(f"required columns unknown to the schema {', '.join(required_extra)}")
        if problems:
            where = f"table {table.name!r} in {safe_url(str(engine.url))}"
            raise StoreSchemaError(
                f"{where} does not match shared/schema.py ({'; '.join(problems)}): "
                "migrate it, or point MLOPS_PREDICTION_STORE_URL at a new database"
            )


def add_optional_columns(conn: sa.Connection) -> list[str]:
    """Add the optional columns marked ``added_later`` that a log written by an older release lacks."""
    inspector = sa.inspect(conn)
    added = []
    for table in METADATA.tables.values():
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.info.get("added_later"):
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
                added.append(f"{table.name}.{column.name}")
    return added


CONNECT_TIMEOUT_SECONDS = 5
SQLITE_PREPARE_ATTEMPTS = 5  # a new SQLite log opened by several processes at once (create_store_engine)


def create_store_engine(url: str) -> sa.Engine:
    """An engine on the log database with its tables created (older logs gain new optional columns), after
    checking existing ones match the schema."""
    ensure_sqlite_folder(url)
    sqlite = url.startswith("sqlite")
    # SQLite has one writer at a time: batch scoring's workers wait for each other instead of failing. A server
    # database that is away must be an error within seconds, not a hang (psycopg's connect waits forever by default).
    connect_args: dict[str, int] = {"timeout": 60} if sqlite else {}
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    attempt = 1
    while True:
        try:
            _prepare_tables(engine)
            return engine
        except sa.exc.OperationalError:
            # SQLite takes no lock to look before it creates, and refuses a journal change while another process
            # holds the file: a process starting beside this one (a second service worker, a batch worker) may have
            # created a table in between. Looking again sees its work; the same error every time comes back.
            if engine.dialect.name != "sqlite" or attempt == SQLITE_PREPARE_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)
            attempt += 1


def _prepare_tables(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # several workers start at once: one creates, the others wait
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(8270001)")
        add_optional_columns(conn)
    check_tables(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(8270001)")
        METADATA.create_all(conn)


def _latest_labels() -> sa.Subquery:
    latest = (
        sa.select(LABELS.c.request_id, sa.func.max(LABELS.c.id).label("id")).group_by(LABELS.c.request_id).subquery()
    )
    return sa.select(LABELS.c.request_id, LABELS.c.label).join(latest, LABELS.c.id == latest.c.id).subquery()


def read_live_test(engine: sa.Engine, served_since: datetime) -> pd.DataFrame:
    """Labelled predictions answered since ``served_since``: who answered (variant, version, probability), the
    label, and the shadow score of the same request when there is one."""
    label = _latest_labels()
    query = (
        sa.select(
            PREDICTIONS.c.request_id,
            PREDICTIONS.c.variant,
            PREDICTIONS.c.model_version,
            PREDICTIONS.c.probability,
            label.c.label,
            SHADOW.c.model_version.label("shadow_version"),
            SHADOW.c.probability.label("shadow_probability"),
        )
        .join(label, label.c.request_id == PREDICTIONS.c.request_id)
        .outerjoin(SHADOW, SHADOW.c.request_id == PREDICTIONS.c.request_id)
        .where(PREDICTIONS.c.served_at >= served_since)
    )
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame.columns = [str(name) for name in frame.columns]
    return frame


def read_log(engine: sa.Engine, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
    """Predictions in [since, until) joined with their latest label (null when none arrived yet)."""
    label = _latest_labels()
    query = sa.select(PREDICTIONS, label.c.label).outerjoin(label, label.c.request_id == PREDICTIONS.c.request_id)
    if since is not None:
        query = query.where(PREDICTIONS.c.created_at >= since)
    if until is not None:
        query = query.where(PREDICTIONS.c.created_at < until)
    with engine.connect() as conn:
        frame = pd.read_sql(query.order_by(PREDICTIONS.c.created_at), conn)
    frame.columns = [str(name) for name in frame.columns]  # plain str: scikit-learn ignores SQLAlchemy's names
    return frame


def read_rejections(engine: sa.Engine, since: datetime, until: datetime) -> pd.DataFrame:
    """Rejected rows' broken rules in [since, until): one line per (request, row, field, rule)."""
    query = sa.select(REJECTIONS).where(REJECTIONS.c.created_at >= since, REJECTIONS.c.created_at < until)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
