"""Tags of the public site: navigation and labels that only ever reach visible pages."""

from django import template
from wagtail.models import Page, Site

from cms.advisories import correction_dates
from cms.alerts import SiteAlert
from cms.pages import visible_pages

register = template.Library()


@register.simple_tag(takes_context=True)
def site_sections(context):
    """The visible children of the current site's home page, for the main nav."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return Page.objects.none()
    return visible_pages(site.root_page.get_children())


@register.simple_tag
def site_alerts() -> list[SiteAlert]:
    """The 应急科普 alerts on now whose item a reader may see, newest first:
    shown on every page (the page cache follows them, cms.page_cache)."""
    alerts = SiteAlert.objects.active().filter(page__in=visible_pages())
    return list(alerts.select_related("page"))


@register.simple_tag
def visible_parent(page: Page) -> Page | None:
    """The page's parent (its section or column) if a reader may see it."""
    return visible_pages(page.get_ancestors()).filter(depth=page.depth - 1).first()


@register.filter
def in_section(page: Page | None, section: Page) -> bool:
    """True when the page is the section or lies under it."""
    return isinstance(page, Page) and page.path.startswith(section.path)


@register.filter
def type_label(page: Page) -> str:
    """The page type's name for readers, e.g. 科普文章."""
    return page.specific_class._meta.verbose_name


@register.filter
def snippet(page: Page) -> str:
    """The page's short text for lists: standfirst, summary or introduction."""
    for field in ("standfirst", "summary", "introduction", "description"):
        if text := getattr(page, field, ""):
            return text
    return ""


@register.simple_tag
def correction_notes(page: Page) -> list[dict]:
    """The page's 更正说明, newest first, each with when it went live (None
    in a preview of a correction not yet published)."""
    notes = getattr(page, "corrections", None)
    if not notes:
        return []
    dates = correction_dates(page) if page.pk else {}
    entries = [{**note.value, "at": dates.get(note.id)} for note in notes]
    return entries[::-1]
