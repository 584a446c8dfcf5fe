"""Making upstream HTML safe and fit for a draft's rich text.

nh3 first, with an allow-list: no scripts, styles, frames, objects, forms or
media; no attributes but a link's href, and that only over http(s) or mailto
(relative links resolved against the entry's address). Images are dropped
altogether, counted for the editor: we do not hotlink other sites' pictures,
and a remote image is how a tracking pixel reports a reader.

Then the safe HTML is rewritten into the subset the body's rich-text block
stores (cms.blocks: h2, h3, bold, italic, ol, ul, link): <p>, <h2>, <h3>,
<b>, <i>, <ul>/<ol> of <li>, <a href>, <br/>. Other containers (blockquote,
div, table cells…) give their text as paragraphs.
"""

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
import nh3

INLINE_TAGS = {"a", "b", "strong", "i", "em", "u", "span", "sub", "sup", "code"}
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre"}
CONTAINER_TAGS = {
    "blockquote",
    "div",
    "section",
    "article",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "dl",
    "dt",
    "dd",
}
ALLOWED_TAGS = INLINE_TAGS | BLOCK_TAGS | CONTAINER_TAGS | {"br", "img"}
# Removed with everything inside them.
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "frame",
    "object",
    "embed",
    "applet",
    "form",
    "button",
    "select",
    "textarea",
    "noscript",
    "template",
    "svg",
    "math",
    "video",
    "audio",
    "canvas",
    "title",
}
LINK_SCHEMES = {"http", "https", "mailto"}

HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h3", "h6": "h3"}
INLINE_STYLES = {"b": "b", "strong": "b", "i": "i", "em": "i"}
LISTS = {"ul", "ol"}
BLOCK_END = re.compile(r"(?i)(<br\s*/?>|</(p|div|li|h[1-6]|blockquote|tr|td|th)>)")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanHtml:
    html: str  # Wagtail rich text (database format)
    images_dropped: int


def sanitise(raw: str, base_url: str = "") -> CleanHtml:
    """Safe rich text from upstream HTML; relative links resolved against
    base_url (dropped when there is none)."""
    safe = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes={"a": {"href"}},
        url_schemes=LINK_SCHEMES,
        url_relative=relative_links(base_url),
        link_rel=None,
    )
    if not safe.strip():
        return CleanHtml("", 0)
    root = lxml.html.fragment_fromstring(safe, create_parent="div")
    images = sum(1 for _image in root.iter("img"))
    return CleanHtml("".join(blocks(root)), images)


def relative_links(base_url: str):
    if urlsplit(base_url).scheme.lower() in ("http", "https"):
        return ("rewrite_with_base", base_url)
    return "deny"


def plain_text(raw: str) -> str:
    """The text of upstream HTML on one line: tags gone, entities decoded,
    blocks separated by a space, runs of white space made one."""
    spaced = BLOCK_END.sub(lambda match: match.group(0) + " ", raw)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return SPACES.sub(" ", text).strip()


def shorten(text: str, length: int) -> str:
    """The text, cut to at most length characters ending in "…"."""
    if len(text) <= length:
        return text
    return text[: length - 1].rstrip() + "…"


# Rewriting into Wagtail's rich-text subset ----------------------------------------


def blocks(container) -> list[str]:
    """The container's content as top-level blocks; loose text and inline
    elements between blocks become paragraphs."""
    found: list[str] = []
    loose: list[str] = [html.escape(container.text or "")]

    def end_paragraph() -> None:
        paragraph("p", "".join(loose), found)
        loose.clear()

    for child in container:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in HEADINGS or tag in ("p", "pre"):
            end_paragraph()
            paragraph(HEADINGS.get(tag, "p"), inline(child), found)
        elif tag in LISTS:
            end_paragraph()
            items = [inline(item) for item in child if item.tag == "li"]
            if any(text_of(item) for item in items):
                found.append(list_html(tag, items))
        elif tag in CONTAINER_TAGS or tag == "li":
            end_paragraph()
            found += blocks(child)
        else:
            loose.append(inline_element(child))
        loose.append(html.escape(child.tail or ""))
    end_paragraph()
    return found


def paragraph(tag: str, content: str, found: list[str]) -> None:
    content = content.strip()
    if text_of(content):
        found.append(f"<{tag}>{content}</{tag}>")


def list_html(tag: str, items: list[str]) -> str:
    lis = "".join(f"<li>{item.strip()}</li>" for item in items if text_of(item))
    return f"<{tag}>{lis}</{tag}>"


def text_of(fragment: str) -> str:
    return re.sub(r"<[^>]*>", "", fragment).strip()


def inline(element) -> str:
    """The element's content as inline rich text."""
    parts = [html.escape(element.text or "")]
    for child in element:
        parts.append(inline_element(child))
        parts.append(html.escape(child.tail or ""))
    return "".join(parts)


def inline_element(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "br":
        return "<br/>"
    if tag == "img":
        return ""
    content = inline(element)
    if tag in INLINE_STYLES and text_of(content):
        style = INLINE_STYLES[tag]
        return f"<{style}>{content}</{style}>"
    href = element.get("href") if tag == "a" else None
    if href and text_of(content) and "<a " not in content:
        return f'<a href="{html.escape(href, quote=True)}">{content}</a>'
    if tag in BLOCK_TAGS or tag in CONTAINER_TAGS:
        return f" {content} "  # a block inside a block: keep the words apart
    return content
