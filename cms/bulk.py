"""Many rows updated in one statement, each with values of its own.

Django's QuerySet.bulk_update builds a CASE expression per row and field,
which costs about 2 ms of Python per row (1.1 s for 500 screens and seven
fields, measured with cProfile in the test database): too much for the
screens' heartbeats, written hundreds at a time. This writes
UPDATE … SET f = v.column2 … FROM (VALUES (pk, …), …) AS v WHERE pk =
v.column1, which SQLite (3.33 and newer) and PostgreSQL both run; both name
a VALUES list's columns column1, column2, …"""

from django.db import connection, models

ROWS_PER_STATEMENT = 500


def update_each(
    model: type[models.Model],
    fields: list[str],
    rows: list[tuple],
    unless_newer: str | None = None,
) -> None:
    """Set `fields` of each row (primary key, *values in the order of
    fields); rows whose key is not in the table are left out, and so are
    rows whose `unless_newer` field holds a later value than the new one."""
    columns = [model._meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = v.column{n}"
        for n, field in enumerate(columns, start=2)
    )
    row_sql = "(" + ", ".join(map(placeholder, [model._meta.pk, *columns])) + ")"
    where = f"{table}.{pk} = v.column1"
    if unless_newer:
        column = connection.ops.quote_name(model._meta.get_field(unless_newer).column)
        new = f"v.column{fields.index(unless_newer) + 2}"
        where += f" AND ({table}.{column} IS NULL OR {table}.{column} <= {new})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            batch = rows[start : start + ROWS_PER_STATEMENT]
            values = ", ".join([row_sql] * len(batch))
            params = [
                field.get_db_prep_save(value, connection)
                for row in batch
                for field, value in zip([model._meta.pk, *columns], row, strict=True)
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v "
                f"WHERE {where}",
                params,
            )


def placeholder(field: models.Field) -> str:
    """PostgreSQL types a VALUES list's columns by their values (a column
    of only NULLs would be text): each value is cast to its column's type."""
    if connection.vendor == "postgresql":
        return f"CAST(%s AS {field.db_type(connection)})"
    return "%s"
