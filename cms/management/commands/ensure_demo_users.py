"""`manage.py ensure_admin`: the demo's superuser `admin`.

The password is DEMO_ADMIN_PASSWORD when set; otherwise one is generated on the
first run and kept in var/admin_password (mode 600), and printed while valid."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"


def generated_password() -> str:
    path = settings.VAR_DIR / "admin_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo superuser 'admin' (or reset it from DEMO_ADMIN_PASSWORD)"

    def handle(self, *args, **options) -> None:
        from_env = os.environ.get("DEMO_ADMIN_PASSWORD")
        password = from_env or generated_password()
        user, created = get_user_model().objects.get_or_create(
            username=USERNAME,
            defaults={
                "email": "admin@example.org",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created or from_env:
            user.set_password(password)
            user.save()
        if user.check_password(password):
            self.stdout.write(f"admin user: {USERNAME}  password: {password}")
        else:
            self.stdout.write(f"admin user: {USERNAME} (password changed since; kept)")
