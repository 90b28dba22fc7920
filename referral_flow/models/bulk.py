"""Writing many rows at once: COPY on PostgreSQL, batched INSERTs elsewhere."""
from __future__ import annotations

from sqlalchemy import Connection, Table, insert

BATCH = 2000


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts by column name) into ``table`` in the connection's
    transaction."""
    if conn.dialect.name != "postgresql":
        for i in range(0, len(rows), BATCH):
            conn.execute(insert(table), rows[i:i + BATCH])
        return
    _copy(conn, table, rows)


def _copy(conn, table, rows: list[dict]) -> None:
    """``rows`` through PostgreSQL's COPY, each value converted by its column type as an
    INSERT would (enums, JSON); a column no row names keeps its default."""
    named = set().union(*(row.keys() for row in rows))
    columns = [c for c in table.columns if c.name in named]
    fill = {c.name: _default(c) for c in columns}
    convert = [(c.name, c.type.bind_processor(conn.dialect)) for c in columns]
    cursor = conn.connection.driver_connection.cursor()
    names = ", ".join(f'"{c.name}"' for c in columns)
    with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for name, process in convert:
                value = row[name] if name in row else fill[name]
                values.append(process(value) if process and value is not None else value)
            copy.write_row(values)


def _default(column):
    """The value an INSERT would give a column the row leaves out (its Python default)."""
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg
