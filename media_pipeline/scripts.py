"""Which way a piece of text runs, decided once for every output that lays
text out (the newspaper's DOCX and proof, and more as the editions come):
a paragraph runs the way of its first strong character, as the Unicode
bidirectional algorithm decides a paragraph's direction (UAX #9, rule P2),
so a Uyghur or Kazakh paragraph (Arabic script) that quotes a Chinese
name or a number is still right to left, and a Chinese one quoting Uyghur
is not. Also the faces Arabic-script text is set in beside the CJK ones."""

import unicodedata

RIGHT_TO_LEFT = frozenset({"R", "AL"})
# Arabic-script faces beside the CJK ones: Naskh for the serif body, Sans
# for headings (both from Debian's fonts-noto-core).
ARABIC_SERIF = "Noto Naskh Arabic"
ARABIC_SANS = "Noto Sans Arabic"


def is_right_to_left(text: str) -> bool:
    """The text's first strong character is right-to-left (Arabic script)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in RIGHT_TO_LEFT:
            return True
        if kind == "L":
            return False
    return False
