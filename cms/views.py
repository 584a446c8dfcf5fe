"""Public views that are not pages: search."""

from django.shortcuts import render
from wagtail.models import Page

from cms.pages import visible_pages
from cms.paging import page_of

RESULTS_PER_PAGE = 20
MAX_QUERY_LENGTH = 100


def search(request):
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    results = Page.objects.none()
    if query:
        results = visible_pages().specific().search(query)
    page = page_of(request, results, RESULTS_PER_PAGE)
    return render(request, "cms/search.html", {"query": query, "results": page})
