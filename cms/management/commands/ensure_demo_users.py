"""`manage.py ensure_demo_users`: the demo's sign-ins — the superuser
`admin`, and the editor `kepu_editor`, reviewer `kepu_reviewer` and county editor
`kepu_county` (农安县科协) that load_demo creates (skipped when they do not exist).

Each password comes from its environment variable when set (and resets the
user's password); otherwise one is generated on the first run, kept in
var/<username>_password (mode 600), and printed while it is still valid.
A password a person has changed since is kept."""

import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


@dataclass(frozen=True)
class DemoUser:
    username: str
    environment_variable: str
    role: str


ADMIN = DemoUser("admin", "DEMO_ADMIN_PASSWORD", "admin")
DEMO_USERS = (
    ADMIN,
    DemoUser("kepu_editor", "DEMO_EDITOR_PASSWORD", "editor"),
    DemoUser("kepu_reviewer", "DEMO_REVIEWER_PASSWORD", "reviewer"),
    DemoUser("kepu_county", "DEMO_COUNTY_PASSWORD", "county editor"),
)


def generated_password(username: str) -> str:
    path = settings.VAR_DIR / f"{username}_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = (
        "Give the demo's admin, editor and reviewer their passwords "
        "(DEMO_*_PASSWORD, or generated and kept in var/)"
    )

    def handle(self, *args, **options) -> None:
        for demo_user in DEMO_USERS:
            self.ensure(demo_user)

    def ensure(self, demo_user: DemoUser) -> None:
        users = get_user_model().objects
        if demo_user is ADMIN:
            user, created = users.get_or_create(
                username=ADMIN.username,
                defaults={
                    "email": "admin@example.org",
                    "is_staff": True,
                    "is_superuser": True,
                },
            )
        else:
            user, created = users.filter(username=demo_user.username).first(), False
            if user is None:
                return
        from_env = os.environ.get(demo_user.environment_variable)
        password = from_env or generated_password(demo_user.username)
        if created or from_env or not user.has_usable_password():
            user.set_password(password)
            user.save(update_fields=["password"])
        name = f"{demo_user.role} user: {user.username}"
        if user.check_password(password):
            self.stdout.write(f"{name}  password: {password}")
        else:
            self.stdout.write(f"{name} (password changed since; kept)")
