"""Claims "seen before": the claims of other articles that read like this one, and copying
a match's verdict and sources onto it.

PostgreSQL ranks by pg_trgm's similarity() and finds candidates with the `%` operator
through a GIN trigram index on annotations_annotation.quote (migration 0010), so a
lookup reads the rows that share enough trigrams instead of every claim. SQLite (the
local default) has no trigrams: candidates are the claims containing one of the quote's
longest words (LIKE, capped), scored here with the same trigram similarity pg_trgm
computes, so both databases agree on what counts as similar.

Two queries either way: the candidates (ids and scores), then what the panel shows of
the best few (article title, verdict, speaker, source count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, Q, Value, When

from . import services
from .models import Annotation, Evidence, Label, Rating

# pg_trgm's default pg_trgm.similarity_threshold, the one its `%` operator applies.
THRESHOLD = 0.3
# A quote longer than this is compared by its beginning: a claim is a sentence or two,
# and a whole pasted paragraph would only make the lookup slower, not better.
QUERY_CHARS = 500
# SQLite: how many of the quote's words look for candidates, and how many are scored.
FALLBACK_WORDS = 4
FALLBACK_CANDIDATES = 300

_WORD = re.compile(r"[^\W_]+")
# Words too common to find anything (the fallback picks long, rare-looking words).
_COMMON_WORDS = """
about after again also been before being could from have into more most said says
should than that their them then there these they this those very were what when where
which while will with would your
"""
_STOP = frozenset(_COMMON_WORDS.split())


@dataclass(frozen=True, slots=True)
class SimilarClaim:
    """A claim of another article that reads like the open one."""

    pk: int
    quote: str
    similarity: float  # 0..1, pg_trgm's similarity
    article_id: int
    article_title: str
    verdict: str = ""  # the rating's name, "" when it has none
    verdict_slug: str = ""
    verdict_id: int | None = None
    speaker: str = ""
    source_count: int = 0

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)

    @property
    def has_something_to_copy(self) -> bool:
        return bool(self.verdict or self.source_count)


# --- trigrams, as pg_trgm makes them --------------------------------------------------


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigram set: each word (letters and digits, lowercased) padded with two
    spaces in front and one behind, cut into every run of three characters."""
    grams = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str | set[str], b: str | set[str]) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two texts."""
    left = a if isinstance(a, set) else trigrams(a)
    right = b if isinstance(b, set) else trigrams(b)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    return shared / (len(left) + len(right) - shared)


# --- the lookup -------------------------------------------------------------------------


def seen_before(annotation: Annotation, *, limit: int = 5) -> list[SimilarClaim]:
    """Up to `limit` claims of other articles most like this span's quote, best first;
    rated ones first among equally similar ones. [] for a span that is not a claim or when
    nothing is similar enough (THRESHOLD)."""
    if not annotation.label.takes_verdict:
        return []
    text = annotation.quote[:QUERY_CHARS]
    if not trigrams(text):
        return []
    # A few more than asked: one claim marked by two reviewers of an article is one match.
    wanted = limit * 3
    if connection.vendor == "postgresql":
        scored = _candidates_postgresql(text, annotation.article_id, wanted)
    else:
        scored = _candidates_fallback(text, annotation.article_id, wanted)
    if not scored:
        return []
    return _matches(scored, limit)


def _candidates_postgresql(text: str, article_id: int, limit: int) -> list[tuple[int, float]]:
    claims = Label._meta.db_table
    spans = Annotation._meta.db_table
    sql = f"""
        SELECT a.id, similarity(a.quote, %s) AS score
        FROM {spans} a
        WHERE a.quote %% %s
          AND a.article_id <> %s
          AND a.label_id IN (SELECT id FROM {claims} WHERE takes_verdict)
        ORDER BY score DESC, (a.verdict_id IS NULL), a.id DESC
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [text, text, article_id, limit])
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


