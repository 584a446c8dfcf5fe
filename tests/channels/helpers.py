"""Helpers the channels' admin tests share: form values, the editor's
preview of a page in a mode, one day of the calendar grid."""

from datetime import date

from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield


def local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def day_cell(html: str, day: date) -> str:
    """The HTML of one day of the grid."""
    start = html.index(f'data-date="{day:%Y-%m-%d}"')
    end = html.find('data-date="', start + 1)
    return html[start : end if end > 0 else None]


def article_edit_form(article, body: str) -> dict:
    return nested_form_data(
        {
            "title": article.title,
            "slug": article.slug,
            "standfirst": article.standfirst,
            "author": article.author,
            "source_credit": article.source_credit,
            "reviewing_expert": article.reviewing_expert_id,
            "body": streamfield([("paragraph", rich_text(f"<p>{body}</p>"))]),
            "corrections": streamfield([]),
            "comments": {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0},
        }
    )


def preview(admin_client, article, body: str, mode: str) -> str:
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(article.pk,))
    assert admin_client.post(url, article_edit_form(article, body)).json()["is_valid"]
    return admin_client.get(f"{url}?mode={mode}").content.decode()
