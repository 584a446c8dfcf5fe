"""Integers beyond every key column in public addresses: a row id in a path
has at most 18 digits (a 404 otherwise), and the Wagtail API's offset past
the end reads nothing; neither reaches the database as an overflow."""

import pytest

BEYOND = str(2**70)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"/big-screen/cards/articles/{BEYOND}/{BEYOND}/landscape.png",
        f"/big-screen/cards/emergencies/{BEYOND}/v1/landscape.png",
        f"/feeds/media/{BEYOND}/{BEYOND}/renditions/{BEYOND}/x.mp4",
        f"/feeds/media/{BEYOND}/{BEYOND}/thumbnail/",
        f"/documents/{BEYOND}/x.pdf",
        f"/files/images/{BEYOND}/original/x.jpg",
        f"/api/partner/items/{BEYOND}/",
    ],
)
def test_a_row_id_beyond_any_column_is_a_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_largest_row_id_an_address_takes_is_simply_not_found(client):
    largest = "9" * 18
    url = f"/big-screen/cards/articles/{largest}/{largest}/landscape.png"
    assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["pages", "images", "documents"])
def test_an_offset_past_the_end_of_the_wagtail_api_is_an_empty_page(client, endpoint):
    response = client.get(f"/api/v2/{endpoint}/", {"offset": BEYOND})
    assert response.status_code == 200
    assert response.json()["items"] == []
