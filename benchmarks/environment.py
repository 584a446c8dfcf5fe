"""A throw-away environment for one benchmark run: a temporary VAR_DIR (SQLite
database, static files, media) and, when DATABASE_URL names a PostgreSQL server,
a temporary database on that server. Set up before Django reads its settings.
Also the two things every Django benchmark does around it: its main() and
the line naming what its figures were measured on."""

import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from sampling import report

ROOT = Path(__file__).resolve().parent.parent

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
# Settings that would point the run at shared services (S3 media, a Redis
# cache and queue) instead of the throw-away ones.
SHARED_SERVICE_VARIABLES = ("MEDIA_STORAGE", "REDIS_URL")


def database_url_with_name(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def postgres_server_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    if urlsplit(url).scheme not in POSTGRES_SCHEMES:
        raise SystemExit(
            "DATABASE_URL must name a PostgreSQL server (a throw-away database is "
            "created on it) or be unset (a temporary SQLite file is used)."
        )
    return url


def run_on_server(server_url: str, statement: sql.Composable) -> None:
    libpq_url = urlsplit(server_url)._replace(scheme="postgresql").geturl()
    with psycopg.connect(libpq_url, autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    name = f"kepu_bench_{os.getpid()}"
    run_on_server(
        server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    )
    try:
        yield database_url_with_name(server_url, name)
    finally:
        run_on_server(
            server_url,
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            ),
        )


def set_variables(var_dir: Path, database_url: str | None) -> None:
    for name in SHARED_SERVICE_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1",
        PUBLIC_BASE_URL="http://127.0.0.1",  # production asks for it on PostgreSQL
        SECURE_COOKIES="0",
        VAR_DIR=str(var_dir),
        STATIC_ROOT=str(var_dir / "static"),
        MEDIA_ROOT=str(var_dir / "media"),
    )
    if database_url:
        os.environ["DATABASE_URL"] = database_url


@contextmanager
def throwaway_environment() -> Iterator[Path]:
    """Points this process (and the servers it starts) at fresh storage; removes
    it all on exit. Close Django's connections before leaving."""
    server_url = postgres_server_url()
    with tempfile.TemporaryDirectory(prefix="kepu-bench-") as var_dir:
        if server_url is None:
            set_variables(Path(var_dir), None)
            yield Path(var_dir)
            return
        with postgres_database(server_url) as database_url:
            set_variables(Path(var_dir), database_url)
            yield Path(var_dir)


def run_benchmark(run: Callable[[Path], None]) -> None:
    """run(var_dir) with Django set up in a throw-away environment, its
    connections closed before the environment goes; then the total time."""
    started = time.monotonic()
    sys.path.insert(0, str(ROOT))
    with throwaway_environment() as var_dir:
        import django

        django.setup()
        from django.db import connections

        try:
            run(var_dir)
        finally:
            connections.close_all()
    report(f"total {time.monotonic() - started:.0f} s; throw-away data removed")


def database_description() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    major, minor = divmod(connection.pg_version, 10_000)
    return f"PostgreSQL {major}.{minor}"


def environment_line(*packages: str) -> str:
    """The database, CPUs and versions the figures were measured with."""
    import django

    versions = "; ".join(f"{name} {version(name)}" for name in ("wagtail", *packages))
    return (
        f"environment: {database_description()}; {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}; Django {django.get_version()}; {versions}"
    )
