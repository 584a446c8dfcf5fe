"""Rendered packages are reachable only by signed link, only once released."""

from django.core import signing
from django.utils import timezone

from channels.outputs import SALT, signed_download_url
from channels.queue import enqueue_due_placements


def delivered_output(placement):
    enqueue_due_placements(timezone.now())
    return placement.outputs.get(name__endswith=".script.txt")


def path_of(url: str) -> str:
    return url.split("testserver", 1)[1]


def test_a_signed_link_downloads_the_file(client, due_placement):
    output = delivered_output(due_placement)
    response = client.get(path_of(signed_download_url(output)))
    assert response.status_code == 200
    assert "台风来临前" in b"".join(response.streaming_content).decode()
    assert "attachment" in response["Content-Disposition"]


def test_a_forged_or_bare_link_is_404(client, due_placement):
    output = delivered_output(due_placement)
    forged = signing.dumps(output.pk, salt="another-salt")
    assert client.get(f"/channels/outputs/{forged}/").status_code == 404
    assert client.get(f"/channels/outputs/{output.pk}/").status_code == 404


def test_a_package_of_an_unpublished_item_is_not_served(client, due_placement):
    output = delivered_output(due_placement)
    due_placement.page.specific.unpublish()
    assert client.get(path_of(signed_download_url(output))).status_code == 404


def test_a_package_before_its_time_is_not_served(client, due_placement):
    output = delivered_output(due_placement)
    due_placement.scheduled_at = timezone.now() + timezone.timedelta(days=1)
    due_placement.save()
    token = signing.dumps(output.pk, salt=SALT)
    assert client.get(f"/channels/outputs/{token}/").status_code == 404


def test_outputs_are_not_under_the_public_media_url(due_placement):
    output = delivered_output(due_placement)
    assert "/media/" not in output.file.url
