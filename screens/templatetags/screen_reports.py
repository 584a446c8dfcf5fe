"""The 开机率/使用率 dashboard's filter: {{ minutes.uptime|percent }}."""

from django import template

from screens.report_views import percent

register = template.Library()
register.filter("percent", percent)
