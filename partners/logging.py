"""Masking partner keys in text and in log records. django.server logs the
request line with its query string, so a `?key=` would otherwise be written
in clear. No Django imports here: LOGGING loads this before the apps.

Wired in LOGGING as:

    "filters": {
        "mask_partner_keys": {"()": "partners.logging.MaskPartnerKeys"},
    },
    "loggers": {
        "django.server": {"filters": ["mask_partner_keys"]},
        "django.request": {"filters": ["mask_partner_keys"]},
    },
"""

import logging
import re

MASKED = "***"
CLEAR_KEY = re.compile(r"kp_[A-Za-z0-9_-]{4,}")
KEY_PARAMETER = re.compile(r"([?&](?:amp;)?key=)[^&\s\"']*", re.IGNORECASE)


def mask_keys(text: str) -> str:
    """The text with every `key=` value and anything shaped like a key masked."""
    text = KEY_PARAMETER.sub(lambda match: match.group(1) + MASKED, text)
    return CLEAR_KEY.sub("kp_" + MASKED, text)


class MaskPartnerKeys(logging.Filter):
    """Rewrites the record's message, and the path a structured request line
    carries (cms.request_log), with keys masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = mask_keys(message)
        if safe != message:
            record.msg, record.args = safe, None
        if isinstance(getattr(record, "path", None), str):
            record.path = mask_keys(record.path)
        return True
