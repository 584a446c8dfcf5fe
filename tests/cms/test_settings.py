"""Production settings refuse to start unconfigured; dev settings make a key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")
    }
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.LANGUAGE_CODE, settings.TIME_ZONE)"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_secret_key():
    result = load_settings("cms.settings.production", ALLOWED_HOSTS="kepu.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings("cms.settings.production", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_runs_with_debug_off_in_chinese_and_beijing_time():
    result = load_settings(
        "cms.settings.production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="kepu.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "zh-hans", "Asia/Shanghai"]


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