def rare_words(text: str, count: int = FALLBACK_WORDS) -> list[str]:
    """The words most likely to find this claim again: the longest ones that are not
    common words (a run of text without spaces, as in Chinese, gives a few slices)."""
    words = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 12 and not word.isascii():
            words.extend({word[:4], word[len(word) // 2 - 2 : len(word) // 2 + 2], word[-4:]})
        elif len(word) >= 4 and word not in _STOP:
            words.append(word)
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    return unique[:count]


def _candidates_fallback(text: str, article_id: int, limit: int) -> list[tuple[int, float]]:
    words = rare_words(text)
    if not words:
        return []
    hits = sum(
        (Case(When(quote__icontains=w, then=Value(1)), default=Value(0)) for w in words),
        start=Value(0),
    )
    rows = (
        Annotation.objects.filter(label__takes_verdict=True)
        .exclude(article_id=article_id)
        .filter(Q.create([("quote__icontains", w) for w in words], connector=Q.OR))
        .annotate(hits=hits)
        .order_by("-hits", "-id")
        .values_list("id", "quote", "verdict_id")[:FALLBACK_CANDIDATES]
    )
    mine = trigrams(text)
    scored = [(pk, similarity(mine, quote[:QUERY_CHARS]), verdict) for pk, quote, verdict in rows]
    scored = [row for row in scored if row[1] >= THRESHOLD]
    scored.sort(key=lambda row: (-row[1], row[2] is None, -row[0]))
    return [(pk, score) for pk, score, _ in scored[:limit]]


def _matches(scored: list[tuple[int, float]], limit: int) -> list[SimilarClaim]:
    rows = (
        Annotation.objects.filter(pk__in=[pk for pk, _ in scored])
        .annotate(source_count=Count("sources"))
        .values_list(
            "id",
            "quote",
            "article_id",
            "article__title",
            "verdict_id",
            "verdict__name",
            "verdict__slug",
            "speaker__name",
            "source_count",
        )
        .order_by()
    )
    details = {row[0]: row for row in rows}
    found, seen = [], set()
    for pk, score in scored:
        row = details.get(pk)
        if row is None:  # deleted between the two queries
            continue
        _, quote, article_id, title, verdict_id, verdict, verdict_slug, speaker, sources = row
        key = (article_id, " ".join(quote.lower().split()))
        if key in seen:
            continue
        seen.add(key)
        found.append(
            SimilarClaim(
                pk=pk,
                quote=quote,
                similarity=min(1.0, score),
                article_id=article_id,
                article_title=title,
                verdict=verdict or "",
                verdict_slug=verdict_slug or "",
                verdict_id=verdict_id,
                speaker=speaker or "",
                source_count=sources,
            )
        )
    # Equally similar: the one with a verdict, then with more sources, comes first.
    found.sort(key=lambda m: (-round(m.similarity, 4), not m.verdict, -m.source_count, -m.pk))
    return found[:limit]


def already_applied(annotation: Annotation, matches: list[SimilarClaim]) -> set[int]:
    """The matches whose verdict this span has and whose sources it cites already (copying
    them again would change nothing), in one query."""
    if not matches:
        return set()
    cited: dict[int, set[int]] = {}
    rows = Evidence.objects.filter(annotation_id__in=[annotation.pk, *(m.pk for m in matches)])
    for span_id, source_id in rows.values_list("annotation_id", "source_id").order_by():
        cited.setdefault(span_id, set()).add(source_id)
    mine = cited.get(annotation.pk, set())
    return {
        m.pk
        for m in matches
        if m.has_something_to_copy
        and m.verdict_id in (None, annotation.verdict_id)
        and cited.get(m.pk, set()) <= mine
    }


# --- copying a match's verdict and sources -------------------------------------------------


@dataclass(slots=True)
class CopyOutcome:
    """What copying from a match did, to tell the reviewer."""

    match_id: int
    verdict: Rating | None = None  # set when the verdict was copied
    previous_verdict: str = ""
    explanation: bool = False  # its explanation was copied too
    copied: list[Evidence] = field(default_factory=list)
    already_cited: int = 0

    @property
    def message(self) -> str:
        parts = []
        if self.verdict is not None:
            verdict = f"verdict “{self.verdict.name}”"
            if self.previous_verdict:
                verdict += f" (was “{self.previous_verdict}”)"
            if self.explanation:
                verdict += " with its explanation"
            parts.append(verdict)
        if self.copied:
            parts.append(f"{len(self.copied)} source{'s' if len(self.copied) != 1 else ''}")
        if not parts:
            return (
                f"Nothing new to copy from #{self.match_id}: this span already has its "
                "verdict and cites its sources."
            )
        text = f"Copied {' and '.join(parts)} from #{self.match_id}."
        if self.already_cited:
            were = "was" if self.already_cited == 1 else "were"
            text += f" {self.already_cited} of its sources {were} cited here already."
        return text


@transaction.atomic
def copy_from_match(*, annotation: Annotation, match: Annotation, actor) -> CopyOutcome:
    """Give this claim the match's verdict (and its explanation when this one has none)
    and cite each of the match's sources not cited here yet, all or nothing.

    The writes are the services' (annotation_update, source_create: each locks the span,
    checks the actor's permission and records history); in one transaction, a span
    deleted halfway (Gone) leaves nothing copied. ValidationError when this span takes no
    verdict, is the match itself, or the match has nothing to copy.
    """
    if not annotation.label.takes_verdict:
        raise ValidationError(
            f"Only claims take a verdict: #{annotation.pk} is a “{annotation.label.name}” "
            "span, so nothing was copied."
        )
    if match.pk == annotation.pk:
        raise ValidationError("A span cannot copy from itself; choose another match.")
    evidence = list(match.sources.select_related("source").order_by("id"))
    if match.verdict_id is None and not evidence:
        raise ValidationError(
            f"#{match.pk} has no verdict or sources yet, so there is nothing to copy."
        )
    outcome = CopyOutcome(match_id=match.pk)
    if match.verdict_id is not None and match.verdict_id != annotation.verdict_id:
        previous = annotation.verdict.name if annotation.verdict_id else ""
        take_explanation = bool(match.verdict_explanation) and not annotation.verdict_explanation
        annotation = services.annotation_update(
            annotation=annotation,
            actor=actor,
            verdict=match.verdict,
            verdict_explanation=match.verdict_explanation if take_explanation else None,
        )
        outcome.verdict, outcome.previous_verdict = match.verdict, previous
        outcome.explanation = take_explanation
    cited = set(annotation.sources.values_list("source_id", flat=True))
    for link in evidence:
        if link.source_id in cited:
            outcome.already_cited += 1
            continue
        cited.add(link.source_id)
        outcome.copied.append(
            services.source_create(
                annotation=annotation,
                actor=actor,
                url=link.source.url,
                stance=link.stance,
                quoted_passage=link.quoted_passage,
            )
        )
    return outcome
