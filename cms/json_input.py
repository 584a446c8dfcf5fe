"""Reading untrusted JSON: one mechanism for every door that takes a JSON body
or a typed query parameter (the screens' API, the partner API, the calendar).

A body is refused before it is read when it is larger than the door's limit,
and refused after parsing when it is not UTF-8 JSON, holds NaN, Infinity or a
float beyond range, or nests deeper than MAX_DEPTH. The readers then refuse
wrong types, integers outside the range of the database column they are
bound for, and impossible or far-off times. Every refusal is a BadInput whose
Chinese message names the field; each door answers it with a 400."""

import json
import math
from datetime import date, datetime, tzinfo

from django.db import connection
from django.db.models import Field
from django.http import HttpRequest
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import is_naive, make_aware
from django.utils.translation import gettext as _

MAX_DEPTH = 32


class BadInput(ValueError):
    """The input is refused; the message says which field and why."""


def refuse_constant(name: str):
    raise BadInput(_("JSON 中不接受 %(name)s") % {"name": name})


def finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(_("JSON 中的数 %(text)s 超出范围") % {"text": text[:20]})
    return value


def depth_of(value) -> int:
    """How deeply arrays and objects nest in a parsed value (a scalar is 0)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in node)
    return deepest


def parse_json(raw: bytes | str):
    """The parsed document, or BadInput (malformed, non-finite numbers, or
    nested deeper than MAX_DEPTH)."""
    too_deep = BadInput(_("JSON 嵌套超过 %(depth)d 层") % {"depth": MAX_DEPTH})
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(
            text or "null", parse_constant=refuse_constant, parse_float=finite_float
        )
    except RecursionError:
        raise too_deep from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadInput(_("不是有效的 JSON")) from None
    except BadInput:
        raise
    except ValueError:  # an integer of more than 4,300 digits
        raise BadInput(_("JSON 中的数超出范围")) from None
    if depth_of(value) > MAX_DEPTH:
        raise too_deep
    return value


def read_json(request: HttpRequest, limit: int):
    """The request's body parsed; BadInput as read_body or parse_json."""
    return parse_json(read_body(request, limit))


def read_body(request: HttpRequest, limit: int) -> bytes:
    """The request's body; BadInput past `limit` bytes (checked against
    Content-Length before the body is read)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise BadInput(_("Content-Length 无效"))
    too_large = BadInput(_("请求体超过 %(limit)d 字节") % {"limit": limit})
    if int(declared) > limit:
        raise too_large
    body = request.body
    if len(body) > limit:
        raise too_large
    return body


def fields(data, allowed: set[str], required: set[str], where: str) -> dict:
    """`data` as an object with only `allowed` keys and every `required` one."""
    if not isinstance(data, dict):
        raise BadInput(_("%(where)s 应为 JSON 对象") % {"where": where})
    if unknown := set(data) - allowed:
        names = ", ".join(sorted(unknown))
        raise BadInput(
            _("%(where)s 含有未知字段：%(names)s") % {"where": where, "names": names}
        )
    if missing := required - set(data):
        names = ", ".join(sorted(missing))
        raise BadInput(
            _("%(where)s 缺少字段：%(names)s") % {"where": where, "names": names}
        )
    return data


def integer(value, name: str, column: Field, minimum: int = 0) -> int:
    """An integer (not a bool, not 2.0) from `minimum` up to what `column`
    holds on this database."""
    lowest, highest = connection.ops.integer_field_range(column.get_internal_type())
    low = max(minimum, lowest)
    if type(value) is not int or not low <= value <= highest:
        message = _("%(name)s 应为 %(low)d 到 %(high)d 之间的整数")
        raise BadInput(message % {"name": name, "low": low, "high": highest})
    return value


def number(value, name: str, low: float, high: float) -> float:
    if type(value) not in (int, float) or not low <= value <= high:
        message = _("%(name)s 应为 %(low)s 到 %(high)s 之间的数")
        raise BadInput(message % {"name": name, "low": low, "high": high})
    return float(value)


def text(value, name: str, max_length: int) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        message = _("%(name)s 应为不超过 %(length)d 字的文本")
        raise BadInput(message % {"name": name, "length": max_length})
    return value


def moment(
    value,
    name: str,
    earliest: datetime,
    latest: datetime,
    naive_in: tzinfo | None = None,
) -> datetime:
    """An ISO 8601 time between `earliest` and `latest`. Without a time zone
    it is refused, or read in `naive_in` when one is given."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but no such time: 2026-02-30
        parsed = None
    if parsed is None:
        message = _("%(name)s 应为 ISO 8601 时间，如 2026-01-01T08:00:00+08:00")
        raise BadInput(message % {"name": name})
    if is_naive(parsed):
        if naive_in is None:
            raise BadInput(_("%(name)s 应带时区") % {"name": name})
        parsed = make_aware(parsed, naive_in)
    if not earliest <= parsed <= latest:
        raise BadInput(out_of_range(name, earliest, latest))
    return parsed


def day(value, name: str, earliest: date, latest: date) -> date:
    """A date (YYYY-MM-DD) from `earliest` to `latest`."""
    try:
        parsed = parse_date(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadInput(_("%(name)s 应为日期，如 2026-01-01") % {"name": name})
    if not earliest <= parsed <= latest:
        raise BadInput(out_of_range(name, earliest, latest))
    return parsed


def out_of_range(name: str, earliest: date, latest: date) -> str:
    message = _("%(name)s 应在 %(earliest)s 到 %(latest)s 之间")
    return message % {
        "name": name,
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
    }
