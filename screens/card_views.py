"""The doors the screens' cards leave by (cards.py draws them): an article's
card only while that revision is the live one of a visible page, an
emergency's card only while the emergency is active and in the wording it
was drawn with; 404 otherwise, and 410 for the card of a withdrawn article
(cms.gone). Staff (the admin's loop preview) get every
drawn card. A card is never drawn here, only served: the playlist draws it."""

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.views.decorators.http import require_safe

from cms.advisories import withdrawal_of
from cms.file_views import can_see_drafts, file_response
from cms.gone import Gone
from cms.pages import visible_pages
from screens.cards import (
    SIZES,
    article_card_name,
    emergency_card_name,
    emergency_version,
)
from screens.playlist import active_emergencies

PNG = "image/png"


@require_safe
def article_card(
    request: HttpRequest, page_id: int, revision_id: int, orientation: str
):
    if orientation not in SIZES:
        raise Http404
    live = visible_pages().filter(pk=page_id, live_revision_id=revision_id)
    if not can_see_drafts(request) and not live.exists():
        if advisory := withdrawal_of(page_id):
            raise Gone(advisory)
        raise Http404
    name = article_card_name(page_id, revision_id, orientation)
    return file_response(request, name, PNG)


@require_safe
def emergency_card(
    request: HttpRequest, emergency_id: int, version: str, orientation: str
):
    if orientation not in SIZES:
        raise Http404
    if not can_see_drafts(request):
        emergency = active_emergencies(timezone.now()).filter(pk=emergency_id).first()
        if emergency is None or emergency_version(emergency) != version:
            raise Http404
    name = emergency_card_name(emergency_id, version, orientation)
    return file_response(request, name, PNG)
