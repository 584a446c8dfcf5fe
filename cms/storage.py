"""The media storages: local files or S3, keeping every file version a
revision was approved with (cms/files.py). Wagtail's edit views delete the old
file when an editor uploads a new one; until a reviewer approves the change,
that old file is what the public gets, so it stays."""

from django.core.files.storage import FileSystemStorage as LocalStorage
from storages.backends.s3 import S3Storage as RemoteStorage


class KeepApprovedVersions:
    def delete(self, name: str) -> None:
        from cms.files import is_approved_version

        if name and is_approved_version(name):
            return
        super().delete(name)


class FileSystemStorage(KeepApprovedVersions, LocalStorage):
    """Local media, served to staff only (cms/file_views.py)."""


class S3Storage(KeepApprovedVersions, RemoteStorage):
    """A private bucket: addresses are signed and expire; the public gets
    files through the guarded views only. Configure it with file_overwrite
    off (cms/settings/base.py does), or a new upload under an approved
    version's name would replace it."""
