"""Property: for any tree of organisations and any owners, a staff user of
one organisation reaches exactly the rows of that organisation and those
below it — in the outlets' listing, by each row's address, and among the
resource package tasks pushed to all of them."""

from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.models import Outlet
from cms.organisations import Organisation, root_organisation
from tests.cms.test_organisation_admin import listed
from tests.organisation_fixtures import staff_of
from tiers.push import push, recipients

# Each new organisation's parent, as an index into those that may have one
# below them; each outlet's owner, as an index into the tree.
trees = st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=7)
owners = st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=8)


def grow(shape: list[int]) -> list[Organisation]:
    tree = [root_organisation()]
    for n, pick in enumerate(shape):
        parents = [org for org in tree if org.tier < Organisation.Tier.SITE]
        parent = parents[pick % len(parents)]
        tree.append(
            Organisation.objects.create(
                name=f"单位{n}", tier=parent.tier + 1, parent=parent
            )
        )
    return tree


def within(organisation: Organisation) -> set[int]:
    """The organisation and those below it, found by walking up each
    organisation's parents (not by the paths the code under test reads)."""
    parents = dict(Organisation.objects.values_list("pk", "parent_id"))
    found = set()
    for pk in parents:
        step = pk
        while step is not None and step != organisation.pk:
            step = parents[step]
        if step == organisation.pk:
            found.add(pk)
    return found


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(shape=trees, outlet_owners=owners, viewer=st.integers(0, 99))
def test_a_user_reaches_exactly_their_branch(
    client, make_package, shape, outlet_owners, viewer
):
    with transaction.atomic():
        tree = grow(shape)
        outlets = [
            Outlet.objects.create(
                name=f"渠道{n}",
                channel="newspaper",
                organisation="报社",
                owner=tree[pick % len(tree)],
            )
            for n, pick in enumerate(outlet_owners)
        ]
        own = tree[viewer % len(tree)]
        branch = within(own)
        client.force_login(staff_of(own, name=f"staff{viewer}"))

        mine = {o.name for o in outlets if o.owner_id in branch}
        assert listed(client, "channel_outlets") == mine
        for outlet in outlets:
            edit = client.get(reverse("channel_outlets:edit", args=[outlet.pk]))
            assert edit.status_code == (200 if outlet.owner_id in branch else 404)

        package = make_package(owner=tree[0])
        push(package, recipients(tree[0], [2, 3, 4], None, None), None)
        for task in package.tasks.all():
            page = client.get(reverse("package_tasks:task", args=[task.pk]))
            assert page.status_code == (200 if task.organisation_id in branch else 404)
        transaction.set_rollback(True)
