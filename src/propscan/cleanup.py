"""Remove crawl noise from article text, recording every change as an ``Edit``.

Crawler dumps and extracted web pages carry text that is not the article:
comment threads, "about the author" and "related posts" blocks, newsletter and
share widgets, cookie notices, shortcodes, photo captions repeated under each
photo, and PDF text hard-wrapped at a fixed width with doubled spaces. If it
reached the model, a reader's comment would be scored as the outlet's
propaganda. Cleanup never rewrites text silently: each removal or replacement
is an ``Edit`` over the raw input (what, where, why), so ``Article.to_raw``
maps offsets back and ``--raw`` turns it all off.

The rules are deliberately conservative: whole-line boilerplate phrases, blocks
introduced by a boilerplate heading, comment threads recognised by their
structure ("Name says" headers, indentation), and wrap joining only when the
whole document is laid out at a fixed width. Clean news text (the SemEval
corpora) comes through untouched or nearly so; tests check that no annotated
span loses a character.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Iterable

from .document import Article, Edit, apply_edits
from .readers.meta import choose_title

__all__ = ["clean_article", "clean_text", "find_edits"]


# ---------------------------------------------------------------------------
# phrase tables: whole lines (after stripping) that are page furniture, not text.
# Each entry: kind, reason, regex (matched with fullmatch, case-insensitive).

def _phrases(*alts: str) -> re.Pattern[str]:
    return re.compile(r"(?:%s)[\s.:!…»>|]*" % "|".join(alts), re.IGNORECASE)


# A heading that opens a block running to the end of the page (comments,
# related links, author box); see ``_tail_start``.
_TAIL_HEADINGS: list[tuple[str, str, re.Pattern[str]]] = [
    ("comments", "comment section", _phrases(
        r"leave an? (?:reply|comment)", r"leave your (?:reply|comment)s?", r"post an? comment",
        r"add an? comment", r"write an? comment", r"join the (?:discussion|conversation)",
        r"\d+\s+(?:comments?|responses?|replies|thoughts? on .{1,200})", r"comments?(?:\s*\(\d+\))?",
        r"show comments", r"view comments", r"discussion", r"reader comments",
        r"(?:\xa0|\s)*new comment", r"see all talkbacks.{0,200}", r"talkbacks?(?:\s*\(\d+\))?",
        r"this will delete your current comment", r"cancel reply",
        r"your email address will not be published.{0,120}",
        r"you must be logged in to post a comment.{0,60}",
        r"laisser un commentaire", r"\d+\s+commentaires?", r"schreibe einen kommentar", r"\d+\s+kommentare?",
        r"lascia un commento", r"\d+\s+commenti", r"dodaj komentarz", r"комментарии(?:\s*\(\d+\))?",
        r"оставить комментарий", r"\d+\s+تعليق(?:ات)?", r"دع تعليق[اًً]*", r"اترك تعليق[اًً]*",
        r"أترك تعليق[اًً]*", r"أضف تعليق[اًً]*", r"التعليقات",
    )),
    ("author-box", "'about the author' box", _phrases(
        r"about the authors?", r"about author", r"author bio", r"about the writer",
        r"à propos de l'auteur", r"über den autor", r"عن الكاتب",
    )),
    ("related", "related-posts block", _phrases(
        r"related(?: posts| articles| stories| news| content| coverage| links)?", r"read (?:also|more|next)",
        r"see also", r"you (?:may|might) (?:also )?(?:like|be interested in|enjoy)",
        r"more (?:stories|articles|news) (?:from|like this).{0,60}", r"recommended(?: for you| stories)?",
        r"most (?:popular|read|viewed)", r"trending(?: now| stories)?", r"post navigation",
        r"previous (?:post|article)", r"next (?:post|article)",
        r"قد يع[جح]بك أيضا[ًً]?", r"اقرأ أيضا[ًً]?", r"مواضيع ذات صلة", r"à lire aussi", r"lesen sie auch",
        r"leggi anche", r"czytaj (?:też|także)", r"читайте также",
    )),
    ("newsletter", "newsletter sign-up", _phrases(
        r"(?:subscribe|sign up|signup|register) (?:to|for) (?:our|the) (?:free )?(?:daily |weekly )?"
        r"newsletters?.{0,120}",
        r"newsletters?", r"get (?:our|the) (?:free )?newsletter.{0,100}", r"join our mailing list.{0,100}",
    )),
]

_TAIL_KINDS = {kind for kind, _, _ in _TAIL_HEADINGS}
# after these headings anything may follow (comments, a bio); after the others
# (related posts, newsletter) only a list of short link titles
_TAIL_ANYTHING = {"comments", "author-box"}

# The last lines of a page: who wrote it, where it first appeared, follow us.
_ENDNOTES: list[tuple[str, str, re.Pattern[str]]] = [
    ("author-box", "author bio", re.compile(
        r"(?:[A-Z][\w.'’-]+\s){0,3}[A-Z][\w.'’-]+,?\s(?:is|was)\s(?:an?|the)\s[^\n]{0,120}?\b(?:correspondent|"
        r"journalist|writer|reporter|editor|columnist|contributor|author|blogger|commentator)s?\b[^\n]*")),
    ("attribution", "republication note", re.compile(
        r"(?:(?:this|the) (?:article|report|story|piece|post|text|interview) (?:was |has been )?|)"
        r"(?:originally|first) (?:published|appeared|posted)\b[^\n]{0,200}", re.IGNORECASE)),
    ("promo", "'follow us' promotion", re.compile(
        r"follow (?:us\b|@\w+|the latest [^\n]{0,100}|[^\n]{0,60}\bon (?:twitter|facebook|telegram|instagram|"
        r"youtube|gab|vk)\b)[^\n]{0,100}", re.IGNORECASE)),
]

# A single line of page furniture, removed wherever it stands.
_LINES: list[tuple[str, str, re.Pattern[str]]] = [
    ("share", "share/social buttons", _phrases(
        r"share(?: this(?: article| story| post)?| on (?:facebook|twitter|whatsapp|linkedin|email|x))?",
        r"(?:click to )?(?:share|email|print) (?:on|this|to) (?:facebook|twitter|linkedin|whatsapp|reddit|"
        r"telegram|email|pinterest|tumblr|pocket|x)(?: \(opens in new window\))?",
        r"like this", r"tweet", r"pin it", r"print(?: this)?(?: article| page)?", r"e-?mail this(?: article)?",
        r"loading\.\.\.", r"(?:facebook|twitter|whatsapp|linkedin|telegram|pinterest|reddit|email|print|vk)"
        r"(?:\s*[|/,·•]?\s*(?:facebook|twitter|whatsapp|linkedin|telegram|pinterest|reddit|email|print|vk)){1,8}",
        r"follow us(?: on (?:facebook|twitter|telegram|instagram|youtube|social media))?",
    )),
    ("advert", "advertisement label", _phrases(r"advertisements?", r"sponsored(?: content)?", r"publicité",
                                               r"anzeige", r"реклама", r"إعلان")),
    ("cookie-notice", "cookie/privacy notice", _phrases(
        r"privacy (?:&|and) cookies? policy", r"cookies? policy", r"privacy policy", r"cookie settings",
        r"accept(?: all)?(?: cookies)?", r"i agree", r"got it!?",
    )),
    ("reply-form", "comment form boilerplate", _phrases(
        r"reply", r"log in to reply", r"report comment", r"name\s*\*?", r"email\s*\*?", r"website",
        r"save my name, email,? and website in this browser for the next time i comment",
        r"notify me of (?:follow-up comments|new posts) by email", r"[بي]استخدامك لهذا النموذج.{0,200}",
        r"by using this form you agree with the storage and handling of your data.{0,120}",
    )),
    ("dateline", "publication time stamp", re.compile(
        r"(?:first published|published|posted(?: on)?|updated|last updated|פרסום ראשון|עודכן|نشر في|"
        r"publié le|veröffentlicht)\s*:?\s*[\d./:, -]{6,30}(?:\s*[ap]\.?m\.?)?\s*", re.IGNORECASE)),
]

# Cookie banners are sentences; recognise them by what they say to the reader.
_COOKIE_WORD = re.compile(r"\bcookies?\b|الكوكيز|ملفات تعريف الارتباط|\bкуки\b|\bcookie-", re.IGNORECASE)
_COOKIE_CONTEXT = re.compile(
    r"\b(?:we use|this (?:web)?site|our (?:web)?site|you (?:agree|consent|accept)|by continuing|continuing to "
    r"use|browsing|accept|consent|learn more|read more|more info|experience|policy)\b|هذا الموقع|موافق|"
    r"nous utilisons|wir verwenden|utilizziamo|używamy|мы используем", re.IGNORECASE)

# WordPress-style shortcodes: [name attr="..."], [/name], [name]...[/name]
_SHORTCODE_NAMES = (r"caption|gallery|embed|video|audio|playlist|contact-form(?:-7)?|mailpoet_form|"
                    r"wpforms|ninja_form|gravityform|et_pb_[a-z_]+|vc_[a-z_]+|av_[a-z_]+|tweet|ad|adsense|"
                    r"newsletter|subscribe|button|fusion_[a-z_]+|row|column|sc_[a-z_]+|sharethis|"
                    r"ssba|social_share|the_ad(?:_group)?|mc4wp_form|yikes-mailchimp|instagram|facebook|twitter")
_SHORTCODE = re.compile(
    r"\[(?:/(?:%s)|(?:%s)(?:\s[^\]\n]{0,300})?|[a-z][a-z0-9]*_[a-z0-9_]*(?:\s[^\]\n]{0,300})?"
    r"|[a-z][a-z0-9_-]*\s+[a-z_-]+=[\"'][^\]\n]{0,300})\]" % (_SHORTCODE_NAMES, _SHORTCODE_NAMES),
    re.IGNORECASE)
_CAPTION_BLOCK = re.compile(r"\[caption\b[^\]\n]{0,300}\].{0,600}?\[/caption\]", re.IGNORECASE | re.DOTALL)

# "(Photo: AP)", "Photo: Reuters", "(Photo credit: ...)", "Credit: Getty Images"
_PHOTO_CREDIT = re.compile(
    r"(?:\((?:photo|photos|picture|image|foto|photo credit|credit|צילום|صورة)\s*:?[^)]{0,60}\)|"
    r"(?:^|\s)(?:photo|photo credit|image|picture|credit)s?\s*:\s*\S[^.!?]{0,60}|"
    r"\s(?:via|/)\s*(?:AP|AFP|Reuters|Getty Images|Shutterstock|EPA|Wikimedia Commons)\)?)\s*$",
    re.IGNORECASE)

# "Ricardo Núñez says", "2. Ivan says:", "klloopk said:", "Jane on May 3, 2018 at 5:12 pm said:"
_COMMENT_HEADER = re.compile(
    r"(?:\d{1,3}[.)]\s+)?(?P<name>[^\s\d][^\n]{0,40}?)\s+(?:on\s+[^\n]{4,40}?\s+)?"
    r"(?:says|said|wrote|commented|replied)\s*:?", re.IGNORECASE)
_NOT_A_NAME = re.compile(
    r"^(?:he|she|it|they|we|i|you|this|that|who|which|what|the|a|an|and|but|report|letter|study|"
    r"scripture|article|author|another|someone|everyone|nobody|statement|source|sources|official|"
    r"officials|spokesman|spokeswoman|president|minister|police)\b", re.IGNORECASE)
_COMMENT_META = re.compile(
    r"(?:reply|log in to reply|report|like|likes|\d+\s*likes?|permalink|\d+\s*(?:points?|votes?)|"
    r"(?:\w+ )?\d{1,2},? \d{4}(?:,? at \d{1,2}:\d{2}\s*(?:[ap]m)?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4}.{0,20}|"
    r"\d+ (?:minutes?|hours?|days?|weeks?|months?|years?) ago)\s*", re.IGNORECASE)

_PHOTO_PAREN = re.compile(r"\((?:photo|foto|picture|image|credit)", re.IGNORECASE)
_HEADER_VERBS = ("says", "said", "wrote", "commented", "replied")
_MAX_FURNITURE = 260  # characters; longer lines are never matched against the phrase tables
_SENTENCE_END = tuple('.!?:;"”’»)')
_DOUBLE_SPACE = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")


@dataclass
class _Line:
    index: int
    start: int  # raw offset of the first character
    end: int  # raw offset just past the last character (before "\n")
    text: str
    stripped: str = field(init=False)

    def __post_init__(self) -> None:
        self.stripped = self.text.strip()

    @property
    def blank(self) -> bool:
        return not self.stripped

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())


def _lines(raw: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for i, text in enumerate(raw.split("\n")):
        out.append(_Line(i, pos, pos + len(text), text))
        pos += len(text) + 1
    return out


def _words(s: str) -> int:
    return len(s.split())


def _preview(s: str, n: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


# ---------------------------------------------------------------------------
# line classification

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


# ---------------------------------------------------------------------------
# hard-wrapped (PDF) text

def _wrap_width(lines: list[_Line]) -> int | None:
    """The fixed line width the text was wrapped at, or None if it was not wrapped."""
    lengths = sorted(len(ln.text.rstrip()) for ln in lines if ln.stripped)
    if len(lengths) < 6:
        return None
    width = lengths[int(len(lengths) * 0.9) - 1]
    if not 35 <= width <= 130:
        return None
    if lengths[-1] > width * 1.6:
        return None
    pairs = unended = 0
    for a, b in zip(lines, lines[1:]):
        la = len(a.text.rstrip())
        if a.stripped and b.stripped and la >= 0.7 * width:
            pairs += 1
            if not a.stripped.endswith(_SENTENCE_END):
                unended += 1
    nonblank = len(lengths)
    if pairs >= 4 and pairs >= 0.4 * nonblank and unended >= 0.5 * pairs:
        return width
    return None


def _join_edits(lines: list[_Line], removed: dict[int, tuple[str, str]], width: int) -> list[Edit]:
    edits: list[Edit] = []
    for a, b in zip(lines, lines[1:]):
        if a.blank or b.blank or a.index in removed or b.index in removed:
            continue
        ta = a.text.rstrip()
        first_word = b.stripped.split()[0]
        wrapped = len(ta) + 1 + len(first_word) >= 0.85 * width or (
            not ta.endswith(_SENTENCE_END) and first_word[:1].islower())
        if not wrapped:
            continue
        start = a.start + len(ta)
        end = b.start + b.indent
        hyphen = ta.endswith("-") and len(ta) > 1 and ta[-2].isalpha()
        edits.append(Edit(start, end, "" if hyphen else " ", "hard-wrap",
                          "re-joined a line broken at the page width", a.text[len(ta):] + "\n" + b.text[:b.indent]))
    return edits


def _space_edits(raw: str, lines: list[_Line], removed: dict[int, tuple[str, str]], wrapped: bool) -> list[Edit]:
    edits: list[Edit] = []
    kept = [ln for ln in lines if ln.stripped and ln.index not in removed]
    doubles = sum(len(_DOUBLE_SPACE.findall(ln.text)) for ln in kept if "  " in ln.text or "\t" in ln.text)
    if not wrapped and doubles < max(8, 2 * len(kept)):
        return edits  # an odd double space is left alone; PDF text has them on every line
    for ln in kept:
        if wrapped and ln.indent and (ln.index == 0 or lines[ln.index - 1].blank):
            edits.append(Edit(ln.start, ln.start + ln.indent, "", "spaces", "leading spaces of PDF text",
                              ln.text[:ln.indent]))
        for m in _DOUBLE_SPACE.finditer(ln.text):
            edits.append(Edit(ln.start + m.start(), ln.start + m.end(), " ", "spaces",
                              "collapsed the doubled spaces of PDF text", m.group()))
    return edits


# ---------------------------------------------------------------------------
# inline shortcodes

def _inline_shortcodes(lines: list[_Line], removed: dict[int, tuple[str, str]]) -> list[Edit]:
    edits: list[Edit] = []
    for ln in lines:
        if ln.index in removed or "[" not in ln.text:
            continue
        spans: list[tuple[int, int]] = []
        for m in _CAPTION_BLOCK.finditer(ln.text):
            spans.append((m.start(), m.end()))
        for m in _SHORTCODE.finditer(ln.text):
            if not any(s <= m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
        for s, e in sorted(spans):
            # take one neighbouring space with it so no double space is left behind
            if e < len(ln.text) and ln.text[e] == " " and (s == 0 or ln.text[s - 1] == " "):
                e += 1
            edits.append(Edit(ln.start + s, ln.start + e, "", "shortcode", "CMS shortcode", ln.text[s:e]))
    return edits


# ---------------------------------------------------------------------------

def _classify_until_stable(raw: str, lines: list[_Line]) -> dict[int, tuple[str, str]]:
    """Classify again on what is left until nothing changes, so cleaning is idempotent.

    Removing a block can make two copies of a caption adjacent or move a
    heading into the last part of the page; a second look catches what a
    second run of cleanup would otherwise find.
    """
    removed: dict[int, tuple[str, str]] = {}
    view = lines
    for _ in range(4):
        relabelled = [_Line(i, ln.start, ln.end, ln.text) for i, ln in enumerate(view)]
        found = {view[i].index: v for i, v in _classify(relabelled).items()}
        if not found:
            break
        removed.update(found)
        covered = _removal_edits(raw, lines, removed)
        view = [ln for ln in lines if not any(e.start <= ln.start and ln.end <= e.end for e in covered)]
    return removed


def _removal_edits(raw: str, lines: list[_Line], removed: dict[int, tuple[str, str]]) -> list[Edit]:
    """One Edit per run of removed lines of the same kind (blank lines between absorbed)."""
    edits: list[Edit] = []
    run: list[_Line] = []
    run_kind: tuple[str, str] | None = None

    def flush() -> None:
        if not run:
            return
        start = run[0].start
        end = run[-1].end
        if end < len(raw):
            end += 1  # the line's own newline
        assert run_kind is not None
        n = sum(1 for ln in run if ln.stripped)
        reason = f"{run_kind[1]} ({n} line{'s' if n != 1 else ''}: {_preview(run[0].stripped)!r})"
        edits.append(Edit(start, end, "", run_kind[0], reason, raw[start:end]))

    pending_blanks: list[_Line] = []
    for ln in lines:
        if ln.blank:
            if run:
                pending_blanks.append(ln)
            continue
        got = removed.get(ln.index)
        if got is not None and run_kind is not None and got[0] == run_kind[0] and run:
            run.extend(pending_blanks)
            run.append(ln)
        else:
            flush()
            run = [ln] if got is not None else []
            run_kind = got
        pending_blanks = []
    flush()
    return edits


def find_edits(raw: str) -> list[Edit]:
    """The edits that clean ``raw``: sorted, non-overlapping, each with its reason.

    Cleaning is idempotent: when the cleaned text would itself be cleaned
    further (re-joined lines that now read as a boilerplate line, two copies
    of a caption made adjacent), the further edits are composed into the
    edits over the raw text.
    """
    edits = _find_edits_once(raw)
    for _ in range(3):
        if not edits:
            break
        more = _find_edits_once(apply_edits(raw, edits))
        if not more:
            break
        edits = compose(raw, edits, more)
    return edits


def compose(raw: str, first: list[Edit], second: list[Edit]) -> list[Edit]:
    """Edits over ``raw`` equivalent to applying ``first`` and then ``second``.

    Each edit of ``second`` (over the once-cleaned text) is mapped back to the
    raw text; where it touches an edit of ``first``, the two become one edit
    covering both, with the reason of the later one.
    """
    mid = apply_edits(raw, first)
    # segments of the once-cleaned text: (raw_start, raw_end, mid_start, mid_end, edit or None)
    segs: list[tuple[int, int, int, int, Edit | None]] = []
    pos_raw = pos_mid = 0
    for e in first:
        if e.start > pos_raw:
            n = e.start - pos_raw
            segs.append((pos_raw, e.start, pos_mid, pos_mid + n, None))
            pos_mid += n
        segs.append((e.start, e.end, pos_mid, pos_mid + len(e.replacement), e))
        pos_mid += len(e.replacement)
        pos_raw = e.end
    segs.append((pos_raw, len(raw), pos_mid, pos_mid + len(raw) - pos_raw, None))

    def raw_start(s: int) -> tuple[int, int]:
        for rs, _re, ms, me, e in segs:
            if ms <= s < me:
                return (rs + (s - ms), s) if e is None else (rs, ms)
        return len(raw), len(mid)

    def raw_end(end: int) -> tuple[int, int]:
        for rs, re_, ms, me, e in segs:
            if ms < end <= me:
                return (rs + (end - ms), end) if e is None else (re_, me)
        return 0, 0

    mapped = []
    for e in second:
        rs, ms = raw_start(e.start)
        if e.end > e.start:
            re_, me = raw_end(e.end)
        else:
            re_, me = rs, ms
        mapped.append([rs, re_, ms, me, [e]])
    groups: list[list] = []
    for m in sorted(mapped, key=lambda m: (m[0], m[1])):
        if groups and m[0] < groups[-1][1]:
            g = groups[-1]
            g[1], g[3] = max(g[1], m[1]), max(g[3], m[3])
            g[4].extend(m[4])
        else:
            groups.append(m)
    out: list[Edit] = []
    for rs, re_, ms, me, inner in groups:
        local = [Edit(e.start - ms, e.end - ms, e.replacement, e.kind, e.reason, e.original) for e in inner]
        replacement = apply_edits(mid[ms:me], local)
        out.append(Edit(rs, re_, replacement, inner[0].kind, inner[0].reason, raw[rs:re_]))
    spans = [(g[0], g[1]) for g in groups]
    for e in first:
        if not any(rs <= e.start and e.end <= re_ and (rs < re_ or e.start == e.end) for rs, re_ in spans):
            out.append(e)
    return sorted(out, key=lambda e: (e.start, e.end))


def _find_edits_once(raw: str) -> list[Edit]:
    if not raw.strip():
        return []
    lines = _lines(raw)
    removed = _classify_until_stable(raw, lines)
    edits = _removal_edits(raw, lines, removed)
    edits += _inline_shortcodes(lines, removed)
    width = _wrap_width([ln for ln in lines if ln.index not in removed])
    if width is not None:
        edits += _join_edits(lines, removed, width)
    edits += _space_edits(raw, lines, removed, width is not None)
    return _non_overlapping(edits)


def _non_overlapping(edits: Iterable[Edit]) -> list[Edit]:
    out: list[Edit] = []
    for e in sorted(edits, key=lambda e: (e.start, -(e.end - e.start))):
        if out and e.start < out[-1].end:
            continue  # inside a larger edit already made
        if e.start == e.end and not e.replacement:
            continue
        out.append(e)
    return out


def clean_text(raw: str) -> str:
    return apply_edits(raw, find_edits(raw))


def clean_article(article: Article) -> Article:
    """A new Article whose text is ``article.text`` cleaned, with the edits recorded.

    An article that already carries edits was cleaned before and is returned as is.
    """
    if article.edits:
        return article
    raw = article.text
    edits = find_edits(raw)
    first = next((ln.strip() for ln in raw.split("\n") if ln.strip()), "")
    # a title taken from the first line (not given by the page's <title> or a record's column) is
    # chosen again: the headline, not a photo caption above it or a first paragraph
    derived = article.title == first and article.meta.get("format") != "html"
    if not edits:
        if derived and (title := choose_title(raw)) != article.title:
            return dataclasses.replace(article, title=title)
        return article
    text = apply_edits(raw, edits)
    title = choose_title(text, context=raw) if derived else article.title
    return Article(id=article.id, text=text, title=title, source=article.source, language=article.language,
                   meta=dict(article.meta), raw_text=raw, edits=edits)
