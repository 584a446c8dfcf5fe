"""The documents of a newspaper package, built from an article as the desk sees
it (ArticleParts): plain text, a DOCX in the house layout, NITF 3.6 XML and a PDF
proof. Pure functions: no database access."""

import dataclasses
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from lxml import etree
from lxml.builder import E
from wagtail.models import Page

from channels.text import Subheading
from media_pipeline.scripts import ARABIC_SANS, ARABIC_SERIF, is_right_to_left


@dataclass(frozen=True)
class ArticleParts:
    """A content item as a newspaper desk sees it."""

    title: str
    standfirst: str
    byline: str
    paragraphs: list[str]
    fact_boxes: list[tuple[str, list[str]]] = field(default_factory=list)
    source_line: str = ""
    image_count: int = 0
    outlet_name: str = ""
    slug: str = ""

    @property
    def body_text(self) -> str:
        facts = [line for title, lines in self.fact_boxes for line in (title, *lines)]
        return "\n".join([self.standfirst, *self.paragraphs, *facts])


SERIF = "Noto Serif CJK SC"  # 宋体-like body face
SANS = "Noto Sans CJK SC"  # 黑体-like headline face
BEIJING = ZoneInfo("Asia/Shanghai")
INDENT = "\u3000\u3000"  # 段首空两格

# Characters XML 1.0 cannot hold (pasted from Word: vertical tab, form feed…)
# and lone surrogates, which no encoding can write.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(parts: ArticleParts) -> ArticleParts:
    """The parts without characters that break XML or text encodings."""

    def strip(text: str) -> str:
        return UNWRITABLE.sub("", text).strip()

    return dataclasses.replace(
        parts,
        title=strip(parts.title),
        standfirst=strip(parts.standfirst),
        byline=strip(parts.byline),
        paragraphs=[
            (Subheading(text) if isinstance(p, Subheading) else text)
            for p in parts.paragraphs
            if (text := strip(p))
        ],
        fact_boxes=[
            (strip(title), [text for fact in facts if (text := strip(fact))])
            for title, facts in parts.fact_boxes
        ],
        source_line=strip(parts.source_line),
    )


# Plain text


def plain_text(parts: ArticleParts) -> str:
    """The desk's plain-text copy, `\\n` line ends, encodable in GB 18030."""
    parts = clean(parts)
    head = [line for line in (parts.standfirst, parts.byline) if line]
    body = [p if isinstance(p, Subheading) else INDENT + p for p in parts.paragraphs]
    blocks = [parts.title, "\n".join(head), *body]
    for title, facts in parts.fact_boxes:
        blocks.append("\n".join([f"【{title}】", *(f"·{fact}" for fact in facts)]))
    blocks.append(parts.source_line)
    return "\n\n".join(block for block in blocks if block) + "\n"


# DOCX


@dataclass(frozen=True)
class DocxStyle:
    """One paragraph style of the house layout."""

    style_id: str
    name: str  # shown to the desk in Word's style list
    font: str = SERIF
    size: float = 10.5
    bold: bool = False
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY
    first_line_indent: Length = Pt(0)
    side_indent: Length = Pt(0)
    space_before: Length = Pt(0)
    space_after: Length = Pt(0)
    line_spacing: float = 1.5
    grey: bool = False


# The body (Normal) indents its first line by two characters: 2 × 10.5 pt.
BODY = DocxStyle("Normal", "Normal", first_line_indent=Pt(21))
STYLES = {
    style.style_id: style
    for style in (
        DocxStyle(
            "Headline",
            "标题",
            font=SANS,
            size=22,
            bold=True,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            space_after=Pt(12),
            line_spacing=1.2,
        ),
        DocxStyle(
            "Standfirst",
            "导语",
            size=12,
            side_indent=Pt(24),
            space_after=Pt(6),
            line_spacing=1.3,
        ),
        DocxStyle(
            "Byline",
            "署名",
            font=SANS,
            align=WD_ALIGN_PARAGRAPH.RIGHT,
            space_after=Pt(12),
        ),
        DocxStyle(
            "Subheading",
            "小标题",
            font=SANS,
            bold=True,
            align=WD_ALIGN_PARAGRAPH.LEFT,
            space_before=Pt(6),
            space_after=Pt(3),
        ),
        DocxStyle(
            "FactHeading", "知识卡片标题", font=SANS, bold=True, space_after=Pt(3)
        ),
        DocxStyle("Fact", "知识卡片", size=9.5, line_spacing=1.3),
        DocxStyle("SourceLine", "来源", size=9, space_before=Pt(12), grey=True),
    )
}


def set_fonts(rpr, font: str) -> None:
    """The fonts of a style's run properties: Word picks the face by script,
    so a CJK font needs w:eastAsia besides w:ascii/w:hAnsi, and Uyghur or
    Kazakh (right-to-left runs) take w:cs, an Arabic face of the same kind."""
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), font)
    fonts.set(qn("w:cs"), ARABIC_SANS if font == SANS else ARABIC_SERIF)


