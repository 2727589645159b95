"""An article's adjudication started (the spans every reviewer marked alike become gold
at once), finished (the gold layer is final) and reopened.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ... import history, permissions
from ...conflicts import Conflict
from ...models import Adjudication, Article, HistoryEvent
from .._locks import locked_article
from .access import _check_may_adjudicate, _open_adjudication
from .gold import _gold_into
from .reading import reviewer_spans
from .records import ORIGIN
from .rules import agreed_keys, key_of

# --- the writes' shared steps -------------------------------------------------------------


def _record_article(adjudication, actor, event: str, before: dict, after: dict) -> None:
    history.record(
        kind=HistoryEvent.Kind.ARTICLE,
        obj_id=adjudication.article_id,
        annotation_id=None,
        article_id=adjudication.article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after={"adjudication": adjudication.pk, "event": event, **after},
    )


# --- the writes ---------------------------------------------------------------------------


@transaction.atomic
def adjudication_start(*, article: Article, actor) -> Adjudication:
    """The article's adjudication, started if need be: spans every reviewer marked alike
    become gold at once (from all of them). Starting again returns the same one."""
    _check_may_adjudicate(actor, article)
    with history.recording_origin(ORIGIN):
        stored = locked_article(article.pk, fields=("body", "status"))
        adjudication = Adjudication.objects.filter(article_id=stored.pk).first()
        if adjudication is not None:
            return adjudication
        adjudication = Adjudication.objects.create(
            article_id=stored.pk,
            collection=_collection_for(actor, stored),
            adjudicator=actor,
        )
        _record_article(adjudication, actor, "started", {}, {})
        _pre_accept(stored, actor)
        return adjudication


def _collection_for(actor, article: Article):
    collections = article.collections.order_by("pk")
    mine = collections.filter(id__in=permissions.editor_collection_ids(actor)).first()
    return mine or collections.first()


def _pre_accept(article: Article, actor) -> None:
    spans = list(reviewer_spans(article.pk).select_related("label").order_by("pk"))
    agreed = agreed_keys(spans)
    for key in sorted(agreed, key=lambda k: (k.start, -k.end, k.label_id)):
        sources = [span for span in spans if key_of(span) == key]
        label = sources[0].label
        if not label.active:
            continue  # a retired label is left for the editor to decide
        _gold_into(article, sources, key, label, actor)


@transaction.atomic
def finish_adjudication(*, article: Article, actor) -> Adjudication:
    """The gold layer is final: the article becomes "adjudicated" (blind collections then
    show every reviewer's spans). Spans neither accepted nor rejected stay out of it."""
    with history.recording_origin(ORIGIN):
        stored, adjudication = _open_adjudication(actor, article)
        adjudication.finished_at = timezone.now()
        adjudication.adjudicator = actor
        adjudication.save(update_fields=["finished_at", "adjudicator"])
        Article.objects.filter(pk=stored.pk).update(
            status=Article.Status.ADJUDICATED, updated_at=adjudication.finished_at
        )
        _record_article(
            adjudication,
            actor,
            "finished",
            {"status": stored.status},
            {"status": Article.Status.ADJUDICATED},
        )
        article.status = Article.Status.ADJUDICATED
        return adjudication


@transaction.atomic
def reopen_adjudication(*, article: Article, actor) -> Adjudication:
    """A finished adjudication open again; the article goes back to "reviewed"."""
    _check_may_adjudicate(actor, article)
    with history.recording_origin(ORIGIN):
        stored = locked_article(article.pk, fields=("body", "status"))
        adjudication = Adjudication.objects.filter(article_id=stored.pk).first()
        if adjudication is None:
            raise Conflict("This article has not been adjudicated yet.")
        if adjudication.finished_at is None:
            return adjudication
        adjudication.finished_at = None
        adjudication.save(update_fields=["finished_at"])
        Article.objects.filter(pk=stored.pk).update(
            status=Article.Status.REVIEWED, updated_at=timezone.now()
        )
        _record_article(
            adjudication,
            actor,
            "reopened",
            {"status": stored.status},
            {"status": Article.Status.REVIEWED},
        )
        article.status = Article.Status.REVIEWED
        return adjudication
