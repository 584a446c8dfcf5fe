"""The admin speaks Chinese by default and English on request; the catalogues in
locale/ are complete, keep their placeholders and are compiled."""

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = {
    lang: LOCALE / lang / "LC_MESSAGES" / "django.po" for lang in ("en", "zh_Hans")
}
SUPPLEMENT = LOCALE / "zh_Hans" / "LC_MESSAGES" / "wagtail_supplement.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w+\}")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def unquote(text: str) -> str:
    body = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], body)


def read_po(path: Path) -> list[dict]:
    """Entries of a PO file: msgctxt, msgid, msgid_plural, msgstr (a list),
    flags and obsolete. Enough of the format for the files makemessages writes."""
    entries: list[dict] = []
    entry: dict | None = None
    field = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry and "msgid" in entry:
                entries.append(entry)
            entry = None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": [], "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            line = line[2:].strip()
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += unquote(line)
            else:
                entry[field] += unquote(line)
        else:
            keyword, value = line.split(" ", 1)
            if keyword.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(unquote(value))
            else:
                field = keyword
                entry[field] = unquote(value)
    return entries


def messages(path: Path) -> list[dict]:
    return [e for e in read_po(path) if e["msgid"] and not e["obsolete"]]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture
def login(client, django_user_model):
    """Log in a superuser whose Wagtail preferred language is `language`
    ("" leaves the site default, Chinese)."""

    def log_in(language: str = ""):
        user = django_user_model.objects.create_superuser(
            f"user-{language or 'default'}", "u@example.org", "pw"
        )
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = language
        profile.save()
        client.force_login(user)
        return client

    return log_in


def test_dashboard_is_chinese_by_default(login, home):
    html = login().get(reverse("wagtailadmin_home")).content.decode()
    assert "即将发布" in html
    assert "搜索所有页面…" in html
    assert "个页面" in html
    assert "Search all pages" not in html


def test_dashboard_follows_an_english_preference(login, home):
    html = login("en").get(reverse("wagtailadmin_home")).content.decode()
    assert "Going live soon" in html
    assert "Search all pages…" in html
    assert "即将发布" not in html


@pytest.mark.parametrize(
    ("language", "labels", "foreign"),
    [
        ("", ["科普文章", "科普视频"], "Science video"),
        ("en", ["Science article", "Science video"], "科普视频"),
    ],
)
def test_page_type_chooser_names_our_page_types_in_the_users_language(
    login, articles_index, language, labels, foreign
):
    url = reverse("wagtailadmin_pages:add_subpage", args=(articles_index.pk,))
    html = login(language).get(url).content.decode()
    assert all(label in html for label in labels)
    assert foreign not in html


def test_english_users_see_our_field_labels_in_english(login, articles_index):
    parent = articles_index.pk
    url = reverse("wagtailadmin_pages:add", args=("cms", "articlepage", parent))
    html = login("en").get(url).content.decode()
    for label in ("Reviewing expert", "Target audience", "Source / credit"):
        assert label in html
    assert "审核专家" not in html


@pytest.mark.parametrize(
    ("msgid", "chinese"),
    [
        (
            "The slug '%(page_slug)s' is already in use within the parent page.",
            "网址别名“%(page_slug)s”已被同级页面使用。",
        ),
        (
            "The slug '%(page_slug)s' is already in use within the parent page at "
            "'%(parent_url_path)s'.",
            "网址别名“%(page_slug)s”已被“%(parent_url_path)s”下的同级页面使用。",
        ),
    ],
)
def test_wagtail_slug_errors_are_translated_as_agreed(msgid, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == chinese


def test_every_label_has_an_english_translation():
    untranslated = [
        e["msgid"]
        for e in messages(CATALOGUES["en"])
        if "fuzzy" in e["flags"] or not all(e["msgstr"])
    ]
    assert untranslated == []


@pytest.mark.parametrize("lang", CATALOGUES)
def test_catalogue_has_no_fuzzy_entries(lang):
    fuzzy = [e["msgid"] for e in read_po(CATALOGUES[lang]) if "fuzzy" in e["flags"]]
    assert fuzzy == []


@pytest.mark.parametrize("lang", CATALOGUES)
def test_translations_keep_the_placeholders_of_their_msgid(lang):
    mismatched = []
    for e in messages(CATALOGUES[lang]):
        forms = e["msgstr"]
        if not any(forms):
            continue
        if "msgid_plural" not in e:
            sources = [e["msgid"]]
        elif len(forms) == 1:  # one form for every count, as in Chinese
            sources = [e["msgid_plural"]]
        else:
            sources = [e["msgid"]] + [e["msgid_plural"]] * (len(forms) - 1)
        for source, form in zip(sources, forms, strict=True):
            if placeholders(source) != placeholders(form):
                mismatched.append((source, form))
    assert mismatched == []


def test_chinese_catalogue_holds_the_current_wagtail_supplement():
    merged = {e["msgid"]: e["msgstr"] for e in messages(CATALOGUES["zh_Hans"])}
    stale = [
        e["msgid"]
        for e in messages(SUPPLEMENT)
        if merged.get(e["msgid"]) != e["msgstr"]
    ]
    assert stale == []


@pytest.mark.parametrize("lang", CATALOGUES)
def test_compiled_catalogue_matches_its_source(lang, tmp_path):
    po = CATALOGUES[lang]
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
    with fresh.open("rb") as expected, po.with_suffix(".mo").open("rb") as compiled:
        expected_catalog = gettext.GNUTranslations(expected)._catalog
        compiled_catalog = gettext.GNUTranslations(compiled)._catalog
    assert compiled_catalog == expected_catalog
