"""Production settings refuse to start misconfigured; on one machine they make
a key and follow the public address; dev settings make a key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATABASE = "postgresql://u@db.example:5432/kepu"
CONFIGURATION = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "PUBLIC_BASE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "VAR_DIR",
)


def load_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if k not in CONFIGURATION}
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.LANGUAGE_CODE, settings.TIME_ZONE, "
        "','.join(settings.ALLOWED_HOSTS), settings.WAGTAILADMIN_BASE_URL)"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
    )


def test_production_on_a_shared_database_refuses_to_start_without_secret_key():
    result = load_settings(
        "cms.settings.production",
        DATABASE_URL=SHARED_DATABASE,
        PUBLIC_BASE_URL="https://kepu.example.org",
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_on_a_shared_database_refuses_to_start_without_address():
    result = load_settings(
        "cms.settings.production", DATABASE_URL=SHARED_DATABASE, SECRET_KEY="x" * 50
    )
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL must be set" in result.stderr


def test_production_refuses_an_address_that_is_not_a_site_root(tmp_path):
    for wrong in ("kepu.example.org", "ftp://kepu.example.org", "https://a.cn/kepu"):
        result = load_settings(
            "cms.settings.production", VAR_DIR=str(tmp_path), PUBLIC_BASE_URL=wrong
        )
        assert result.returncode != 0
        assert "PUBLIC_BASE_URL must be http(s)://host[:port]" in result.stderr


def test_production_runs_with_debug_off_in_chinese_and_beijing_time(tmp_path):
    result = load_settings(
        "cms.settings.production",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="kepu.example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == [
        "False",
        "zh-hans",
        "Asia/Shanghai",
        "kepu.example.org",
    ]


def test_production_on_one_machine_makes_a_key_and_follows_the_address(tmp_path):
    result = load_settings(
        "cms.settings.production",
        VAR_DIR=str(tmp_path),
        PUBLIC_BASE_URL="https://kepu.example.cn/",
    )
    assert result.returncode == 0, result.stderr
    hosts, admin_base_url = result.stdout.split()[3:]
    assert hosts.split(",") == ["kepu.example.cn", "127.0.0.1", "localhost", "[::1]"]
    assert admin_base_url == "https://kepu.example.cn"
    assert len((tmp_path / "secret_key").read_text()) >= 50


def test_dev_generates_a_secret_key_into_var_once(tmp_path):
    first = load_settings("cms.settings.dev", VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    key = key_file.read_text()
    assert len(key) >= 50 and oct(key_file.stat().st_mode)[-3:] == "600"
    load_settings("cms.settings.dev", VAR_DIR=str(tmp_path))
    assert key_file.read_text() == key


def test_database_url_selects_postgresql():
    script = (
        "from cms.settings.base import database_from_env; "
        "print(database_from_env()['ENGINE'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgresql://u@db.example:5432/kepu"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"
