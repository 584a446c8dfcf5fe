"""Downloads of rendered packages through signed links."""

from django.core import signing
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from channels.models import OutputFile
from channels.outputs import LINK_MAX_AGE_SECONDS, SALT, is_released


@require_GET
def download(request, token: str):
    try:
        output_id = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise Http404 from None
    output = OutputFile.objects.select_related("placement").filter(pk=output_id).first()
    if output is None or not is_released(output.placement):
        raise Http404
    return FileResponse(
        output.file.open("rb"),
        as_attachment=True,
        filename=output.name,
        content_type=output.mime_type,
    )
