"""410 Gone for what was withdrawn: the address of a withdrawn item and the
addresses of its files answer with a short Chinese notice instead of 404, so
that a reader, a partner's crawler or a podcast app learns the item was taken
back on purpose. A redirect set up for the old address still wins (the
middleware sits before Wagtail's RedirectMiddleware)."""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.models import Page

from cms.advisories import Advisory, withdrawal_at, withdrawal_of


class Gone(Exception):
    """Raised by a view for an address whose item was withdrawn."""

    def __init__(self, advisory: Advisory | None = None):
        super().__init__()
        self.advisory = advisory


def gone_response(request: HttpRequest, advisory: Advisory | None) -> HttpResponse:
    body = render_to_string("410.html", {"advisory": advisory}, request=request)
    response = HttpResponse(body, status=410)
    response["Cache-Control"] = "public, max-age=300"
    return response


def raise_if_taken_back(page_id: int) -> None:
    """Gone for a page that was withdrawn, or is past its expiry time and
    waits for the scheduler to unpublish it (within a minute)."""
    if advisory := withdrawal_of(page_id):
        raise Gone(advisory)
    expired = Page.objects.filter(
        pk=page_id, live=True, expire_at__lte=timezone.now()
    ).exists()
    if expired:
        raise Gone()


class GoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and request.method in ("GET", "HEAD"):
            if advisory := withdrawal_at(request.path):
                return gone_response(request, advisory)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, Gone):
            return gone_response(request, exception.advisory)
        return None
