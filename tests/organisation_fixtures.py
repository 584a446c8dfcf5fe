"""A province's organisations and their staff, for the tests of what each
organisation sees (cms.organisations, cms.scoped_admin), and a resource
package of theirs (tiers)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from cms.organisations import Organisation, root_organisation
from tiers.models import PackageItem, ResourcePackage

Tier = Organisation.Tier

# What a county's staff may do in the admin: the outlets, screens, partners
# and feeds of their own organisation.
STAFF_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    *(
        (app, f"{action}_{model}")
        for app, model in [
            ("channels", "outlet"),
            ("channels", "placement"),
            ("big_screen", "screengroup"),
            ("big_screen", "screen"),
            ("partners", "partner"),
            ("partners", "apikey"),
            ("feeds", "feeddefinition"),
            ("cms", "organisation"),
            ("tiers", "resourcepackage"),
            ("tiers", "packagetask"),
        ]
        for action in ("add", "change", "delete", "view")
    ),
]


@pytest.fixture
def org_tree(db) -> dict[str, Organisation]:
    """吉林省科协 → 长春市科协 → 农安县科协 → 合隆镇; 长春 → 德惠市科协;
    吉林省 → 松原市科协."""
    province = root_organisation()
    province.name = "吉林省科协"
    province.save()
    changchun = Organisation.objects.create(
        name="长春市科协", tier=Tier.CITY, parent=province
    )
    nongan = Organisation.objects.create(
        name="农安县科协", tier=Tier.COUNTY, parent=changchun
    )
    helong = Organisation.objects.create(name="合隆镇", tier=Tier.SITE, parent=nongan)
    dehui = Organisation.objects.create(
        name="德惠市科协", tier=Tier.COUNTY, parent=changchun
    )
    songyuan = Organisation.objects.create(
        name="松原市科协", tier=Tier.CITY, parent=province
    )
    return {
        "province": province,
        "changchun": changchun,
        "nongan": nongan,
        "helong": helong,
        "dehui": dehui,
        "songyuan": songyuan,
    }


def join_root_organisation(user: User) -> None:
    """Make the user staff of the root organisation (本级单位), as every
    group that existed before organisations is: they see everything."""
    group, _ = Group.objects.get_or_create(name="本级单位人员")
    root_organisation().staff_groups.add(group)
    user.groups.add(group)


def staff_of(*organisations: Organisation, name: str = "staff") -> User:
    """A user in one staff group per organisation, each group allowed
    STAFF_PERMISSIONS."""
    permissions = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in STAFF_PERMISSIONS
    ]
    user = User.objects.create_user(name, password="pw")
    for organisation in organisations:
        group = Group.objects.create(name=f"{organisation.name}·{name}")
        group.permissions.set(permissions)
        organisation.staff_groups.add(group)
        user.groups.add(group)
    return user


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
