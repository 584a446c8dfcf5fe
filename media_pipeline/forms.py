"""The wagtailmedia upload and edit form (WAGTAILMEDIA["MEDIA_FORM_BASE"]):
a new file is refused, on its field and before anything is saved, when its
bytes are not an allowed media container (media_pipeline.identify)."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from wagtailmedia.forms import BaseMediaForm

from media_pipeline.errors import MediaError
from media_pipeline.identify import identify_stream


class MediaForm(BaseMediaForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            try:
                identify_stream(file, file.name)
            except MediaError as error:
                raise ValidationError(error.render(_)) from None
        return file

    def _post_clean(self):
        # The model's clean() checks the extension of the file the instance
        # holds, which a refused upload never reached: it would add a
        # misleading "extension “” not allowed" error. Nothing is saved.
        if "file" in self.errors:
            return
        super()._post_clean()
