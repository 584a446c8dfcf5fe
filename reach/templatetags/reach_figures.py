from django import template

register = template.Library()


@register.filter
def figure(value) -> str:
    """A figure grouped in thousands, as statistics tables print them."""
    if value is None:
        return "—"
    return f"{value:,}"


@register.filter
def rate(value) -> str:
    """A rate 0…1 as a percentage with one decimal: 87.5%."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"
