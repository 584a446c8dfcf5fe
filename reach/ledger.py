"""Writing the ledger: each figure under a key naming what it counts, so a
roll-up run twice (or a file imported twice) replaces its figures rather
than adding them again; and whom a page's figures are credited to."""

from typing import Any

from wagtail.models import Page

from cms.organisations import Organisation, root_organisation_id
from reach.models import ReachRecord


def record(key: str, **fields: Any) -> ReachRecord:
    row, _made = ReachRecord.objects.update_or_create(key=key, defaults=fields)
    return row


def record_counted_day(
    channel: str, day, metric: str, source: str, figures: dict[int, tuple]
) -> None:
    """A channel's counted figures of a finished day, one per page (page id
    → (value, inputs)), credited to the organisation whose section holds it."""
    owners = owners_of(list(figures))
    for page_id, (value, inputs) in figures.items():
        fields = counted_day(channel, day, metric, source, page_id, owners[page_id])
        record(fields.pop("key"), **fields, value=value, inputs=inputs)


def counted_day(
    channel: str, day, metric: str, source: str, page_id: int, owner: int
) -> dict[str, Any]:
    """The fields of a page's counted figure of a day but its value and
    inputs, key included (record_counted_day; the demo's year, in bulk)."""
    return {
        "key": f"{channel}:{day.isoformat()}:{page_id}",
        "page_id": page_id,
        "channel": channel,
        "organisation_id": owner,
        "day": day,
        "metric": metric,
        "method": ReachRecord.Method.COUNTED,
        "source": source,
        "confidence": ReachRecord.Confidence.HIGH,
    }


def owners_of(page_ids: list[int]) -> dict[int, int]:
    """page id → the organisation whose section holds it (the deepest; the
    root organisation's outside every section)."""
    sections = sorted(
        Organisation.sections.through.objects.values_list(
            "page__path", "organisation_id"
        ),
        key=lambda row: -len(row[0]),
    )
    root = root_organisation_id()
    owners = {}
    for pk, path in Page.objects.filter(pk__in=page_ids).values_list("pk", "path"):
        owners[pk] = next(
            (org for prefix, org in sections if path.startswith(prefix)), root
        )
    return owners
