"""Claims "seen before": the claims of other articles that read like this one, and copying
a match's verdict and sources onto it.

What counts as similar is pg_trgm's similarity() of the two quotes (shared trigrams over
all trigrams, at least THRESHOLD), computed by PostgreSQL there and by trigrams() here
on SQLite, so both databases agree. Which claims get compared is the part that has to be
fast: candidates are the claims that contain two of the quote's rarest words (its longest
words that are not function words or everyday news words; one word when it has only
one). A retold claim keeps most of its names and terms, so it is found; sentences that
merely share "the minister said that … last year" are not even compared.

On PostgreSQL each pair of words is one scan of the GIN trigram index on the quotes
(migration 0010; LIKE patterns of three letters or more use it), so a lookup reads a
handful of posting lists and rechecks the rows that have both words. pg_trgm's `%` over
the whole quote was measured first (bench/bench_seen_before.py, 100,000 claims): its
index scan reads the posting list of every trigram of the sentence, the common ones
covering most rows, and tens of thousands of rows pass the index's bound to be
rechecked: about half a second a lookup against some 25 ms for the pairs, and the best
"matches" of a new claim were sentences alike only in their function words. SQLite has
no trigram index: the same pairs are LIKE conditions on a scan.

Two queries either way: the candidates (ids and scores), then what the panel shows of
the best few (article title, verdict, speaker, source count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Length

from . import permissions, services
from .models import Annotation, Article, Evidence, Label, Rating

# pg_trgm's default pg_trgm.similarity_threshold, the one its `%` operator applies.
THRESHOLD = 0.3
# A quote longer than this is compared by its beginning: a claim is a sentence or two,
# and a whole pasted paragraph would only make the lookup slower, not better.
QUERY_CHARS = 500
# How many of the quote's rarest words look for candidates (in pairs: 4 words, 6 pairs),
# and how many candidates are compared at most (a pair of everyday words can bring
# thousands; a retold claim also shares rarer pairs).
CANDIDATE_WORDS = 4
CANDIDATES = 1000

_WORD = re.compile(r"[^\W_]+")
# Words too common to find a claim again: English function words, the verbs that report
# a claim, and the words every news story has.
_COMMON_WORDS = """
about above after again against also although among another because been before being
below between both could does doing down during each either even every from further
have having here hers herself himself into itself just more most much must neither
nor once only other ought ours ourselves over same shall should since some such than
that their theirs them themselves then there these they this those through under
until upon very were what when where whether which while whom whose will with within
without would your yours yourself
said says saying told tells claimed claims claim stated states announced announces
added adds insisted insists denied denies argued argues wrote writes according
reported reports called calls asked noted warned suggested believe believes think
people year years week weeks month months today yesterday last next first second
percent million billion thousand hundred government officials official country
state city minister president spokesman spokeswoman statement news report
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


def seen_before(annotation: Annotation, *, user=None, limit: int = 5) -> list[SimilarClaim]:
    """Up to `limit` claims of other articles most like this span's quote, best first;
    rated ones first among equally similar ones. [] for a span that is not a claim or when
    nothing is similar enough (THRESHOLD).

    With `user`, only reviewer-layer claims they may see, on articles they may open (no
    other reviewer's span of a blind article; gold spans are adjudication's copies)."""
    if not annotation.label.takes_verdict:
        return []
    text = annotation.quote[:QUERY_CHARS]
    words = rare_words(text)
    if not words:
        return []
    # A few more than asked: one claim marked by two reviewers of an article is one match.
    wanted = limit * 3
    search = _candidates_postgresql if connection.vendor == "postgresql" else _candidates_fallback
    while True:
        scored = search(text, words, annotation.article_id, wanted)
        found = _matches(scored, limit, user) if scored else []
        # The best ones may be claims this user may not see (another reviewer's on a blind
        # article): then ask for more, so that a visible one further down is still found.
        if len(found) >= limit or len(scored) < wanted or wanted >= CANDIDATES:
            return found
        wanted = min(wanted * 4, CANDIDATES)


def rare_words(text: str, count: int = CANDIDATE_WORDS) -> list[str]:
    """The words most likely to find this claim again, lowercased: the longest ones that
    are not common words, numbers of three digits or more among them (a run of text
    without spaces, as in Chinese, gives a few slices of it instead)."""
    words = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 12 and not word.isascii():
            middle = len(word) // 2
            words.extend({word[:4], word[middle - 2 : middle + 2], word[-4:]})
        elif (len(word) >= 4 and word not in _STOP) or (word.isdigit() and len(word) >= 3):
            words.append(word)
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    return unique[:count]


def word_pairs(words: list[str]) -> list[tuple[str, ...]]:
    """Every two of the words (a claim is a candidate when it has both), or the one word."""
    if len(words) < 2:
        return [tuple(words)]
    return [(a, b) for i, a in enumerate(words) for b in words[i + 1 :]]


