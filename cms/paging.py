"""Paging of public listings (section index, column, search)."""

from django.core.paginator import Page, Paginator

PER_PAGE = 24


def page_of(request, items, per_page: int = PER_PAGE) -> Page:
    """The page of items named by ?page=, the first for anything invalid, the
    last for a number past the end."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
