"""`make run`'s production settings for the supervisor tests, with static
files served unhashed: the tests skip collectstatic, which takes a minute."""

from cms.settings.production import *  # noqa: F403
from cms.settings.production import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
