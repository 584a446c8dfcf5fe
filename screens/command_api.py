"""The screens' API for remote care (screens.commands), beside screens.api
and with its rules: the screen's token as a Bearer token (401 otherwise),
JSON answers, a Chinese message with every refusal. A screen reaches only
its own commands: another screen's answers 404, as an unknown one does.

- GET  commands/            the pending commands, now sent: {"commands": [{id, kind}]}
- POST commands/<id>/ack/   {} done, or {"error": "…"} failed
- POST commands/<id>/screenshot/   the JPEG itself (≤ SCREENSHOT_LIMIT bytes);
  acknowledges a screenshot command"""

from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cms.json_input import fields, read_body, read_json, text
from screens import commands
from screens.api import error, screen_api
from screens.models import ScreenCommand

ACK_LIMIT = 2 * 1024
MAX_ERROR = 500


def answers_refusal(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except commands.CommandRefused as refusal:
            return error(refusal.status, str(refusal))

    return wrapped


def described(command: ScreenCommand) -> JsonResponse:
    return JsonResponse(
        {"id": command.pk, "kind": command.kind, "state": command.state}
    )


@require_GET
@screen_api
def pending(request, screen):
    sent = commands.fetch(screen)
    return JsonResponse(
        {"commands": [{"id": command.pk, "kind": command.kind} for command in sent]}
    )


@require_POST
@screen_api
@answers_refusal
def acknowledge(request, screen, command_id: int):
    data = fields(read_json(request, ACK_LIMIT), {"error"}, set(), _("请求体"))
    problem = data.get("error")
    problem = "" if problem is None else text(problem, "error", MAX_ERROR)
    return described(commands.acknowledge(screen, command_id, problem))


@require_POST
@screen_api
@answers_refusal
def screenshot(request, screen, command_id: int):
    data = read_body(request, commands.SCREENSHOT_LIMIT)
    return described(commands.attach_screenshot(screen, command_id, data))
