"""Where a folder delivery target may not be: inside the public media or
static files (the package would be published before its time), the private
outputs storage, or the project's own tree. The path is resolved first, so
neither a symlink nor `..` leads around the rule."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext_lazy as _

from channels.outputs import outputs_storage


def protected_folders() -> list[tuple[Path, str]]:
    folders = [
        (settings.MEDIA_ROOT, _("媒体文件目录（MEDIA_ROOT）")),
        (settings.STATIC_ROOT, _("静态文件目录（STATIC_ROOT）")),
        (settings.BASE_DIR, _("程序目录")),
    ]
    storage = outputs_storage()
    if isinstance(storage, FileSystemStorage):
        folders.append((storage.location, _("渠道成品存储目录")))
    return [(Path(folder).resolve(), label) for folder, label in folders if folder]


def folder_problem(target: str) -> str:
    """Why the folder cannot take deliveries, or ""."""
    folder = Path(target).resolve()
    for protected, label in protected_folders():
        if folder.is_relative_to(protected):
            return _("交付文件夹不能位于%(place)s之内，否则稿件会外泄") % {
                "place": label
            }
    return ""
