from django.contrib.auth.models import Group


def test_editors_may_plan_placements_and_see_outlets(db):
    codenames = set(
        Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
    )
    assert {
        "add_placement",
        "change_placement",
        "view_placement",
        "view_outlet",
    } <= codenames
    assert "change_outlet" not in codenames
