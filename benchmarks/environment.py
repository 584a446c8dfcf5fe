"""A throw-away environment for one benchmark run: a temporary VAR_DIR (SQLite
database, static files, media) and, when DATABASE_URL names a PostgreSQL server,
a temporary database on that server. Set up before Django reads its settings."""

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

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
