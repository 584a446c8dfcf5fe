"""Rendered packages live in their own storage, outside MEDIA_URL, and are
served only through signed links or to logged-in editors, and only while the
item is visible and the placement's time has come."""

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from cms.pages import visible_pages

SALT = "channels.output"
LINK_MAX_AGE_SECONDS = 7 * 24 * 3600


def outputs_storage():
    return storages["outputs"]


def signed_download_url(output) -> str:
    token = signing.dumps(output.pk, salt=SALT)
    path = reverse("channel_output", args=(token,))
    return f"{settings.WAGTAILADMIN_BASE_URL}{path}"


def is_released(placement) -> bool:
    """A package may be read once its time has come, while its item is
    visible; a notice (更正启事, 撤稿通知) once its time has come."""
    if placement.scheduled_at > timezone.now():
        return False
    if placement.advisory_id:
        return True
    return visible_pages().filter(pk=placement.page_id).exists()
