"""Requests and tasks are logged as JSON lines by the configured handler,
partner keys masked."""

import io
import json
import logging

import pytest

from tests.cms.tasks_for_tests import add, fail


@pytest.fixture
def json_lines():
    """What the "cms" loggers' configured JSON handler writes, as dicts."""
    (handler,) = logging.getLogger("cms").handlers
    stream = io.StringIO()
    previous = handler.setStream(stream)
    written = []

    def read() -> list[dict]:
        written.extend(json.loads(line) for line in stream.getvalue().splitlines())
        stream.seek(0)
        stream.truncate()
        return written

    yield read
    handler.setStream(previous)


def test_each_request_is_one_json_line_with_partner_keys_masked(client, db, json_lines):
    clear = "kp_QmFzZTY0S2V5U2VjcmV0"
    client.get(f"/feeds/no-such-feed/rss.xml?key={clear}")

    (line,) = [line for line in json_lines() if line["logger"] == "cms.requests"]
    assert line["method"] == "GET" and line["status"] == 404
    assert line["path"] == "/feeds/no-such-feed/rss.xml?key=***"
    assert line["message"] == "GET /feeds/no-such-feed/rss.xml?key=*** 404"
    assert line["view"] == "feeds:feed" and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"]
    assert clear not in json.dumps(json_lines())


def test_each_task_logs_its_start_and_end_as_json(db, json_lines):
    add.enqueue(2, 3)
    fail.enqueue()

    lines = [line for line in json_lines() if line["logger"] == "cms.tasks"]
    assert [(line["task"].rsplit(".", 1)[1], line["message"]) for line in lines] == [
        ("add", "task tests.cms.tasks_for_tests.add started"),
        ("add", "task tests.cms.tasks_for_tests.add finished"),
        ("fail", "task tests.cms.tasks_for_tests.fail started"),
        ("fail", "task tests.cms.tasks_for_tests.fail failed"),
    ]
    assert lines[1]["state"] == "SUCCESSFUL" and lines[1]["duration_ms"] >= 0
    assert lines[3]["state"] == "FAILED" and lines[3]["level"] == "ERROR"
    assert lines[3]["error"] == "builtins.ValueError"
    assert len({line["task_id"] for line in lines}) == 2
