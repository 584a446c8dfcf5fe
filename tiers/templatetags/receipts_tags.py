from django import template

from tiers.report import rate_text

register = template.Library()


@register.filter
def rate(value: float | None) -> str:
    """A rate 0…1 as 37.5%, or — where there is nothing to count."""
    return rate_text(value)
