"""Line classification: which lines of a page are furniture (boilerplate, tails, comment threads, captions).

A removed line maps to (kind, reason); ``edits`` turns runs of them into Edits.
"""

from __future__ import annotations

import re

from .lines import _Line, _preview, _words
from .phrases import (_CAPTION_BLOCK, _COMMENT_HEADER, _COMMENT_META, _COOKIE_CONTEXT, _COOKIE_WORD, _ENDNOTES,
                      _HEADER_VERBS, _LINES, _MAX_FURNITURE, _NOT_A_NAME, _PHOTO_CREDIT, _PHOTO_PAREN, _SHORTCODE,
                      _TAIL_ANYTHING, _TAIL_HEADINGS, _TAIL_KINDS)


def _match_table(table: list[tuple[str, str, re.Pattern[str]]], s: str) -> tuple[str, str] | None:
    if len(s) > _MAX_FURNITURE:
        return None  # body paragraphs: no boilerplate phrase is this long
    for kind, reason, rx in table:
        if rx.fullmatch(s):
            return kind, reason
    return None


def _is_cookie_notice(s: str) -> bool:
    low = s.lower()
    if "cookie" not in low and "الكوكيز" not in s and "الارتباط" not in s and "куки" not in low:
        return False  # substring tests first: the regexes are slow on long paragraphs
    return (_COOKIE_WORD.search(s) is not None and _words(s) <= 80
            and _COOKIE_CONTEXT.search(s) is not None)


def _comment_header(line: _Line) -> bool:
    s = line.stripped
    if len(s) > 120 or not s.rstrip(" :").lower().endswith(_HEADER_VERBS):
        return False
    m = _COMMENT_HEADER.fullmatch(s)
    if not m:
        return False
    name = m.group("name").strip()
    return _words(name) <= 4 and not _NOT_A_NAME.match(name) and not name.endswith((".", ","))


