"""The days of the week as the admin names them, Monday = 1 (ISO), for an
outlet's 刊播日 and a screen's day parts."""

from django.utils.translation import gettext_lazy as _

WEEKDAYS = [
    (1, _("周一")),
    (2, _("周二")),
    (3, _("周三")),
    (4, _("周四")),
    (5, _("周五")),
    (6, _("周六")),
    (7, _("周日")),
]
