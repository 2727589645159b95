"""annotations/services.py: the rules every write goes through (offsets, who may edit,
history, restore)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import services
from annotations.conflicts import Conflict
from annotations.models import Annotation, Article, Evidence, HistoryEvent, Label, Source
from annotations.offsets import SpanError
from tests.factories import label, make_article, make_source

pytestmark = pytest.mark.django_db

CITATION_FIELDS = (
    "id",
    "source__url",
    "source__title",
    "stance",
    "quoted_passage",
    "created_by_id",
)
EMOJI_BODY = "Breaking 👩‍👩‍👧 news: the minister said the bridge is safe. 🇫🇷 Paris denied it."


def span_of(article: Article, text: str) -> tuple[int, int]:
    start = article.body.index(text)
    return start, start + len(text)


def create(article, text, author, **kwargs):
    start, end = span_of(article, text)
    return services.annotation_create(
        article=article,
        label=kwargs.pop("label", label("claim")),
        start=start,
        end=end,
        quote=text,
        author=author,
        **kwargs,
    )


def state():
    """Everything a failed call must leave untouched."""
    return (
        list(Annotation.objects.order_by("pk").values()),
        list(Evidence.objects.order_by("pk").values()),
        list(Source.objects.order_by("pk").values()),
        HistoryEvent.objects.count(),
    )


# --- annotation_create ------------------------------------------------------------------


class TestAnnotationCreate:
    def test_stores_quote_prefix_and_suffix(self, article, reviewer):
        """A new span stores body[start:end] and up to 32 characters of context."""
        annotation = create(article, "the talks are advancing", reviewer, speaker=" Kirby ")
        start, end = span_of(article, "the talks are advancing")
        annotation.refresh_from_db()
        assert (annotation.start, annotation.end) == (start, end)
        assert annotation.quote == "the talks are advancing"
        assert annotation.prefix == article.body[max(0, start - 32) : start]
        assert annotation.suffix == article.body[end : end + 32]
        assert annotation.speaker.name == "Kirby"
        assert annotation.author == reviewer

    def test_offsets_are_code_points_past_emoji(self, reviewer):
        """After a ZWJ family and a flag, offsets still count code points."""
        article = make_article(EMOJI_BODY)
        annotation = create(article, "Paris denied it", reviewer)
        assert article.body[annotation.start : annotation.end] == "Paris denied it"
        assert annotation.start == EMOJI_BODY.index("Paris")

    def test_records_a_create_event(self, article, reviewer):
        """Creating a span leaves a history event with the new state."""
        annotation = create(article, "Moscow denied it", reviewer)
        event = HistoryEvent.objects.get()
        assert event.action == HistoryEvent.Action.CREATE
        assert event.kind == HistoryEvent.Kind.ANNOTATION
        assert (event.object_id, event.annotation_id_ref) == (annotation.pk, annotation.pk)
        assert event.article_id == article.pk
        assert event.actor == reviewer
        assert event.before is None
        assert event.after["quote"] == "Moscow denied it"

    def test_new_article_goes_into_review(self, article, reviewer):
        """The first span moves a new article to "in review"."""
        assert article.status == Article.Status.NEW
        create(article, "Moscow", reviewer)
        article.refresh_from_db()
        assert article.status == Article.Status.IN_REVIEW

    def test_reviewed_article_keeps_its_status(self, reviewer):
        """A span added to a reviewed article does not reopen it."""
        article = make_article(status=Article.Status.REVIEWED)
        create(article, "minister", reviewer)
        article.refresh_from_db()
        assert article.status == Article.Status.REVIEWED

    @pytest.mark.parametrize(
        "start, end, quote, message",
        [
            (-1, 5, None, "starts before the text"),
            (0, 10_000, None, "ends after the text"),
            (5, 5, "", "is empty"),
            (8, 3, None, "is empty"),
            (0, 5, "Kirbi", "does not match the article"),
            (0, 5, "kirby", "does not match the article"),
        ],
    )
    def test_bad_span_is_refused_and_nothing_stored(
        self, article, reviewer, start, end, quote, message
    ):
        """Out of range, empty or mismatched spans raise SpanError and store nothing."""
        before = state()
        with pytest.raises(SpanError, match=message):
            services.annotation_create(
                article=article,
                label=label("claim"),
                start=start,
                end=end,
                quote=quote,
                author=reviewer,
            )
        assert state() == before
        article.refresh_from_db()
        assert article.status == Article.Status.NEW

    def test_utf16_offsets_are_refused(self, reviewer):
        """Offsets a browser counted in UTF-16 units do not match after an emoji."""
        article = make_article(EMOJI_BODY)
        start, end = span_of(article, "Paris")
        before = state()
        with pytest.raises(SpanError, match="does not match"):
            services.annotation_create(
                article=article,
                label=label("claim"),
                start=start + 4,  # the family and the flag are 4 extra units
                end=end + 4,
                quote="Paris",
                author=reviewer,
            )
        assert state() == before

    def test_inactive_label_is_refused(self, article, reviewer):
        """A label switched off in the admin cannot be applied."""
        retired = Label.objects.create(name="Retired", slug="retired", active=False)
        before = state()
        with pytest.raises(ValidationError) as info:
            create(article, "Moscow", reviewer, label=retired)
        assert info.value.messages == ["The label “Retired” is no longer in use."]
        assert state() == before

    def test_markup_is_stored_as_text(self, reviewer):
        """Markup in the body is just characters: the quote keeps it verbatim."""
        article = make_article("Before <script>alert(1)</script> after")
        annotation = create(article, "<script>alert(1)</script>", reviewer)
        assert annotation.quote == "<script>alert(1)</script>"


# --- annotation_update ------------------------------------------------------------------


class TestAnnotationUpdate:
    @pytest.fixture
    def annotation(self, article, reviewer):
        return create(article, "Moscow denied it", reviewer, speaker="Kremlin", note="first")

    def test_author_can_edit(self, annotation, reviewer):
        """The author changes label, speaker and note; the history keeps before and after."""
        services.annotation_update(
            annotation=annotation,
            actor=reviewer,
            label=label("denial"),
            speaker="  Peskov ",
            note="second",
        )
        annotation.refresh_from_db()
        assert annotation.label.slug == "denial"
        assert (annotation.speaker.name, annotation.note) == ("Peskov", "second")
        event = HistoryEvent.objects.get(action=HistoryEvent.Action.UPDATE)
        assert event.actor == reviewer
        assert event.before["label_id"] == label("claim").pk
        assert event.before["speaker"] == "Kremlin"
        assert event.after["label_id"] == label("denial").pk
        assert event.after["speaker"] == "Peskov"

    def test_other_reviewer_is_refused(self, annotation, other_reviewer):
        """A reviewer cannot edit another reviewer's span; nothing changes."""
        before = state()
        with pytest.raises(PermissionDenied) as info:
            services.annotation_update(annotation=annotation, actor=other_reviewer, note="mine")
        assert str(info.value) == "Only its author or an editor can change this annotation."
        assert state() == before

    def test_editor_can_edit_anyones(self, annotation, editor):
        """Editors edit any span; the event names the editor."""
        services.annotation_update(annotation=annotation, actor=editor, note="checked")
        annotation.refresh_from_db()
        assert annotation.note == "checked"
        assert HistoryEvent.objects.get(action=HistoryEvent.Action.UPDATE).actor == editor

    def test_no_change_records_nothing(self, annotation, reviewer):
        """Saving the same values is not a change: no event."""
        count = HistoryEvent.objects.count()
        services.annotation_update(annotation=annotation, actor=reviewer, note="first")
        assert HistoryEvent.objects.count() == count

    def test_switching_to_an_inactive_label_is_refused(self, annotation, reviewer):
        """An inactive label cannot be newly applied; nothing changes."""
        retired = Label.objects.create(name="Retired", slug="retired", active=False)
        before = state()
        with pytest.raises(ValidationError, match="no longer in use"):
            services.annotation_update(annotation=annotation, actor=reviewer, label=retired)
        assert state() == before

    def test_keeping_a_label_that_became_inactive_is_fine(self, annotation, reviewer):
        """A span keeps its label after the label is retired, and can still be edited."""
        Label.objects.filter(pk=annotation.label_id).update(active=False)
        annotation.label.refresh_from_db()
        services.annotation_update(
            annotation=annotation, actor=reviewer, label=annotation.label, note="still"
        )
        annotation.refresh_from_db()
        assert annotation.note == "still"