def _tail_start(lines: list[_Line], removed: dict[int, tuple[str, str]]) -> int | None:
    """Index of a heading after which the rest of the page is comments/related/footer.

    The heading must sit in the last part of the text (what follows is at most
    as long as half of what precedes), so a boilerplate phrase in the middle of a
    long page never swallows the article.
    """
    total = sum(len(ln.stripped) for ln in lines)
    before = 0
    for ln in lines:
        s = ln.stripped
        if s and before > 0 and (ln.index not in removed or removed[ln.index][0] in _TAIL_KINDS):
            hit = _match_table(_TAIL_HEADINGS, s)
            if hit is not None:
                after = total - before - len(s)
                rest = [r for r in lines[ln.index + 1:] if r.stripped and r.index not in removed]
                if hit[0] in _TAIL_ANYTHING and after <= max(400, before // 2):
                    return ln.index
                # a list of links (related posts): only headline-like lines to the end
                if all(_words(r.stripped) <= 14 and not r.stripped.endswith((".", "!", "?")) for r in rest) \
                        and len(rest) <= 12:
                    return ln.index
        before += len(s)
    return None


def _comment_threads(lines: list[_Line]) -> list[tuple[int, int, int]]:
    """(first, last, n_comments) line ranges of comment threads.

    A thread starts at a "Name says" header; its body is the indented lines,
    further headers and reply/date lines that follow. Without indentation the
    structure is ambiguous, so at least two headers are needed and the thread
    runs from the first to the end of the last header's paragraph block.
    """
    headers = [ln.index for ln in lines if ln.stripped and _comment_header(ln)]
    if not headers:
        return []
    threads: list[tuple[int, int, int]] = []
    i = 0
    while i < len(headers):
        first = headers[i]
        base = lines[first].indent
        last = first
        n = 1
        j = first + 1
        while j < len(lines):
            ln = lines[j]
            if ln.blank:
                j += 1
                continue
            if _comment_header(ln):
                n += 1
                last = j
            elif ln.indent > base or _COMMENT_META.fullmatch(ln.stripped):
                last = j
            else:
                break
            j += 1
        indented = last > first and any(lines[k].indent > base for k in range(first + 1, last + 1)
                                        if not lines[k].blank)
        numbered = re.match(r"\d{1,3}[.)]\s", lines[first].stripped) is not None
        if not indented and n < 2:
            # flat layout "Name says" / text / "Name says" / text: need two headers
            later = [h for h in headers if h > first]
            if later:
                last, n = later[-1], 1 + len(later)
                k = last + 1
                while k < len(lines) and lines[k].stripped and not _comment_header(lines[k]):
                    last = k
                    k += 1
            elif not numbered:
                i += 1
                continue
        threads.append((first, last, n))
        while i < len(headers) and headers[i] <= last:
            i += 1
    return threads


def _classify(lines: list[_Line]) -> dict[int, tuple[str, str]]:
    """Line index -> (kind, reason) for every line to remove."""
    removed: dict[int, tuple[str, str]] = {}
    title = next((ln.stripped for ln in lines if ln.stripped), "")

    for first, last, n in _comment_threads(lines):
        who = _preview(lines[first].stripped, 40)
        for k in range(first, last + 1):
            removed[k] = ("comments", f"comment thread ({n} comment{'s' if n != 1 else ''}, from {who!r})")

    nonblank = [ln for ln in lines if ln.stripped]
    for pos, ln in enumerate(nonblank):
        if ln.index in removed:
            continue
        s = ln.stripped
        hit = _match_table(_LINES, s)
        if hit is None and _words(s) <= 6:
            # a short heading of a block (e.g. "Related posts") standing alone mid-page
            hit = _match_table(_TAIL_HEADINGS, s)
            if hit is not None:
                hit = (hit[0], hit[1] + " heading")
        if hit is not None:
            removed[ln.index] = hit
        elif _is_cookie_notice(s):
            removed[ln.index] = ("cookie-notice", "cookie/privacy notice")
        elif s.startswith("[") and (_SHORTCODE.sub("", s).strip() == "" or _CAPTION_BLOCK.sub("", s).strip() == ""):
            removed[ln.index] = ("shortcode", "shortcode line")
        elif pos > 0 and pos < 6 and title and s != title and _is_title_repeat(s, title):
            removed[ln.index] = ("title-repeat", "page title repeated with site/section names")
        elif len(s) < 300 and _words(s) <= 25 and _PHOTO_CREDIT.search(s) and (
                not s.endswith((".", "!", "?")) or _PHOTO_PAREN.search(s)):
            removed[ln.index] = ("caption", "photo caption")

    # endnotes: only among the last three lines of text, where they are page furniture
    kept = [ln for ln in nonblank if ln.index not in removed]
    for ln in kept[-3:]:
        if _words(ln.stripped) <= 60 and ln is not kept[0]:
            hit = _match_table(_ENDNOTES, ln.stripped)
            if hit is not None:
                removed[ln.index] = hit
                # its continuation when the text is hard-wrapped
                k = ln.index + 1
                while k < len(lines) and lines[k].stripped and lines[k].stripped[:1].islower():
                    removed[k] = hit
                    k += 1

    # repeated captions: the same short line again right after itself
    prev: _Line | None = None
    for ln in nonblank:
        if prev is not None and ln.stripped == prev.stripped and ln.index not in removed \
                and _words(ln.stripped) <= 25 and prev.index != nonblank[0].index:
            removed[ln.index] = ("caption", "line repeated (photo caption)")
        prev = ln

    tail = _tail_start(lines, removed)
    if tail is not None:
        kind, reason = _match_table(_TAIL_HEADINGS, lines[tail].stripped) or ("tail", "page footer")
        for ln in lines[tail:]:
            if ln.stripped:
                removed[ln.index] = (kind, f"{reason}: from {lines[tail].stripped[:40]!r} to the end of the page")
    return removed


def _is_title_repeat(s: str, title: str) -> bool:
    """``Title | section | Site name``: the HTML <title> pasted above the article."""
    if not s.startswith(title) and not s.endswith(title):
        return False
    rest = s[len(title):] if s.startswith(title) else s[: len(s) - len(title)]
    parts = [p.strip() for p in re.split(r"\s[|–—\-:»]\s|\s[|»]|[|»]\s", rest)]
    return bool(re.match(r"^\s*[|–—\-:»]", rest) or re.search(r"[|–—\-:»]\s*$", rest)) and \
        all(_words(p) <= 6 for p in parts) and any(parts)
