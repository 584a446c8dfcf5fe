"""/api/partner/: the partner API, and its OpenAPI schema and documentation
pages (public, no key)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from partners.api import (
    SCHEMA_SETTINGS,
    AdvisoryListView,
    FeedListView,
    ItemDetailView,
    ItemListView,
)
from partners.docs import PartnerApiDocsView, PartnerApiTryView
from partners.figures import FiguresView

app_name = "partner_api"
api_patterns = [
    path("items/", ItemListView.as_view(), name="items"),
    path("items/<id:id>/", ItemDetailView.as_view(), name="item"),
    path("feeds/", FeedListView.as_view(), name="feeds"),
    path("advisories/", AdvisoryListView.as_view(), name="advisories"),
    path("figures/", FiguresView.as_view(), name="figures"),
]
urlpatterns = [
    *api_patterns,
    path(
        "schema/",
        SpectacularAPIView.as_view(
            urlconf="partners.schema",
            custom_settings=SCHEMA_SETTINGS,
            authentication_classes=[],
            permission_classes=[AllowAny],
        ),
        name="schema",
    ),
    path("docs/", PartnerApiDocsView.as_view(), name="docs"),
    path("swagger/", PartnerApiTryView.as_view(), name="swagger"),
]
