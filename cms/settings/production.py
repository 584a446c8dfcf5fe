"""Production: DEBUG off. On one machine (the embedded SQLite database, no
Redis) a missing SECRET_KEY is generated once into var/ and the public address
defaults to http://127.0.0.1:8000; a shared set-up (another database or Redis,
several nodes) refuses to start without both, since every node must sign with
the same key and link to the same address."""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import DATABASES, PUBLIC_BASE_URL, REDIS_URL, secret_key_from_var

DEBUG = False

address = urlsplit(PUBLIC_BASE_URL)
if address.scheme not in ("http", "https") or not address.hostname or address.path:
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be http(s)://host[:port], not {PUBLIC_BASE_URL!r}"
    )

shared = REDIS_URL or DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
if shared and not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set when nodes share a database")
if shared and not os.environ.get("PUBLIC_BASE_URL"):
    raise ImproperlyConfigured(
        "PUBLIC_BASE_URL must be set when nodes share a database"
    )
SECRET_KEY = os.environ.get("SECRET_KEY") or secret_key_from_var()

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Secure cookies when the public address is HTTPS (SECURE_COOKIES overrides).
SESSION_COOKIE_SECURE = (
    os.environ.get("SECURE_COOKIES", "1" if address.scheme == "https" else "0") == "1"
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"
