"""A year of ledger records across channels, methods and organisations."""

from datetime import date

import pytest

from reach import rollups
from reach.ledger import record

YEAR = 2026


@pytest.fixture
def records(org_tree, make_article):
    article = make_article()
    rows = [
        # key, channel, organisation, day, metric, method, value
        ("a", "site", "province", date(YEAR, 1, 5), "reads", "counted", 1000),
        ("b", "site", "nongan", date(YEAR, 3, 5), "reads", "counted", 200),
        (
            "c",
            "newspaper",
            "changchun",
            date(YEAR, 3, 9),
            "people",
            "estimated",
            125_000,
        ),
        ("d", "newspaper", "changchun", date(YEAR, 4, 9), "people", "estimated", None),
        ("e", "short_video", "nongan", date(YEAR, 3, 1), "plays", "imported", 12_000),
        ("f", "short_video", "nongan", date(YEAR, 3, 1), "likes", "imported", 830),
        ("g", "screens", "helong", date(YEAR, 5, 1), "plays", "counted", 300),
        ("h", "screens", "helong", date(YEAR, 5, 1), "seconds", "counted", 4500),
        ("i", "screens", "helong", date(YEAR, 5, 1), "people", "estimated", 120),
        ("j", "site", "songyuan", date(YEAR, 6, 1), "reads", "counted", 77),
        ("k", "site", "province", date(YEAR - 1, 12, 31), "reads", "counted", 5),
    ]
    for key, channel, org, day, metric, method, value in rows:
        record(
            key,
            page_id=article.pk,
            channel=channel,
            organisation=org_tree[org],
            day=day,
            metric=metric,
            method=method,
            value=value,
            source="测试",
            confidence="high",
        )
    rollups.refresh()
    return article