def mark_right_to_left(document) -> None:
    """Every paragraph that runs right to left (media_pipeline.scripts), in
    the body and in the fact boxes, marked so: w:bidi on the paragraph (Word
    then lays it out from the right, its indent and alignment mirrored) and
    w:rtl on each of its runs."""
    cells = (cell for table in document.tables for cell in table._cells)
    paragraphs = [*document.paragraphs, *(p for c in cells for p in c.paragraphs)]
    for paragraph in paragraphs:
        if not is_right_to_left(paragraph.text):
            continue
        properties = paragraph._p.get_or_add_pPr()
        properties.insert_element_before(OxmlElement("w:bidi"), *AFTER_BIDI)
        for run in paragraph.runs:
            run._r.get_or_add_rPr().insert_element_before(
                OxmlElement("w:rtl"), *AFTER_RTL
            )


# What follows w:bidi in a paragraph's properties and w:rtl in a run's
# (ECMA-376 CT_PPr, CT_RPr): Word refuses elements out of this order.
AFTER_BIDI = (
    "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
AFTER_RTL = ("w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")


def apply_style(document, spec: DocxStyle) -> None:
    styles = document.styles
    if spec.name in styles:
        style = styles[spec.name]
    else:
        style = styles.add_style(spec.name, WD_STYLE_TYPE.PARAGRAPH)
        style.style_id = spec.style_id
        style.base_style = styles["Normal"]
    style.font.size = Pt(spec.size)
    style.font.bold = spec.bold
    if spec.grey:
        style.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    set_fonts(style.element.get_or_add_rPr(), spec.font)
    layout = style.paragraph_format
    layout.alignment = spec.align
    layout.first_line_indent = spec.first_line_indent
    layout.left_indent = layout.right_indent = spec.side_indent
    layout.space_before, layout.space_after = spec.space_before, spec.space_after
    layout.line_spacing = spec.line_spacing


def house_document():
    """An empty A4 document with the paper's styles."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(3.17)
    set_defaults(document)
    for spec in (BODY, *STYLES.values()):
        apply_style(document, spec)
    return document


def set_defaults(document) -> None:
    """The document defaults: the body face instead of the template's theme
    fonts (theme attributes win over explicit ones), Chinese as East Asian
    language."""
    rpr = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")[0]
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attribute), None)
    set_fonts(rpr, SERIF)
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")


def add_fact_box(document, title: str, facts: list[str]) -> None:
    """A single-cell, shaded table: the heading, then one paragraph per fact."""
    table = document.add_table(rows=1, cols=1)
    table.style = document.styles["Table Grid"]
    cell = table.cell(0, 0)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), "F2EFE6")
    cell._tc.get_or_add_tcPr().append(shading)
    heading = cell.paragraphs[0]
    heading.style = document.styles[STYLES["FactHeading"].name]
    heading.add_run(title)
    for fact in facts:
        cell.add_paragraph(f"· {fact}", style=STYLES["Fact"].name)
    document.add_paragraph()


def docx_bytes(parts: ArticleParts) -> bytes:
    """The article as a DOCX in the paper's house layout."""
    parts = clean(parts)
    document = house_document()

    def add(text: str, style_id: str) -> None:
        if text:
            document.add_paragraph(text, style=STYLES[style_id].name)

    add(parts.title, "Headline")
    add(parts.standfirst, "Standfirst")
    add(parts.byline, "Byline")
    for paragraph in parts.paragraphs:
        if isinstance(paragraph, Subheading):
            added = document.add_paragraph(paragraph, style=STYLES["Subheading"].name)
            added.paragraph_format.keep_with_next = True
        else:
            document.add_paragraph(paragraph)
    for title, facts in parts.fact_boxes:
        add_fact_box(document, title, facts)
    add(parts.source_line, "SourceLine")
    mark_right_to_left(document)
    properties = document.core_properties
    properties.title, properties.author = parts.title, parts.byline
    properties.subject, properties.language = parts.outlet_name, "zh-CN"
    properties.comments = parts.standfirst
    properties.created = properties.modified = datetime.now(UTC)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


# NITF


def nitf_date(moment: datetime | None) -> str:
    """NITF's norm date, in Beijing time: 20260917T073000+0800."""
    moment = (moment or datetime.now(BEIJING)).astimezone(BEIJING)
    return moment.strftime("%Y%m%dT%H%M%S%z")


def nitf_bytes(parts: ArticleParts, item: Page) -> bytes:
    """The article as NITF 3.6 (UTF-8). Reads only the page's own columns."""
    parts = clean(parts)
    issued = nitf_date(item.first_published_at)
    docdata = E.docdata(
        E("doc-id", {"id-string": str(item.pk)}),
        E("date.issue", norm=issued),
        E("doc.copyright", year=issued[:4], holder=parts.outlet_name),
    )
    head = E.head(
        E.title(parts.title),
        E.meta(name="slug", content=parts.slug),
        E.meta(name="last-published", content=nitf_date(item.last_published_at)),
        docdata,
        E.pubdata(type="print", name=parts.outlet_name),
    )
    body_head = E("body.head", E.hedline(E.hl1(parts.title)))
    if parts.byline:
        body_head.append(E.byline(parts.byline))
    if parts.standfirst:
        body_head.append(E.abstract(E.p(parts.standfirst)))
    content = E(
        "body.content",
        *(
            E.hl2(text) if isinstance(text, Subheading) else E.p(text)
            for text in parts.paragraphs
        ),
    )
    for title, facts in parts.fact_boxes:
        content.append(E.block(E.hl2(title), E.ul(*(E.li(fact) for fact in facts))))
    body = E.body(body_head, content, E("body.end", E.tagline(parts.source_line)))
    root = E.nitf(head, body, version="-//IPTC//DTD NITF 3.6//EN", baselang="zh-CN")
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


# Proof: HTML for the editor's preview, and the PDF made from it

FOOTER = f'font: 8pt "{SANS}"; color: #777;'
PROOF_CSS = f"""
@page {{
  size: A4; margin: 18mm 16mm 20mm;
  @bottom-left {{ content: string(outlet) "　校样"; {FOOTER} }}
  @bottom-right {{ content: counter(page) " / " counter(pages); {FOOTER} }}
}}
html {{ background: #fff; color: #1a1a1a; }}
body {{ margin: 0; font: 10.5pt/1.65 "{SERIF}", "Noto Naskh Arabic", serif; }}
.column {{ max-width: 50em; margin: 0 auto; padding: 1.5em; }}
@media print {{ .column {{ max-width: none; padding: 0; }} }}
.outlet {{
  string-set: outlet content(); margin: 0; padding-bottom: .3em;
  border-bottom: 2pt solid #9b1c1c; color: #9b1c1c;
  font: 700 10pt/1.4 "{SANS}", sans-serif; letter-spacing: .1em;
}}
h1 {{
  margin: .7em 0 .45em; text-align: center;
  font: 700 22pt/1.3 "{SANS}", sans-serif;
}}
.standfirst {{
  margin: 0 2em .6em; padding: .5em .2em; font-size: 12pt; line-height: 1.6;
  border-top: .75pt solid #999; border-bottom: .75pt solid #999; color: #333;
}}
.byline {{ margin: 0 0 1em; text-align: right; font: 9.5pt "{SANS}", sans-serif; }}
.body {{ columns: 14em; column-gap: 1.6em; column-rule: .5pt solid #bbb; }}
.body p {{ margin: 0; text-indent: 2em; text-align: justify; }}
.body h2 {{
  margin: .6em 0 .2em; font: 700 11pt/1.5 "{SANS}", sans-serif;
  break-after: avoid; break-inside: avoid;
}}
.facts {{
  break-inside: avoid; margin: .9em 0 .3em; padding: .5em .8em .6em;
  background: #f2efe6; border: .75pt solid #a39c86; font-size: 9.5pt;
  line-height: 1.55;
}}
.facts h2 {{ margin: 0 0 .3em; font: 700 10.5pt "{SANS}", sans-serif; }}
.facts ul {{ margin: 0; padding-left: 1.1em; }}
.source {{
  margin: 1.2em 0 0; padding-top: .4em; border-top: .5pt solid #999;
  font-size: 8.5pt; color: #555;
}}
"""


def direction(text: str) -> str:
    """` dir="rtl"` when the text starts in a right-to-left script (Uyghur)."""
    return ' dir="rtl"' if is_right_to_left(text) else ""


def element(tag: str, text: str, css_class: str = "") -> str:
    attributes = f' class="{css_class}"' if css_class else ""
    return f"<{tag}{attributes}{direction(text)}>{escape(text)}</{tag}>"


def fact_box_html(title: str, facts: list[str]) -> str:
    items = "".join(element("li", fact) for fact in facts)
    return f'<aside class="facts">{element("h2", title)}<ul>{items}</ul></aside>'


def proof_html(parts: ArticleParts) -> str:
    """A self-contained HTML proof of the column: no external resources."""
    parts = clean(parts)
    optional = [
        (parts.outlet_name, "p", "outlet"),
        (parts.title, "h1", ""),
        (parts.standfirst, "p", "standfirst"),
        (parts.byline, "p", "byline"),
    ]
    head = "".join(element(tag, text, css) for text, tag, css in optional if text)
    body = "".join(
        element("h2" if isinstance(text, Subheading) else "p", text)
        for text in parts.paragraphs
    )
    body += "".join(fact_box_html(title, facts) for title, facts in parts.fact_boxes)
    source = element("p", parts.source_line, "source") if parts.source_line else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>{escape(parts.title)}</title>"
        f'<meta name="author" content="{escape(parts.byline)}">'
        f"<style>{PROOF_CSS}</style></head><body>"
        f'<article class="column">{head}<div class="body">{body}</div>{source}'
        "</article></body></html>\n"
    )


def pdf_bytes(parts: ArticleParts) -> bytes:
    """The A4 PDF proof, CJK fonts subset and embedded."""
    # Imported here: WeasyPrint takes about half a second to import, which
    # every Django process would pay at start-up; only rendering needs it.
    from weasyprint import HTML

    return HTML(string=proof_html(parts)).write_pdf()
