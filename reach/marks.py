"""Each source's LedgerMark: read it, move it on."""

from datetime import datetime

from reach.models import LedgerMark

BEGINNING = datetime(2000, 1, 1).astimezone()


def mark_of(source: str) -> datetime:
    row = LedgerMark.objects.filter(source=source).first()
    return row.until if row else BEGINNING


def move_mark(source: str, until: datetime) -> None:
    LedgerMark.objects.update_or_create(source=source, defaults={"until": until})
