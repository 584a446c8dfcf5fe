from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms.api import api_router
from cms.health import healthz
from cms.metrics import metrics
from cms.views import search

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("", include("cms.file_urls")),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("search/", search, name="search"),
    path("sitemap.xml", sitemap),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("channels/podcast/", include("feeds.programme_urls")),
    path("channels/", include("channels.urls")),
    path("feeds/", include("feeds.urls")),
    path("api/partner/", include("partners.urls")),
    path("", include("screens.urls")),
]

urlpatterns += [path("", include(wagtail_urls))]