# --- annotation_delete / annotation_restore ---------------------------------------------


class TestDeleteAndRestore:
    @pytest.fixture
    def annotation(self, article, reviewer):
        annotation = create(article, "the talks are advancing", reviewer, note="n")
        make_source(annotation, "https://example.org/a", title="A", created_by=reviewer)
        make_source(annotation, "https://example.org/b", title="B", stance=Evidence.Stance.REFUTES)
        return annotation

    def test_delete_removes_span_and_sources_and_records_them(self, annotation, reviewer):
        """The span and its sources go; the event's snapshot keeps all of it."""
        pk = annotation.pk
        event = services.annotation_delete(annotation=annotation, actor=reviewer)
        assert not Annotation.objects.filter(pk=pk).exists()
        assert not Evidence.objects.filter(annotation_id=pk).exists()
        assert event.action == HistoryEvent.Action.DELETE
        assert event.actor == reviewer
        assert event.before["quote"] == "the talks are advancing"
        assert [s["title"] for s in event.before["sources"]] == ["A", "B"]

    def test_other_reviewer_cannot_delete(self, annotation, other_reviewer):
        """A reviewer cannot delete another's span; nothing changes."""
        before = state()
        with pytest.raises(PermissionDenied):
            services.annotation_delete(annotation=annotation, actor=other_reviewer)
        assert state() == before

    def test_restore_brings_back_the_same_span_with_its_sources(self, annotation, reviewer):
        """Restoring rebuilds the span with its id, offsets, quote and sources."""
        original = Annotation.objects.values().get(pk=annotation.pk)
        sources = list(
            Evidence.objects.filter(annotation=annotation)
            .order_by("pk")
            .values(
                "id", "source__url", "source__title", "stance", "quoted_passage", "created_by_id"
            )
        )
        event = services.annotation_delete(annotation=annotation, actor=reviewer)

        restored = services.annotation_restore(event=event, actor=reviewer)

        assert restored.pk == original["id"]
        again = Annotation.objects.values().get(pk=original["id"])
        for field in (
            "article_id",
            "label_id",
            "start",
            "end",
            "quote",
            "prefix",
            "suffix",
            "speaker_id",
            "note",
            "author_id",
        ):
            assert again[field] == original[field]
        restored_sources = list(
            Evidence.objects.filter(annotation_id=restored.pk)
            .order_by("pk")
            .values(
                "id", "source__url", "source__title", "stance", "quoted_passage", "created_by_id"
            )
        )
        for field in (
            "id",
            "source__url",
            "source__title",
            "stance",
            "quoted_passage",
            "created_by_id",
        ):
            assert [s[field] for s in restored_sources] == [s[field] for s in sources]
        actions = list(
            HistoryEvent.objects.filter(annotation_id_ref=restored.pk)
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == ["create", "delete", "restore"]
        restore_event = HistoryEvent.objects.get(action=HistoryEvent.Action.RESTORE)
        assert restore_event.after["sources"][0]["url"] == "https://example.org/a"

    def test_restoring_twice_is_refused(self, annotation, reviewer):
        """A restored span cannot be restored again; nothing changes."""
        event = services.annotation_delete(annotation=annotation, actor=reviewer)
        services.annotation_restore(event=event, actor=reviewer)
        before = state()
        with pytest.raises(Conflict, match="already been restored"):
            services.annotation_restore(event=event, actor=reviewer)
        assert state() == before

    def test_only_delete_events_can_be_restored(self, annotation, reviewer):
        """A create event is not something to restore."""
        created = HistoryEvent.objects.get(action=HistoryEvent.Action.CREATE)
        with pytest.raises(Conflict, match="Only a deleted annotation can be restored"):
            services.annotation_restore(event=created, actor=reviewer)

    def test_other_reviewer_cannot_restore(self, annotation, reviewer, other_reviewer):
        """Restoring is editing: only the author or an editor may; nothing is stored."""
        event = services.annotation_delete(annotation=annotation, actor=reviewer)
        before = state()
        with pytest.raises(PermissionDenied):
            services.annotation_restore(event=event, actor=other_reviewer)
        assert state() == before

    def test_editor_can_restore_anyones(self, annotation, reviewer, editor):
        """An editor restores a reviewer's deleted span; it stays the reviewer's."""
        event = services.annotation_delete(annotation=annotation, actor=reviewer)
        restored = services.annotation_restore(event=event, actor=editor)
        assert restored.author == reviewer
        assert HistoryEvent.objects.get(action=HistoryEvent.Action.RESTORE).actor == editor

    def test_restore_after_the_article_is_gone(self, annotation, reviewer):
        """If the article was deleted since, the restore says so."""
        event = services.annotation_delete(annotation=annotation, actor=reviewer)
        Article.objects.all().delete()
        event.refresh_from_db()
        with pytest.raises(Conflict, match="article of this annotation no longer exists"):
            services.annotation_restore(event=event, actor=reviewer)

    def test_restore_after_the_label_is_gone(self, article, reviewer):
        """A label deleted since is a clear error, not a database integrity failure."""
        temporary = Label.objects.create(name="Temporary", slug="temporary")
        annotation = create(article, "Moscow", reviewer, label=temporary)
        event = services.annotation_delete(annotation=annotation, actor=reviewer)
        temporary.delete()
        before = state()
        with pytest.raises(Conflict, match=r"^The label of this annotation no longer exists\.$"):
            services.annotation_restore(event=event, actor=reviewer)
        assert state() == before

    def test_restore_after_the_author_is_gone(self, annotation, reviewer, editor):
        """An author deleted since is a clear error, not a database integrity failure."""
        event = services.annotation_delete(annotation=annotation, actor=reviewer)
        reviewer.delete()
        before = state()
        with pytest.raises(Conflict, match=r"^The author of this annotation no longer exists\.$"):
            services.annotation_restore(event=event, actor=editor)
        assert state() == before


# --- sources ----------------------------------------------------------------------------


class TestSources:
    @pytest.fixture
    def annotation(self, article, reviewer):
        return create(article, "Moscow denied it", reviewer)

    def test_create_stores_and_records(self, annotation, reviewer):
        """A source is stored with its stance and a create event on the span."""
        source = services.source_create(
            annotation=annotation,
            actor=reviewer,
            url=" https://example.org/kremlin-statement ",
            stance=Evidence.Stance.SUPPORTS,
            title=" Statement ",
        )
        source = Evidence.objects.select_related("source").get(pk=source.pk)
        assert source.url == "https://example.org/kremlin-statement"
        assert source.title == "Statement"
        assert source.accessed_on is not None
        assert source.created_by == reviewer
        assert source.source.created_by == reviewer
        event = HistoryEvent.objects.get(kind=HistoryEvent.Kind.SOURCE)
        assert event.action == HistoryEvent.Action.CREATE
        assert event.annotation_id_ref == annotation.pk
        assert event.after["url"] == "https://example.org/kremlin-statement"

    def test_update_records_before_and_after(self, annotation, reviewer):
        """Editing a source saves it and records both versions."""
        source = make_source(annotation, "https://example.org/a", quoted_passage="Old")
        services.source_update(source=source, actor=reviewer, quoted_passage="New")
        source.refresh_from_db()
        assert source.quoted_passage == "New"
        event = HistoryEvent.objects.get(
            kind=HistoryEvent.Kind.SOURCE, action=HistoryEvent.Action.UPDATE
        )
        assert (event.before["quoted_passage"], event.after["quoted_passage"]) == ("Old", "New")

    def test_update_by_another_reviewer_is_refused(self, annotation, other_reviewer):
        """Another reviewer cannot edit the source; nothing changes, nothing is recorded."""
        source = make_source(annotation, "https://example.org/a", quoted_passage="Old")
        with pytest.raises(PermissionDenied):
            services.source_update(source=source, actor=other_reviewer, quoted_passage="Hijacked")
        assert Evidence.objects.get(pk=source.pk).quoted_passage == "Old"
        assert not HistoryEvent.objects.filter(action=HistoryEvent.Action.UPDATE).exists()

    def test_update_to_a_non_http_url_is_refused(self, annotation, reviewer):
        """An edit to a javascript: URL is refused and the stored URL stays."""
        source = make_source(annotation, "https://example.org/a")
        with pytest.raises(ValidationError) as info:
            services.source_update(source=source, actor=reviewer, url="javascript:alert(1)")
        assert "url" in info.value.message_dict
        assert Evidence.objects.get(pk=source.pk).url == "https://example.org/a"

    def test_http_is_accepted(self, annotation, reviewer):
        """Plain http:// is allowed too."""
        source = services.source_create(
            annotation=annotation, actor=reviewer, url="http://example.org/"
        )
        assert source.pk

    @pytest.mark.parametrize(
        "url",
        [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "JAVASCRIPT://example.org/%0aalert(1)",
            "data:text/html,x",
            "data:text/html;base64,PHNjcmlwdD4=",
            "ftp://x",
            "ftp://example.org/file",
            "file:///etc/passwd",
            "vbscript:msgbox(1)",
            "https://exa mple.org/",
            "https://example.org/a b",
            "",
            "   ",
        ],
    )
    def test_only_http_urls_are_accepted(self, annotation, reviewer, url):
        """Anything but an http(s) URL raises ValidationError and stores nothing."""
        before = state()
        with pytest.raises(ValidationError) as info:
            services.source_create(annotation=annotation, actor=reviewer, url=url)
        assert "url" in info.value.message_dict
        assert state() == before

    def test_bad_stance_is_refused(self, annotation, reviewer):
        """The stance is one of supports / refutes / context."""
        before = state()
        with pytest.raises(ValidationError) as info:
            services.source_create(
                annotation=annotation, actor=reviewer, url="https://example.org/", stance="maybe"
            )
        assert "stance" in info.value.message_dict
        assert state() == before

    def test_other_reviewer_cannot_add_a_source(self, annotation, other_reviewer):
        """Sources belong to the span: only its author or an editor adds them."""
        before = state()
        with pytest.raises(PermissionDenied):
            services.source_create(
                annotation=annotation, actor=other_reviewer, url="https://x.org/"
            )
        assert state() == before

    def test_delete_records_the_source(self, annotation, reviewer):
        """Deleting a source leaves an event with what it was."""
        source = services.source_create(
            annotation=annotation, actor=reviewer, url="https://example.org/r", title="R"
        )
        pk = source.pk
        services.source_delete(source=source, actor=reviewer)
        assert not Evidence.objects.filter(pk=pk).exists()
        # The shared record stays for other spans and for a restore.
        assert Source.objects.filter(url="https://example.org/r").exists()
        event = HistoryEvent.objects.get(
            kind=HistoryEvent.Kind.SOURCE, action=HistoryEvent.Action.DELETE
        )
        assert event.object_id == pk
        assert event.annotation_id_ref == annotation.pk
        assert event.article_id == annotation.article_id
        assert event.actor == reviewer
        assert event.before["title"] == "R"
        assert event.after is None

    def test_other_reviewer_cannot_delete_a_source(self, annotation, reviewer, other_reviewer):
        """A reviewer cannot remove sources from another's span; nothing changes."""
        source = make_source(annotation)
        before = state()
        with pytest.raises(PermissionDenied):
            services.source_delete(source=source, actor=other_reviewer)
        assert state() == before


class TestArticleStatus:
    def test_set_status(self, article, reviewer):
        """A known status is saved."""
        services.article_set_status(article=article, status=Article.Status.REVIEWED, actor=reviewer)
        article.refresh_from_db()
        assert article.status == Article.Status.REVIEWED

    def test_unknown_status_is_refused(self, article, reviewer):
        """An unknown status raises and changes nothing."""
        with pytest.raises(ValidationError) as info:
            services.article_set_status(article=article, status="done", actor=reviewer)
        assert info.value.messages == ["Unknown status “done”."]
        article.refresh_from_db()
        assert article.status == Article.Status.NEW
