"""The phrase tables: whole lines (after stripping) that are page furniture, not text, and the patterns of
inline furniture (shortcodes, photo credits, comment headers, cookie notices).

Each table entry: kind, reason, regex (matched with fullmatch, case-insensitive).
"""

from __future__ import annotations

import re

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
