"""The download of a report's tables: GET <report>/export.csv or export.xlsx
answers the sheets as an attachment named "<file_name>-<caption>.<format>";
any other format is 404 before the report is built.

A report's export view subclasses ExportView after its permission mixin,
names the file and builds the sheets for the request in get_export()."""

from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views import View

from cms.reporting.sheets import Sheet, csv_bytes, xlsx_bytes

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportView(View):
    file_name: str

    def get_export(self) -> tuple[str, Sequence[Sheet]]:
        """The caption (what the figures cover, as "2025" or a period) and the
        sheets of the report the request asks for."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define get_export()")

    def get(self, request, file_format: str) -> HttpResponse:
        if file_format not in CONTENT_TYPES:
            raise Http404
        caption, sheets = self.get_export()
        if file_format == "csv":
            body = csv_bytes(sheets, caption)
        else:
            body = xlsx_bytes(sheets)
        response = HttpResponse(body, content_type=CONTENT_TYPES[file_format])
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{self.file_name}-{caption}.{file_format}"
        )
        return response
