"""Laptop settings: DEBUG on, a secret key generated once into var/."""

import os

from .base import *
from .base import secret_key_from_var

DEBUG = True

SECRET_KEY = os.environ.get("SECRET_KEY") or secret_key_from_var()
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
