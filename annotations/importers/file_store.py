"""One file's records into the database a chunk at a time, inside the file's transaction
(or one transaction per chunk): checked, told apart from what is already here, revised
where a canonical source URL is already an article's, and the rest created (rows.py)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING

from .. import permissions, search_index
from ..models import Label, Rating, RatingScale
from ..models.article import body_hash
from . import revising
from .accounts import Annotators
from .base import ArticleRecord, ParseResult
from .checks import record_problem
from .refs import ArticleRef
from .rows import articles_by_canonical_url, canonical_url_of, create_articles, existing_articles

if TYPE_CHECKING:
    from .service import FileResult

# A chunk of this many new articles is indexed for search after its transaction, in the
# background, rather than row by row as it is inserted (search_index.py): for a bulk
# file, half the import's time on PostgreSQL. Fewer are indexed at once, as before.
DEFER_SEARCH_INDEX_FROM = 100
REPEAT_OF_REFUSED = "The same text as an earlier line of this file, which was refused."


class FileStore:
    """Stores one file's records a chunk at a time, inside the file's transaction.

    Keeps what must span chunks: the labels and accounts looked up so far. A text that
    appears twice in one file is stored once and its repeats are reported as already
    present: a later chunk finds it in the database (inside the file's transaction), a
    repeat in the same chunk is given the ref its first line was stored as. Nothing is
    kept per article but its id (refs.Refs), so memory is flat in the file's size.
    """

    def __init__(self, result: FileResult, *, provenance: dict, user, scale_id=None):
        self.result = result
        self.provenance = provenance
        self.user = user
        self.labels: dict[str, int] = {}  # slug -> id, of the labels that exist
        self.verdict_labels: set[str] = set()  # the slugs of those that take a verdict
        self.ratings = _Ratings()
        # The rating scale the new articles will use (their collection's; None: the
        # default), and why each verdict named so far may not be given on it.
        self.scale_id = scale_id
        self._rating_refusals: dict[int, str | None] = {}
        self.authors = Annotators(importer=user)

    def add(self, chunk: ParseResult) -> None:
        self.result.lines += len(chunk.records) + len(chunk.refused)
        if chunk.position is not None:
            self.result.bytes_read = chunk.position
        if chunk.encoding:  # the reader changed encoding part-way (streaming.py)
            self.result.encoding, self.result.how = chunk.encoding, chunk.how
            self.provenance["encoding"] = chunk.encoding  # for the articles from here on
        self.result.refused_lines.extend(chunk.refused)
        self._look_up_labels(chunk.records)
        self.ratings.look_up(chunk.records)
        valid: list[ArticleRecord] = []
        for record in chunk.records:
            problem = record_problem(
                record,
                label_slugs=self.labels,
                verdict_labels=self.verdict_labels,
                ratings=self.ratings.ids,
                rating_refusal=self._rating_refusal,
            )
            if problem:
                self.result.refused_lines.append((record.line, problem))
            else:
                valid.append(record)
        new, repeats = self._new(valid)
        new, found, later = self._revise_same_urls(new)
        if new:
            found.update(zip(new, self._create(new), strict=True))
        # Same canonical URL as a record of this chunk just created: revisions of it.
        for digest, record, first in later:
            self._revise(found[first].id, digest, record, found)
        for digest, record in repeats:
            if digest in found:
                self.result.already_present.append(found[digest])
            else:  # its first line was refused: so is the repeat, for the same reason
                self.result.refused_lines.append((record.line, REPEAT_OF_REFUSED))

    def _create(self, new: dict[str, ArticleRecord]) -> list[ArticleRef]:
        self.result.spans += sum(len(record.spans) for record in new.values())
        self.authors.look_up(new.values())
        # Many articles at once: the search index catches up after (search_index.py).
        defer = len(new) >= DEFER_SEARCH_INDEX_FROM
        with search_index.deferred() if defer else nullcontext():
            refs = create_articles(
                new,
                provenance=self.provenance,
                authors=self.authors,
                labels=self.labels,
                ratings=self.ratings.ids,
                actor=self.user,
            )
        if defer:
            search_index.schedule_catch_up()
        self.result.created.extend(refs)
        return refs

    def _rating_refusal(self, rating_id: int) -> str | None:
        """permissions.rating_refusal on the new articles' scale, asked once per verdict."""
        if rating_id not in self._rating_refusals:
            rating = Rating.objects.select_related("scale").get(pk=rating_id)
            refusal = permissions.rating_refusal(rating, scale_id=self.scale_id)
            self._rating_refusals[rating_id] = refusal
        return self._rating_refusals[rating_id]

    def finish(self) -> None:
        self.result.refused_lines.sort(key=lambda item: item[0] or 0)

    def _revise_same_urls(
        self, new: dict[str, ArticleRecord]
    ) -> tuple[dict[str, ArticleRecord], dict[str, ArticleRef], list[tuple]]:
        """Records whose canonical source URL is an article's here, with another text,
        become a new revision of it (revising.revise). Returned: the others, to create;
        the revised articles' refs by the records' hashes; and the records to revise once
        those are created, each as (hash, record, hash of the record it revises).

        Two records of one file with the same URL: the first is created and each later
        one revises it, in the file's order (the file said the text changed). A later
        chunk finds the first here (inside the file's transaction); in the same chunk,
        the first is not here yet, so the later ones wait for it to be created."""
        revised: dict[str, ArticleRef] = {}
        later: list[tuple[str, ArticleRecord, str]] = []
        canonical = {
            digest: url
            for digest, record in new.items()
            if record.source_url and (url := canonical_url_of(record.source_url))
        }
        if not canonical:
            return new, revised, later
        existing = articles_by_canonical_url(list(set(canonical.values())))
        first_of_url: dict[str, str] = {}  # a URL new here: the hash of its first record
        remaining: dict[str, ArticleRecord] = {}
        for digest, record in new.items():
            url = canonical.get(digest)
            if url in existing:
                self._revise(existing[url], digest, record, revised)
            elif url in first_of_url:
                later.append((digest, record, first_of_url[url]))
            else:
                if url is not None:
                    first_of_url[url] = digest
                remaining[digest] = record
        return remaining, revised, later

    def _revise(
        self, article_id: int, digest: str, record: ArticleRecord, refs: dict[str, ArticleRef]
    ) -> None:
        """`record` as the new text of the article (revising.revise): reported as revised,
        its ref put in `refs` under its hash, or its line refused with why not."""
        outcome = revising.revise(article_id, record, actor=self.user)
        if outcome.problem:
            self.result.refused_lines.append((record.line, outcome.problem))
            return
        ref = ArticleRef(article_id, record.title, _revision_note(outcome, record))
        self.result.revised.append(ref)
        refs[digest] = ref

    def _look_up_labels(self, records: list[ArticleRecord]) -> None:
        wanted = {span.label for record in records for span in record.spans} - self.labels.keys()
        if wanted:
            rows = Label.objects.filter(slug__in=wanted).values_list("slug", "pk", "takes_verdict")
            for slug, pk, takes_verdict in rows:
                self.labels[slug] = pk
                if takes_verdict:
                    self.verdict_labels.add(slug)

    def _new(self, valid: list[ArticleRecord]) -> tuple[dict, list]:
        """The records to store, by content hash, and those repeating one of them (with
        its hash); the others (stored before, by this file too) are reported as present."""
        digests = [body_hash(r.body) for r in valid]
        existing = existing_articles(digests)
        new: dict[str, ArticleRecord] = {}
        repeats: list[tuple[str, ArticleRecord]] = []
        for record, digest in zip(valid, digests, strict=True):
            if digest in existing:
                self.result.already_present.append(existing[digest])
            elif digest in new:
                repeats.append((digest, record))
            else:
                new[digest] = record
        return new, repeats


def _revision_note(outcome: revising.Revised, record: ArticleRecord) -> str:
    """What a revision did, and, when the file gave spans for the new text, that they
    were not imported: the article's own spans are kept and re-anchored, never replaced
    or doubled by a file's (an export of it re-imported after the text changed)."""
    note = outcome.summary
    if record.spans:
        count = len(record.spans)
        spans = f"{count} span{'s' if count != 1 else ''}"
        note += (
            f" The file's {spans} for it {'were' if count != 1 else 'was'} not imported: "
            "the article keeps its own spans, re-anchored on the new text."
        )
    return note.strip()


class _Ratings:
    """The verdicts a file names, by (scale name, slug), looked up a chunk at a time.

    A verdict without a scale is on the default scale; its record is given that name
    here, before it is checked, so the check and the write see the same pair."""

    def __init__(self):
        self.ids: dict[tuple[str, str], int] = {}
        self._looked_up: set[tuple[str, str]] = set()
        self._default: str | None = None
        self._default_known = False

    def default_scale(self) -> str:
        if not self._default_known:
            self._default = (
                RatingScale.objects.filter(is_default=True).values_list("name", flat=True).first()
            )
            self._default_known = True
        return self._default or ""

    def look_up(self, records: list[ArticleRecord]) -> None:
        wanted = set()
        for record in records:
            for span in record.spans:
                verdict = span.verdict
                if verdict is None or not verdict.slug:
                    continue
                if not verdict.scale:
                    verdict.scale = self.default_scale()
                wanted.add((verdict.scale, verdict.slug))
        wanted -= self._looked_up
        if not wanted:
            return
        rows = Rating.objects.filter(
            scale__name__in={scale for scale, _ in wanted}, slug__in={slug for _, slug in wanted}
        ).values_list("scale__name", "slug", "pk")
        self.ids.update(((scale, slug), pk) for scale, slug, pk in rows)
        self._looked_up |= wanted
