from django import template

register = template.Library()


@register.filter
def figure(value) -> str:
    """A figure grouped in thousands, as statistics tables print them."""
    if value is None:
        return "—"
    return f"{value:,}"
