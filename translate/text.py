"""Text cleaning shared by the pipelines and translate/ (no Scrapy imports here)."""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, NavigableString, Tag

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
# Tags end before the next "<": with [^>]* a text of many "<a" and no ">" was scanned to its end
# from every "<" (quadratic: minutes for 1 MB); a real tag never holds a "<".
_TAG = re.compile(r"<[a-zA-Z/!][^<>]*>")
# UTF-8 read as Latin-1/CP1252: "Ã¤" for "ä", "Ã¶" for "ö", "Ã¥" for "å", "â€“" for "–".
_MOJIBAKE = re.compile(
    r"[ÃÂâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)

BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "tr",
    "dd",
    "dt",
    "blockquote",
    "section",
    "article",
}


def strip_cdata(text: str) -> str:
    """CDATA wrappers removed, their content kept; in linear time (a lazy pattern over many
    unclosed openers is quadratic)."""
    if "<![CDATA[" not in text:
        return text
    out, position = [], 0
    while (start := text.find("<![CDATA[", position)) >= 0:
        end = text.find("]]>", start + 9)
        if end < 0:
            break
        out += [text[position:start], text[start + 9 : end]]
        position = end + 3
    out.append(text[position:])
    return "".join(out)


def squash(text: str | None) -> str | None:
    """Whitespace folded to single spaces, ends trimmed; None for empty."""
    if text is None:
        return None
    text = _SPACE.sub(" ", str(text)).strip()
    return text or None


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 text that was decoded as Latin-1/CP1252 somewhere upstream."""
    if not _MOJIBAKE.search(text):
        return text
    for encoding in ("cp1252", "latin-1"):
        try:
            repaired = text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return repaired
    return text


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text)) or "&lt;" in text or "&amp;" in text


def html_blocks(markup: str | None) -> list[str]:
    """Text blocks (paragraphs, list items, headings) of an HTML fragment, in order.

    List items are prefixed with "- " so the clean text still reads as a list. Plain text
    (no markup) is split on blank lines.
    """
    if not markup:
        return []
    markup = strip_cdata(markup)
    if "&lt;" in markup and not _TAG.search(markup):
        markup = html.unescape(markup)  # HTML that was escaped once more on the way
    if not _TAG.search(markup):
        return [b for b in (squash(html.unescape(p)) for p in re.split(r"\n\s*\n", markup)) if b]
    soup = BeautifulSoup(markup, "html.parser")
    for dropped in soup(["script", "style"]):
        dropped.decompose()
    blocks: list[str] = []
    current: list[str] = []

    def flush(prefix: str = "") -> None:
        text = squash("".join(current))
        current.clear()
        if text:
            blocks.append(prefix + text)

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                current.append(str(child))
            elif isinstance(child, Tag):
                if child.name in BLOCK_TAGS:
                    flush()
                    walk(child)
                    flush("- " if child.name == "li" else "")
                else:
                    walk(child)

    walk(soup)
    flush()
    return blocks


def html_to_text(markup: str | None) -> str | None:
    """Clean text of an HTML fragment: blocks separated by blank lines, list items by newlines."""
    blocks = html_blocks(markup)
    if not blocks:
        return None
    out = blocks[0]
    for previous, block in zip(blocks, blocks[1:], strict=False):
        out += ("\n" if previous.startswith("- ") and block.startswith("- ") else "\n\n") + block
    return out


def clean_title(text: str | None) -> str | None:
    """A one-line title: CDATA, tags and entities removed, mojibake repaired, spaces folded."""
    if text is None:
        return None
    text = strip_cdata(str(text))
    text = html.unescape(_TAG.sub(" ", text))
    return squash(fix_mojibake(text))


def clean_description(text: str | None) -> str | None:
    if text is None:
        return None
    return html_to_text(fix_mojibake(str(text)))


def with_scheme(url: str | None) -> str | None:
    """'www.kth.se/x' -> 'https://www.kth.se/x'; None for empty or clearly not a web URL."""
    url = squash(url)
    if not url:
        return None
    if url.startswith("//"):
        return "https:" + url
    if re.match(r"^https?://", url, re.I):
        return url
    if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):  # mailto:, tel:, ...
        return None
    if re.match(r"^[\w-]+(\.[\w-]+)+(/|$|\?|#|:)", url):
        return "https://" + url
    return None


# --- personal data in descriptions -----------------------------------------------------------
# Addresses of a function or an office stay: the reader needs them to enrol or ask.
GENERIC_MAILBOXES = {
    "info",
    "opinto",
    "opinnot",
    "opintotoimisto",
    "hakutoimisto",
    "haku",
    "hakijapalvelut",
    "admissions",
    "admission",
    "kirjaamo",
    "asiakaspalvelu",
    "palvelut",
    "koulutus",
    "koulutukset",
    "kurssit",
    "avoin",
    "avoinyo",
    "avoinamk",
    "studyinfo",
    "study",
    "studies",
    "studentservices",
    "registrar",
    "registry",
    "office",
    "contact",
    "kontakt",
    "expedition",
    "registrator",
    "reception",
    "receptionen",
    "kansli",
    "kansliet",
    "studievagledning",
    "studievägledning",
    "studievagledare",
    "antagning",
    "antagningen",
    "utbildning",
    "utbildningar",
    "kurser",
    "vux",
    "vuxenutbildning",
    "komvux",
    "yh",
    "folkhogskola",
    "skola",
    "rektor",
    "support",
    "helpdesk",
    "noreply",
    "no-reply",
    "webmaster",
}
_EMAIL = re.compile(r"([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)")
# Mobile numbers are a person's: Finnish 04x / 050 (+358 4x, +358 50), Swedish 07x (+46 7x).
# Switchboards and landlines stay. Fixed-length alternatives: linear time on any input.
_MOBILE = re.compile(
    r"(?<![\d+])(?:\+358[ -]?|\b0)(?:4\d|50)(?:[ -]?\d){6,8}(?!\d)"
    r"|(?<![\d+])(?:\+46[ -]?|\b0)7[02369](?:[ -]?\d){7}(?!\d)"
)
EMAIL_MASK = "[e-mail address removed]"
PHONE_MASK = "[phone number removed]"


def _mask_email(match: re.Match[str]) -> str:
    local = match.group(1).lower()
    return match.group(0) if local in GENERIC_MAILBOXES else EMAIL_MASK


def mask_personal_data(text: str | None) -> tuple[str | None, int, int]:
    """``text`` with the e-mail addresses and mobile numbers of persons masked, and how many of
    each: an address whose mailbox is a function (info@, opinto@, admissions@, ...) stays."""
    if not text:
        return text, 0, 0
    emails = 0
    if "@" in text:
        tokens = text.split(" ")
        for position, token in enumerate(tokens):
            # an address is at most 254 characters: longer tokens are not looked into
            if "@" in token and len(token) <= 320:
                masked = _EMAIL.sub(_mask_email, token)
                if masked != token:
                    emails += masked.count(EMAIL_MASK)
                    tokens[position] = masked
        text = " ".join(tokens)
    text, phones = _MOBILE.subn(PHONE_MASK, text)
    return text, emails, phones


def truncate(text: str | None, limit: int) -> tuple[str | None, bool]:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis; and
    whether it was cut."""
    if text is None or len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    space = cut.rfind(" ", max(0, limit - 200))
    return (cut[:space] if space > 0 else cut).rstrip() + "…", True