def _length_range(text: str) -> tuple[int, int]:
    """Quote lengths that can reach THRESHOLD at all: similarity is at most the ratio of
    the two trigram counts, which follow the lengths (with some slack for short words)."""
    n = len(text)
    return int(n * THRESHOLD * 0.7), int(n / (THRESHOLD * 0.7)) + 20


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _candidates_postgresql(
    text: str, words: list[str], article_id: int, limit: int
) -> list[tuple[int, float]]:
    spans, labels = Annotation._meta.db_table, Label._meta.db_table
    shortest, longest = _length_range(text)
    # One branch per pair, each planned (and scanned through the index) on its own; one
    # OR of them all would be priced as a sequential scan. No LIMIT in a branch: a scan
    # that may stop early looks cheap to the planner and it would scan the table instead.
    branches, params = [], []
    for pair in word_pairs(words):
        condition = " AND ".join("quote ILIKE %s" for _ in pair)
        branches.append(
            f"SELECT id, article_id, label_id, verdict_id, quote FROM {spans} "
            f"WHERE {condition} AND char_length(quote) BETWEEN %s AND %s AND article_id <> %s"
        )
        params += [*(_like(word) for word in pair), shortest, longest, article_id]
    # The scoring reads only these rows, never the table again, and at most a bounded
    # number of them (a pair of everyday words can bring thousands).
    sql = f"""
        WITH candidates AS ({" UNION ".join(branches)})
        SELECT id, similarity(quote, %s) AS score
        FROM (SELECT * FROM candidates LIMIT {CANDIDATES}) AS bounded
        WHERE label_id IN (SELECT id FROM {labels} WHERE takes_verdict)
          AND similarity(quote, %s) >= %s
        ORDER BY score DESC, (verdict_id IS NULL), id DESC
        LIMIT %s
    """
    params += [text, text, THRESHOLD, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


def _candidates_fallback(
    text: str, words: list[str], article_id: int, limit: int
) -> list[tuple[int, float]]:
    has_pair = Q.create(
        [Q.create([("quote__icontains", w) for w in pair]) for pair in word_pairs(words)],
        connector=Q.OR,
    )
    shortest, longest = _length_range(text)
    rows = (
        Annotation.objects.alias(length=Length("quote"))
        .filter(has_pair, label__takes_verdict=True, length__range=(shortest, longest))
        .exclude(article_id=article_id)
        .order_by("-id")
        .values_list("id", "quote", "verdict_id")[:CANDIDATES]
    )
    mine = trigrams(text)
    scored = [(pk, similarity(mine, quote), verdict) for pk, quote, verdict in rows]
    scored = [row for row in scored if row[1] >= THRESHOLD]
    scored.sort(key=lambda row: (-row[1], row[2] is None, -row[0]))
    return [(pk, score) for pk, score, _ in scored[:limit]]


def _matches(scored: list[tuple[int, float]], limit: int, user=None) -> list[SimilarClaim]:
    spans = Annotation.objects.filter(pk__in=[pk for pk, _ in scored])
    if user is not None:
        spans = permissions.visible_annotations(
            user,
            spans.filter(
                layer=Annotation.Layer.REVIEWER,
                article__in=permissions.openable_articles(user, Article.objects.all()),
            ),
        )
    rows = (
        spans.annotate(source_count=Count("sources"))
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
    # Why the match's verdict was not copied (not on this article's rating scale), or "".
    verdict_refused: str = ""

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
            if self.verdict_refused:
                return (
                    f"Nothing new to copy from #{self.match_id}: its verdict was not copied "
                    f"({self.verdict_refused}) and this span cites its sources already."
                )
            return (
                f"Nothing new to copy from #{self.match_id}: this span already has its "
                "verdict and cites its sources."
            )
        text = f"Copied {' and '.join(parts)} from #{self.match_id}."
        if self.verdict_refused:
            text += f" Its verdict was not copied: {self.verdict_refused}"
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

    The match's verdict is copied only when it is one this span may be given (on its
    article's rating scale: permissions.rating_refusal, which the update service asks
    too); otherwise only the sources are, and the outcome says why the verdict was not.
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
    verdict_id = match.verdict_id
    if verdict_id is not None and verdict_id != annotation.verdict_id:
        refusal = permissions.rating_refusal(
            match.verdict, article=annotation.article, current_id=annotation.verdict_id
        )
        if refusal:
            verdict_id, outcome.verdict_refused = None, refusal
            if not evidence:
                raise ValidationError(
                    f"#{match.pk} has no sources, and its verdict was not copied: {refusal}"
                )
    if verdict_id is not None and verdict_id != annotation.verdict_id:
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
