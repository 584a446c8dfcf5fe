"""`manage.py ensure_demo_users`: the demo's admin, editor and reviewer can
sign in, with passwords from the environment or generated and kept."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from cms.review import REVIEW_GROUP_NAME
from demo.loader import EDITORS_GROUP_NAME


@pytest.fixture
def demo_staff(db, settings, tmp_path):
    """The editor and reviewer as load_demo creates them: no usable password."""
    settings.VAR_DIR = tmp_path
    users = get_user_model().objects
    for username, group in [
        ("kepu_editor", EDITORS_GROUP_NAME),
        ("kepu_reviewer", REVIEW_GROUP_NAME),
    ]:
        user = users.create(username=username, last_name="林", first_name="晓雯")
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=group))
    return tmp_path


def ensure() -> str:
    output = io.StringIO()
    call_command("ensure_demo_users", stdout=output)
    return output.getvalue()


def test_editor_and_reviewer_get_a_kept_password_and_can_sign_in(demo_staff, client):
    printed = ensure()
    for username in ("admin", "kepu_editor", "kepu_reviewer"):
        password = (demo_staff / f"{username}_password").read_text()
        assert f"{username}  password: {password}" in printed
        assert client.login(username=username, password=password)
    assert client.get("/admin/").status_code == 200
    assert ensure() == printed


def test_passwords_from_the_environment_and_a_changed_one_kept(
    demo_staff, monkeypatch, client
):
    monkeypatch.setenv("DEMO_EDITOR_PASSWORD", "编辑-2026-demo")
    ensure()
    assert client.login(username="kepu_editor", password="编辑-2026-demo")
    monkeypatch.delenv("DEMO_EDITOR_PASSWORD")
    reviewer = get_user_model().objects.get(username="kepu_reviewer")
    reviewer.set_password("changed by the reviewer")
    reviewer.save()
    printed = ensure()
    assert "kepu_reviewer (password changed since; kept)" in printed
    assert client.login(username="kepu_reviewer", password="changed by the reviewer")


def test_without_the_demo_only_admin_is_made(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    printed = ensure()
    assert "admin user: admin" in printed and "kepu_editor" not in printed
    assert not (tmp_path / "kepu_editor_password").exists()
