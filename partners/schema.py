"""The partner API as cms/urls.py mounts it, for drf-spectacular to generate
its schema from (the view at /api/partner/schema/ and
`manage.py spectacular --urlconf partners.schema`), leaving out
every other DRF view of the project (Wagtail's own API)."""

from django.urls import include, path

from partners.urls import api_patterns

urlpatterns = [path("api/partner/", include(api_patterns))]
