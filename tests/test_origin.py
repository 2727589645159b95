"""Every history event says where the change was made: the review page, the admin, an
import or a command (annotations.origin_middleware, management/commands/_origin.py)."""

import pytest
from django.core.management import call_command
from django.urls import resolve, reverse

from annotations import services
from annotations.management.commands._origin import RecordedCommand
from annotations.models import Annotation, HistoryEvent
from annotations.origin_middleware import origin_of
from tests.factories import label, make_span

HTMX = {"HTTP_HX_REQUEST": "true"}


def latest_event():
    return HistoryEvent.objects.order_by("-id").first()


@pytest.mark.django_db
def test_an_edit_from_the_review_page_records_review(reviewer_client, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    response = reviewer_client.post(
        reverse("annotation-detail", args=[span.pk]),
        {"edit-label": label("denial").pk, "edit-note": "x", "edit-version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    event = latest_event()
    assert (event.action, event.origin) == ("update", "review")


@pytest.mark.django_db
def test_an_edit_from_the_admin_records_admin(editor_client, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    response = editor_client.post(
        reverse("admin:annotations_annotation_change", args=[span.pk]),
        {
            "label": label("claim").pk,
            "speaker": "",
            "note": "from the back office",
            "version": 1,
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    event = latest_event()
    assert (event.action, event.origin) == ("update", "admin")


@pytest.mark.django_db
def test_an_import_records_import(editor_client, tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(
        '{"title": "T", "text": "The minister said the bridge is safe.", '
        '"spans": [{"start": 4, "end": 12, "label": "claim", "text": "minister"}]}\n',
        encoding="utf-8",
    )
    call_command("import_articles", str(path), "--user", "edith", stdout=None)
    origins = set(HistoryEvent.objects.values_list("origin", flat=True))
    assert Annotation.objects.exists()
    assert origins == {"import"}


class _EditCommand(RecordedCommand):
    """A command that writes, as the real ones do, through the services."""

    def add_arguments(self, parser):
        parser.add_argument("span_id", type=int)
        parser.add_argument("actor")

    def handle(self, *args, span_id, actor, **options):
        from django.contrib.auth.models import User

        span = Annotation.objects.get(pk=span_id)
        services.annotation_update(
            annotation=span, actor=User.objects.get(username=actor), note="by command"
        )


@pytest.mark.django_db
def test_a_command_records_command(editor, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    call_command(_EditCommand(), str(span.pk), editor.username)
    event = latest_event()
    assert (event.action, event.origin) == ("update", "command")
    # Outside the command the origin is unset again.
    services.annotation_update(annotation=Annotation.objects.get(pk=span.pk), actor=editor, note="")
    assert latest_event().origin == ""


@pytest.mark.parametrize(
    ("path", "origin"),
    [
        ("/admin/annotations/annotation/1/change/", "admin"),
        ("/articles/1/", "review"),
        ("/annotations/1/", "review"),
        ("/annotations/1/sources/", "review"),
        ("/import/", "import"),
        ("/healthz", ""),
    ],
)
def test_origin_is_told_by_the_resolved_url(path, origin):
    assert origin_of(resolve(path)) == origin


def test_adjudication_and_desk_urls_by_name_and_route():
    class Match:
        namespaces: list = []
        func = staticmethod(lambda request: None)

    adjudicate = Match()
    adjudicate.url_name, adjudicate.route = "adjudication-board", "articles/<int:id>/adjudicate/"
    assert origin_of(adjudicate) == "adjudication"
    desk = Match()
    desk.url_name, desk.route = "collection-detail", "collections/<slug:slug>/"
    assert origin_of(desk) == "desk"
    assert origin_of(None) == ""
