"""manage.py reach_report --year 2026 [--org ID] --format pdf|xlsx|csv -o FILE:
the year-end 考核 report of an organisation and those below it (the root
organisation without --org), as the admin's 年度考核报告 makes it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cms.organisations import Organisation, root_organisation
from reach.year_end import FORMATS, report_file, year_end_report


class Command(BaseCommand):
    help = "年度科普传播考核报告（PDF、XLSX 或 CSV）"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--org", type=int, help="单位 id（默认为最上级单位）")
        parser.add_argument("--format", choices=FORMATS, default="pdf")
        parser.add_argument("-o", "--output", type=Path, required=True)

    def handle(self, *args, year, org, format, output, **options):
        if not 2000 <= year <= 2100:
            raise CommandError(f"年份 {year} 不在 2000–2100 之间")
        organisation = root_organisation()
        if org is not None:
            organisation = Organisation.objects.filter(pk=org).first()
            if organisation is None:
                raise CommandError(f"没有 id 为 {org} 的单位")
        report = year_end_report(organisation, year)
        output.write_bytes(report_file(report, format))
        self.stdout.write(f"{report.title}：{output}（{format.upper()}）")
