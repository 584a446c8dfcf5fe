"""Channel adapters by key. A channel is one module that registers its adapter
here with @register, plus its name in ChannelsConfig.adapter_modules (or, for
an app that is also a channel, an import in its AppConfig.ready())."""

from django.core.exceptions import ImproperlyConfigured

from channels.base import ChannelAdapter, template_beside

_adapters: dict[str, type[ChannelAdapter]] = {}


def register(cls: type[ChannelAdapter]) -> type[ChannelAdapter]:
    if cls.key in _adapters:
        raise ImproperlyConfigured(f"channel {cls.key!r} registered twice")
    if cls.preview_label and not template_beside(cls, cls.preview_template).exists():
        raise ImproperlyConfigured(
            f"channel {cls.key!r} has a preview but no {cls.preview_template} "
            "beside its adapter"
        )
    _adapters[cls.key] = cls
    return cls


def get_adapter(key: str) -> ChannelAdapter:
    try:
        return _adapters[key]()
    except KeyError:
        raise ImproperlyConfigured(f"no channel adapter {key!r}") from None


def all_adapters() -> list[ChannelAdapter]:
    return [cls() for _key, cls in sorted(_adapters.items())]


def adapters_with_preview() -> list[ChannelAdapter]:
    return [cls() for _key, cls in sorted(_adapters.items()) if cls.preview_label]


def channel_colour(key: str) -> str:
    cls = _adapters.get(key, ChannelAdapter)
    return cls.calendar_colour


def channel_choices() -> list[tuple[str, str]]:
    return [(key, str(cls.label)) for key, cls in sorted(_adapters.items())]
