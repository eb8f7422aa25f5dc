"""The one result shape: Article, Span, ParagraphLabels and Analysis.

An article owns its text; every annotation points into it with character
offsets (Python ``str`` indices, start inclusive, end exclusive). When input is
cleaned, ``Article.text`` is the cleaned text and ``Article.edits`` records each
change made to the raw input, so offsets can be mapped back (``to_raw``).
The JSON form (``Analysis.to_dict``) is what the CLI, API, store and web app
all serialise; its layout is documented in docs/schema.md.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Iterator

from .taxonomy import category_of, to_view

SCHEMA_VERSION = "1.2"
# 1.1 adds "decision" (the threshold labels were shown at), "undetected" (techniques the models cannot emit)
# and paragraph "reasons", and profile.score became a calibrated P(opinion or satire) that may be null
# (profile.score_missing says why); 1.2 adds paragraph "sources" (the two models' probabilities behind an
# English paragraph score); older documents are still read (those fields empty)
READABLE_SCHEMAS = ("1.0", "1.1", "1.2")


@dataclass(frozen=True)
class Edit:
    """One change made to the raw input: ``raw[start:end]`` became ``replacement``."""

    start: int
    end: int
    replacement: str
    kind: str
    reason: str = ""
    original: str = ""  # raw[start:end], kept so the raw text can be rebuilt from JSON


@dataclass(frozen=True)
class Paragraph:
    """A non-empty line of the article text (the title is line 1)."""

    start: int
    end: int
    line: int


@dataclass
class Article:
    id: str
    text: str
    title: str = ""
    source: str = ""
    language: str = "en"
    meta: dict[str, Any] = field(default_factory=dict)
    raw_text: str | None = None
    edits: list[Edit] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.paragraphs:
            self.paragraphs = split_paragraphs(self.text)
        if not self.title and self.paragraphs:
            first = self.paragraphs[0]
            self.title = self.text[first.start:first.end].strip()

    # -- offsets back to the raw input -------------------------------------
    def to_raw(self, offset: int) -> int:
        """Map an offset in ``text`` to the raw input (identity without cleanup).

        Offsets inside a replaced stretch map to its start in the raw text, so a
        span end still lands after the characters it covers.
        """
        if not self.edits:
            return offset
        shift = 0
        for e in self.edits:  # edits are sorted and non-overlapping
            clean_start = e.start + shift
            if offset < clean_start:
                break
            clean_end = clean_start + len(e.replacement)
            if offset < clean_end:
                return e.start + min(offset - clean_start, e.end - e.start)
            shift += len(e.replacement) - (e.end - e.start)
        return offset - shift

    @property
    def raw(self) -> str:
        return self.raw_text if self.raw_text is not None else self.text

    def line_of(self, offset: int) -> int:
        """1-based line number of ``offset`` in the text."""
        return self.text.count("\n", 0, offset) + 1

    def raw_line_of(self, offset: int) -> int:
        """1-based line number, in the raw input, of a text offset."""
        raw_offset = self.to_raw(offset)
        return self.raw.count("\n", 0, raw_offset) + 1

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "language": self.language,
            "meta": self.meta,
        }
        if self.edits:
            d["edits"] = [asdict(e) for e in self.edits]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Article":
        edits = [Edit(**e) for e in d.get("edits", [])]
        art = cls(id=str(d["id"]), text=d["text"], title=d.get("title", ""),
                  source=d.get("source", ""), language=d.get("language", "en"),
                  meta=dict(d.get("meta", {})), edits=edits)
        if edits:
            art.raw_text = apply_edits_inverse(art.text, edits)
        return art


def split_paragraphs(text: str) -> list[Paragraph]:
    """Every non-empty line is a paragraph, as in SemEval-2023 subtask 3."""
    out: list[Paragraph] = []
    pos = 0
    for number, line in enumerate(text.split("\n"), start=1):
        end = pos + len(line)
        if line.strip():
            # trim surrounding whitespace (and a trailing \r) so offsets hug the words
            lead = len(line) - len(line.lstrip())
            trail = len(line) - len(line.rstrip())
            out.append(Paragraph(pos + lead, end - trail, number))
        pos = end + 1
    return out


def apply_edits(raw: str, edits: list[Edit]) -> str:
    parts: list[str] = []
    pos = 0
    for e in edits:
        parts.append(raw[pos:e.start])
        parts.append(e.replacement)
        pos = e.end
    parts.append(raw[pos:])
    return "".join(parts)


def apply_edits_inverse(clean: str, edits: list[Edit]) -> str:
    """Rebuild the raw text from the cleaned text and the edits made to it."""
    parts: list[str] = []
    pos_clean = 0
    pos_raw = 0
    for e in edits:
        keep = e.start - pos_raw
        parts.append(clean[pos_clean:pos_clean + keep])
        parts.append(e.original)
        pos_clean += keep + len(e.replacement)
        pos_raw = e.end
    parts.append(clean[pos_clean:])
    return "".join(parts)


@dataclass
class Span:
    start: int
    end: int
    technique: str
    score: float = 1.0
    detector: str = ""
    evidence: str = ""

    @property
    def category(self) -> str:
        return category_of(self.technique)

    def to_dict(self, text: str | None = None, taxonomy: str = "2023") -> dict[str, Any]:
        d: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "technique": to_view(self.technique, taxonomy),
            "category": self.category,
            "score": round(float(self.score), 4),
            "detector": self.detector,
            "evidence": self.evidence,
        }
        if text is not None:
            d["text"] = text[self.start:self.end]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Span":
        from .taxonomy import normalise

        return cls(int(d["start"]), int(d["end"]), normalise(d["technique"]),
                   float(d.get("score", 1.0)), d.get("detector", ""), d.get("evidence", ""))


@dataclass
class ParagraphLabels:
    start: int
    end: int
    line: int
    techniques: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    language: str | None = None
    flagged: str = ""  # why the paragraph was not scored, if it was not
    reasons: dict[str, str] = field(default_factory=dict)  # technique -> "span" or "paragraph": why it is a label
    # technique -> {"tagger": p, "paragraph_model": p}: the calibrated probabilities averaged into its own score
    sources: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self, taxonomy: str = "2023") -> dict[str, Any]:
        d: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "techniques": sorted({to_view(t, taxonomy) for t in self.techniques}),
            "scores": {to_view(t, taxonomy): round(float(s), 4) for t, s in sorted(self.scores.items())}
            if taxonomy == "2023" else {},
        }
        if self.reasons:
            d["reasons"] = {to_view(t, taxonomy): r for t, r in sorted(self.reasons.items())}
        if self.sources and taxonomy == "2023":
            d["sources"] = {t: dict(v) for t, v in sorted(self.sources.items())}
        if self.language:
            d["language"] = self.language
        if self.flagged:
            d["flagged"] = self.flagged
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ParagraphLabels":
        return cls(d["start"], d["end"], d["line"], list(d.get("techniques", [])),
                   dict(d.get("scores", {})), d.get("language"), d.get("flagged", ""), dict(d.get("reasons", {})),
                   {t: dict(v) for t, v in d.get("sources", {}).items()})


# languages the SemEval-2023 corpora, and so propscan's models, cover (ISO 639-1): the one list
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "it", "pl", "ru")
FRAME_THRESHOLD = 0.5  # frames count as chosen at this probability when the classifier made no choice


def base_language(code: str | None) -> str:
    """A language tag as a bare lower-case code ("en-GB" -> "en", None -> "")."""
    return (code or "").lower().split("-")[0]


@dataclass
class Profile:
    """The persuasion profile (``classify.profile``): how much, and which kinds of, persuasion a text uses.

    Why typed: it shares the JSON ``profile`` object with the chosen frames; as one plain dict the
    profiler had to merge into it so as not to erase what the frame classifier wrote. Keys are documented in
    docs/persuasion_profile.md; ``extra`` keeps keys of other writers' or older documents.
    """

    # each None when absent (a profile read from an older or partial document)
    words: int | None = None
    paragraphs: int | None = None
    paragraphs_with_techniques: int | None = None
    instance_unit: str | None = None  # "spans" or "paragraph_labels": what ``technique_instances`` counts
    technique_instances: int | None = None
    density_per_1000_words: float | None = None
    density_per_paragraph: float | None = None
    techniques: dict[str, Any] | None = None  # name -> {"count", "per_1000_words", "per_paragraph"}
    categories: dict[str, Any] | None = None
    score: int | float | None = None  # 0-100, see ``score_definition``; None with ``score_missing``
    score_definition: str | None = None
    evidence: list[dict[str, Any]] | None = None  # the strongest passages
    score_missing: str | None = None  # why there is no score
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS: ClassVar[tuple[str, ...]] = (
        "words", "paragraphs", "paragraphs_with_techniques", "instance_unit", "technique_instances",
        "density_per_1000_words", "density_per_paragraph", "techniques", "categories", "score",
        "score_definition", "evidence", "score_missing")

    def to_dict(self) -> dict[str, Any]:
        """The keys present, in the documented order; ``score`` is written as null when ``score_missing`` says why."""
        d = {k: getattr(self, k) for k in self.KEYS
             if getattr(self, k) is not None or (k == "score" and self.score_missing)}
        d.update(self.extra)
        return d

    # read like the JSON object too (``profile["score"]``), so code written when it was a dict keeps working
    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Profile":
        known = {k: d[k] for k in cls.KEYS if k in d}
        return cls(**known, extra={k: v for k, v in d.items() if k not in known})


@dataclass
class Gold:
    """Annotations a dataset article comes with (``readers.semeval``), which scoring and training read.

    Kept apart from what the models found so a gold Analysis and a predicted one never mix them up.
    """

    labelled_subtasks: list[int] | None = None  # SemEval-2023 subtasks (1-3) this article has labels for
    si_spans: list[tuple[int, int]] | None = None  # SemEval-2020 SI fragments
    techniques: list[str] | None = None  # SemEval-2021 task-1 labels (techniques without spans)

    KEYS: ClassVar[tuple[str, ...]] = ("labelled_subtasks", "si_spans", "techniques")

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.KEYS if getattr(self, k) is not None}

    def labelled(self, subtask: int) -> bool:
        """False when the article is known to lack labels for ``subtask`` (SemEval-2023 folders)."""
        return self.labelled_subtasks is None or subtask in self.labelled_subtasks


@dataclass
class Analysis:
    """Everything propscan found in one article."""

    article: Article
    spans: list[Span] = field(default_factory=list)
    paragraphs: list[ParagraphLabels] = field(default_factory=list)
    genre: dict[str, float] = field(default_factory=dict)
    frames: dict[str, float] = field(default_factory=dict)
    profile: Profile | None = None  # the persuasion profile, once ``classify.profile`` ran
    models: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    # {"min_confidence": t, ...}: the threshold the labels were shown at (see detect.calibration)
    decision: dict[str, Any] = field(default_factory=dict)
    # {"spans": [...], "paragraphs": [...]}: techniques the models of this analysis cannot emit at each level
    undetected: dict[str, list[str]] = field(default_factory=dict)
    # calibrated spans below the threshold, kept so that a different threshold can be applied afterwards
    # (``detect.paragraphs.decide``); never serialised
    candidates: list[Span] = field(default_factory=list, repr=False, compare=False)
    # (the fields below were split out of ``profile`` or setattr: declared last, so positional construction
    # keeps the meaning it had)
    # the frames the classifier commits to (``classify.frames``); None when it did not run
    frames_chosen: list[str] | None = None
    gold: Gold | None = None  # the annotations of a dataset article; None for a prediction
    # work components share within one run (e.g. the lead embedding, ``classify.lead``); never serialised
    scratch: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.paragraphs:
            self.paragraphs = [ParagraphLabels(p.start, p.end, p.line) for p in self.article.paragraphs]

    @property
    def text(self) -> str:
        return self.article.text

    # -- derived facts: one definition each, used by every writer, the store and the scorers ---------
    def top_genre(self) -> str | None:
        """The genre the analysis commits to: the most probable; on a tie the first by name."""
        if not self.genre:
            return None
        return min(self.genre.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    def chosen_frames(self) -> list[str]:
        """The frames the analysis commits to: the classifier's own choice, else scores >= 0.5."""
        if self.frames_chosen is not None:
            return list(self.frames_chosen)
        return [f for f, s in self.frames.items() if s >= FRAME_THRESHOLD]

    def language(self) -> str:
        """The article's language as a bare lower-case code ("" when unknown)."""
        return base_language(self.article.language)

    def labelled(self, subtask: int) -> bool:
        """False when this is a gold article known to lack labels for SemEval-2023 ``subtask``."""
        return self.gold is None or self.gold.labelled(subtask)

    def sorted_spans(self) -> list[Span]:
        return sorted(self.spans, key=lambda s: (s.start, s.end, s.technique))

    def spans_in(self, start: int, end: int) -> Iterator[Span]:
        for s in self.spans:
            if s.start < end and s.end > start:
                yield s

    def paragraph_language(self, p: ParagraphLabels) -> str:
        """The paragraph's language (its own, else the article's), as a bare lower-case code."""
        return base_language(p.language or self.article.language)

    def paragraph_at(self, offset: int) -> ParagraphLabels | None:
        starts = [p.start for p in self.paragraphs]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and self.paragraphs[i].start <= offset < max(self.paragraphs[i].end, self.paragraphs[i].start + 1):
            return self.paragraphs[i]
        return None

    def technique_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.spans:
            counts[s.technique] = counts.get(s.technique, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def profile_dict(self) -> dict[str, Any]:
        """The JSON ``profile`` object: chosen frames, then the persuasion profile, then gold bookkeeping."""
        d: dict[str, Any] = {}
        if self.frames_chosen is not None:
            d["frames_chosen"] = self.frames_chosen
        if self.profile is not None:
            d.update(self.profile.to_dict())
        if self.gold is not None:
            d.update(self.gold.to_dict())
        return d

    def to_dict(self, taxonomy: str = "2023") -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "taxonomy": taxonomy,
            "article": self.article.to_dict(),
            "spans": [s.to_dict(self.article.text, taxonomy) for s in self.sorted_spans()],
            "paragraphs": [p.to_dict(taxonomy) for p in self.paragraphs],
            "genre": self.genre,
            "frames": self.frames,
            "profile": self.profile_dict(),
            "models": self.models,
            "notices": self.notices,
            "decision": self.decision,
            "undetected": {k: [to_view(t, taxonomy) for t in v] for k, v in self.undetected.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Analysis":
        if d.get("taxonomy", "2023") != "2023":
            raise ValueError("only analyses serialised in the 2023 taxonomy can be read back")
        if str(d.get("schema_version", SCHEMA_VERSION)) not in READABLE_SCHEMAS:
            raise ValueError(f"schema_version {d.get('schema_version')!r} is not one of {', '.join(READABLE_SCHEMAS)}")
        article = Article.from_dict(d["article"])
        profile = dict(d.get("profile", {}))
        chosen = profile.pop("frames_chosen", None)
        # gold bookkeeping shares the object (a 2021 meme's "techniques" is a list, the profile's a table)
        gold = {k: profile.pop(k) for k in Gold.KEYS if isinstance(profile.get(k), list)}
        return cls(
            article=article,
            spans=[Span.from_dict(s) for s in d.get("spans", [])],
            paragraphs=[ParagraphLabels.from_dict(p) for p in d.get("paragraphs", [])],
            genre=dict(d.get("genre", {})),
            frames=dict(d.get("frames", {})),
            profile=Profile.from_dict(profile) if profile else None,
            frames_chosen=list(chosen) if chosen is not None else None,
            models=dict(d.get("models", {})),
            notices=list(d.get("notices", [])),
            decision=dict(d.get("decision", {})),
            undetected={k: list(v) for k, v in d.get("undetected", {}).items()},
            gold=Gold(**gold) if gold else None,  # type: ignore[arg-type]
        )
