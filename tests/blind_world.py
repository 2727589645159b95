"""A blind collection with two reviewers at work, for the permission and leak tests (H4).

Reviewer A's work carries distinctive strings (quote, note, speaker, source URL and
title) that reviewer B must never see anywhere while the article is not adjudicated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from annotations import services
from annotations.models import (
    Annotation,
    Article,
    Assignment,
    Collection,
    Evidence,
    HistoryEvent,
    Membership,
    Relation,
)
from tests.factories import label, make_article, make_span, make_user

# Words that appear only in A's work: if a response to B holds one, it leaked.
A_QUOTE = "Zanzibar quokkas voted unanimously"
A_QUOTE_TWO = "Zanzibar quokkas then abstained"
A_NOTE = "Marmalade-Eclipse note"
A_SPEAKER = "Wilhelmina Quagmire"
A_SOURCE_URL = "https://xylophone-leak.example.org/report"
A_SOURCE_TITLE = "Xylophone Leak Report"
A_DELETED_QUOTE = "Periwinkle hovercraft"
SECRETS = (A_QUOTE, A_QUOTE_TWO, A_NOTE, A_SPEAKER, A_SOURCE_URL, A_SOURCE_TITLE, A_DELETED_QUOTE)

B_QUOTE = "the council met on Monday"

BODY = (
    f"Reporters said {A_QUOTE} at dawn. Later {A_QUOTE_TWO} as well.\n"
    f"Officials confirmed {B_QUOTE} to discuss the harbour.\n"
    f"Nobody expected the {A_DELETED_QUOTE} at noon."
)


@dataclass
class BlindWorld:
    collection: Collection
    article: Article  # blind, both A and B annotate it
    a: User
    b: User
    a_span: Annotation
    a_span_two: Annotation
    b_span: Annotation
    a_source: Evidence
    a_relation: Relation
    a_deletion: HistoryEvent  # A deleted a span of theirs
    a_events: list[HistoryEvent]


def make_blind_world(*, requires_assignment: bool = False) -> BlindWorld:
    a = make_user("alice_blind", role="reviewer")
    b = make_user("bob_blind", role="reviewer")
    collection = Collection.objects.create(
        name="Blind desk", slug="blind-desk", blind=True, requires_assignment=requires_assignment
    )
    article = make_article(BODY, title="Harbour council")
    collection.articles.add(article)
    for reviewer in (a, b):
        Membership.objects.create(collection=collection, user=reviewer)
        Assignment.objects.create(collection=collection, article=article, reviewer=reviewer)
    a_span = make_span(article, A_QUOTE, a, note=A_NOTE, speaker=A_SPEAKER)
    a_span_two = make_span(article, A_QUOTE_TWO, a)
    b_span = make_span(article, B_QUOTE, b)
    a_source = services.source_create(
        annotation=a_span, actor=a, url=A_SOURCE_URL, title=A_SOURCE_TITLE
    )
    a_relation = services.relation_create(
        from_span=a_span_two, to_span_id=a_span.pk, type=Relation.Type.RESPONDS_TO, actor=a
    )
    doomed = make_span(article, A_DELETED_QUOTE, a)
    a_deletion = services.annotation_delete(annotation=doomed, actor=a)
    a_events = list(HistoryEvent.objects.filter(actor=a).order_by("id"))
    return BlindWorld(
        collection=collection,
        article=article,
        a=a,
        b=b,
        a_span=a_span,
        a_span_two=a_span_two,
        b_span=b_span,
        a_source=a_source,
        a_relation=a_relation,
        a_deletion=a_deletion,
        a_events=a_events,
    )


def claim_label():
    return label("claim")
