from datetime import timedelta

import pytest
from django.utils import timezone

from tiers.models import PackageItem, ResourcePackage


@pytest.fixture
def make_package(org_tree, make_article):
    def make(**fields) -> ResourcePackage:
        slug = f"package-item-{ResourcePackage.objects.count()}"
        pages = fields.pop("pages", None) or [make_article(slug=slug)]
        fields.setdefault("title", "防灾减灾日资源包")
        today = timezone.localdate()
        fields.setdefault("starts_on", today - timedelta(days=1))
        fields.setdefault("ends_on", today + timedelta(days=30))
        fields.setdefault("owner", org_tree["province"])
        package = ResourcePackage.objects.create(**fields)
        for page in pages:
            PackageItem.objects.create(package=package, page=page)
        return package

    return make
