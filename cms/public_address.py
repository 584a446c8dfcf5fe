"""The site's public address (settings.PUBLIC_BASE_URL): the absolute links
the site gives outside its own pages, and the default Wagtail Site record,
whose root URL every page's full URL (feeds, APIs, sitemap, QR codes) is
built from. The record is put at the address after every migrate, by
load_demo and when the server starts."""

from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Site

DEFAULT_PORTS = {"http": 80, "https": 443}


def public_url(path: str) -> str:
    """The absolute URL of a site path ("/feeds/…")."""
    return settings.PUBLIC_BASE_URL + path


def site_address() -> tuple[str, int]:
    """(hostname, port) of the public address, as a Wagtail Site holds them."""
    parts = urlsplit(settings.PUBLIC_BASE_URL)
    return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


def sync_default_site(**_signal_kwargs) -> bool:
    """Puts the default site at the public address; True when it moved."""
    hostname, port = site_address()
    moved = (
        Site.objects.filter(is_default_site=True)
        .exclude(hostname=hostname, port=port)
        .update(hostname=hostname, port=port)
    )
    if moved:
        Site.clear_site_root_paths_cache()
    return bool(moved)
