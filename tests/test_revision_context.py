"""A revision places a span only on its own text (services.revisions through
annotations.anchoring's context rule). Found by the outside tester: re-importing a page
with two sentences removed put the minister's claim on the mayor's sentence and Biden's
quote on Trump's, both scored 1.0, and the report said "3 moved, 1 need attention"."""

from __future__ import annotations

from annotations.models import Annotation, HistoryEvent
from annotations.services.revisions import revise_article
from tests.factories import make_article, make_span

WIN = "'We will win the election in November.'"
OLD = (
    "Parliament met on Tuesday to debate the budget. The minister said taxes will rise "
    "next year. Opposition leaders called the plan reckless.\n\n"
    f"Biden said: {WIN} His campaign released a statement.\n\n"
    f"At a rally in Ohio, Trump said: {WIN} Supporters cheered."
)
NEW = (
    "Parliament met on Tuesday to debate the budget. Opposition leaders called the plan "
    "reckless.\n\nHis campaign released a statement.\n\n"
    f"At a rally in Ohio, Trump said: {WIN} Supporters cheered. "
    "The mayor said taxes will rise in Paris."
)


def test_spans_whose_text_was_deleted_need_attention_not_the_other_sentence(reviewer, editor):
    story = make_article(OLD, title="Budget", source_url="https://news.example.org/budget")
    minister = make_span(story, "taxes will rise", reviewer)
    biden = make_span(story, WIN, reviewer)
    trump = make_span(story, "Trump said: " + WIN, reviewer, label_slug="denial")
    reckless = make_span(story, "called the plan reckless", reviewer)

    result = revise_article(article=story, title="Budget", body=NEW, actor=editor)

    assert sorted(result.unplaced) == sorted([minister.pk, biden.pk])
    assert result.summary.endswith("2 spans placed (2 moved), 2 need attention.")
    for gone in (minister, biden):
        stored = Annotation.all_objects.get(pk=gone.pk)
        assert stored.needs_attention and stored.anchored_in == result.revision
        # Still on its own text, in the revision it was made on; not on the new one.
        assert stored.anchored_in.body[stored.start : stored.end] == gone.quote
        assert (stored.start, stored.end) == (gone.start, gone.end)
        assert pk_not_on_the_page(gone.pk)
    trump.refresh_from_db()
    assert NEW[trump.start : trump.end] == "Trump said: " + WIN
    reckless.refresh_from_db()
    assert NEW[reckless.start : reckless.end] == "called the plan reckless"
    # Nothing sits on the mayor's sentence.
    mayor = NEW.index("taxes will rise")
    assert not Annotation.objects.filter(article=story, start=mayor).exists()
    # The history says what happened to each: two unplaced, two moved.
    events = HistoryEvent.objects.filter(kind="annotation", action="update", article=story)
    assert sorted(e.object_id for e in events if (e.after or {}).get("needs_attention")) == sorted(
        [minister.pk, biden.pk]
    )


def pk_not_on_the_page(pk) -> bool:
    return not Annotation.objects.filter(pk=pk).exists()


def test_a_claim_whose_sentence_was_lightly_edited_moves_with_it(reviewer, editor):
    story = make_article(OLD, title="Budget")
    claim = make_span(story, "taxes will rise", reviewer)
    new = "Updated 14:00. " + OLD.replace(
        "The minister said taxes will rise next year.",
        "The finance minister said on Monday that taxes will rise in 2027.",
    )
    result = revise_article(article=story, title="Budget", body=new, actor=editor)
    assert result.unplaced == [] and result.moved == [claim.pk]
    claim.refresh_from_db()
    assert new[claim.start : claim.end] == "taxes will rise"
    assert claim.start == new.index("taxes will rise")


# --- a revision never makes an exact twin (services/twins.py) ------------------------------

BOX = "Subscribe to our newsletter: the council says fees will double in spring."


def test_the_testers_two_quotes_do_not_become_twins(reviewer, editor):
    story = make_article(
        "Biden said: 'We will win.' Later, Trump said: 'We will win.' The polls close at 8."
    )
    biden = make_span(story, "'We will win.'", reviewer)
    trump_at = story.body.rindex("'We will win.'")
    trump = services_create(story, trump_at, "'We will win.'", reviewer)

    result = revise_article(
        article=story,
        title=story.title,
        body="Later, Trump said: 'We will win.' The polls close at 8.",
        actor=editor,
    )

    assert result.unplaced == [biden.pk]
    placed = list(Annotation.objects.filter(article=story).values_list("pk", "start", "end"))
    assert [pk for pk, *_ in placed] == [trump.pk]


def services_create(article, start, quote, author):
    from annotations import services
    from tests.factories import label

    return services.annotation_create(
        article=article,
        label=label("claim"),
        start=start,
        end=start + len(quote),
        quote=quote,
        author=author,
    )


def test_a_span_whose_place_holds_its_twin_is_left_for_a_reviewer(reviewer, editor):
    """A repeated box (the same paragraph twice, each copy marked by the same reviewer):
    the revision drops the second copy, whose span's context is the first copy's. The
    anchoring finds it a place, on top of the first span; it is not put there."""
    old = f"Lead paragraph.\n\n{BOX}\n\nMiddle paragraph of the story.\n\n{BOX}\n\nThe end."
    new = f"Lead paragraph.\n\n{BOX}\n\nMiddle paragraph of the story.\n\nThe end."
    story = make_article(old)
    quote = "fees will double"
    first = make_span(story, quote, reviewer)
    second = services_create(story, old.rindex(quote), quote, reviewer)
    other_label = services_create_label(story, old.rindex(quote), quote, reviewer, "denial")
    events_before = HistoryEvent.objects.order_by("-pk").values_list("pk", flat=True)[0]

    result = revise_article(article=story, title=story.title, body=new, actor=editor)

    assert result.twins == {second.pk: first.pk}
    assert second.pk in result.unplaced
    assert "would have been placed on a span of the same reviewer and label" in result.summary
    first.refresh_from_db()
    assert (first.start, first.end) == (new.index(quote), new.index(quote) + len(quote))
    stored = Annotation.all_objects.get(pk=second.pk)
    assert stored.needs_attention and (stored.start, stored.end) == (second.start, second.end)
    # Another label on the same text is no twin: that span is placed (on the first box).
    other = Annotation.objects.get(pk=other_label.pk)
    assert (other.start, other.end) == (first.start, first.end)
    twins = Annotation.objects.filter(article=story, start=first.start, label=first.label)
    assert twins.count() == 1
    # Its history says it needs attention (it was not moved onto the first).
    event = HistoryEvent.objects.filter(object_id=second.pk, pk__gt=events_before).get()
    assert event.after["needs_attention"] and event.after["start"] == second.start


def services_create_label(article, start, quote, author, slug):
    from annotations import services
    from tests.factories import label

    return services.annotation_create(
        article=article,
        label=label(slug),
        start=start,
        end=start + len(quote),
        quote=quote,
        author=author,
    )
