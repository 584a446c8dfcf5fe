"""Laptop settings: DEBUG on, a secret key generated once into var/."""

import os

from django.core.management.utils import get_random_secret_key

from .base import *
from .base import ALLOWED_HOSTS, VAR_DIR

DEBUG = True
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]


def secret_key_from_var() -> str:
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or secret_key_from_var()
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
