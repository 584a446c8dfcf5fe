"""Finding what is left in English on a page of the zh-hans admin."""

import re

import lxml.html

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
HAN = re.compile(r"[\u3400-\u9fff]")
# Names that stay as they are: formats, protocols and products.
ALLOWED = {"JSON", "CSV", "XLSX", "SFTP", "HTTP", "HTTPS", "API", "RSS", "Atom"}
ALLOWED |= {"Feed", "Media", "Wagtail"}  # JSON Feed, Media RSS, Wagtail v8.0
# Keys as printed on the keyboard, in the keyboard shortcuts dialog.
KEYS = re.compile(r"(?:Ctrl|Alt|Shift|Cmd|Esc|Enter|Tab)(?: \+ \S+)*")
NOT_LABELS = "//script|//style|//template|//code|//pre|//svg|//textarea|//option"


def latin_only_labels(html: str, data: set[str]) -> set[str]:
    """Visible text, placeholders, titles and labels for screen readers
    written in Latin letters only (no Chinese), other than `data` (names and
    files the test made) and ALLOWED names. Elements marked data-unseen (not
    rendered, as a browser found: SEEN_HTML) are left out."""
    tree = lxml.html.fromstring(html)
    for element in tree.xpath(f"{NOT_LABELS}|//*[@hidden]|//*[@data-unseen]"):
        element.drop_tree()
    found = set()
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for text in (
            element.text,
            element.tail,
            *(element.get(name) for name in ("placeholder", "title", "aria-label")),
        ):
            text = (text or "").strip()
            if not LATIN_WORD.search(text) or HAN.search(text):
                continue
            if text in data or KEYS.fullmatch(text):
                continue
            if set(LATIN_WORD.findall(text)) <= ALLOWED:
                continue
            found.add(text)
    return found


# The page as rendered, its elements that are not rendered (display: none and
# the like, which no one sees or hears) marked data-unseen.
SEEN_HTML = """() => {
    const unseen = [...document.body.querySelectorAll("*")].filter(
        (element) => !element.checkVisibility({ visibilityProperty: true }));
    unseen.forEach((element) => element.setAttribute("data-unseen", ""));
    const html = document.documentElement.outerHTML;
    unseen.forEach((element) => element.removeAttribute("data-unseen"));
    return html;
}"""
