"""The fact-check admin: rating scales, speakers, shared sources and the spans' citations,
links between spans, verdicts. Every write goes through the services (history and all);
every bad input is the form again with a message a person can act on, and nothing is
stored."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import services
from annotations.models import (
    Annotation,
    Evidence,
    HistoryEvent,
    Rating,
    RatingScale,
    Relation,
    Source,
    Speaker,
)
from tests.factories import label, make_article, make_span, make_speaker, make_user

pytestmark = pytest.mark.django_db

NO_INLINES = {
    "sources-TOTAL_FORMS": "0",
    "sources-INITIAL_FORMS": "0",
    "sources-MIN_NUM_FORMS": "0",
    "sources-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def default_scale() -> RatingScale:
    return RatingScale.objects.get(is_default=True)


def rating(slug: str) -> Rating:
    return default_scale().ratings.get(slug=slug)


# --- rating scales ----------------------------------------------------------------------


def scale_data(scale: RatingScale | None, rows=None, **fields) -> dict:
    """The change form of `scale` as the browser sends it: its verdicts as stored, with
    `rows` ({slug: {field: value}}, new rows under any other key) applied on top."""
    rows = dict(rows or {})
    stored = list(scale.ratings.order_by("id")) if scale else []
    data = {
        "name": scale.name if scale else "",
        "description": scale.description if scale else "",
        "_save": "Save",
    }
    if scale is not None and scale.is_default:
        data["is_default"] = "on"
    forms = []
    for r in stored:
        row = {"id": r.pk, "scale": r.scale_id, "name": r.name, "slug": r.slug}
        row.update(value=r.value, description=r.description)
        row.update(rows.pop(r.slug, {}))
        forms.append(row)
    forms.extend(
        {"name": "", "slug": "", "value": "", "description": "", **extra} for extra in rows.values()
    )
    for i, row in enumerate(forms):
        for key, value in row.items():
            if value is not None:
                data[f"ratings-{i}-{key}"] = value
    data.update(
        {
            "ratings-TOTAL_FORMS": str(len(forms)),
            "ratings-INITIAL_FORMS": str(len(stored)),
            "ratings-MIN_NUM_FORMS": "0",
            "ratings-MAX_NUM_FORMS": "1000",
        }
    )
    data.update(fields)
    return data


def stored_ratings(scale) -> list[tuple]:
    return list(scale.ratings.order_by("-value").values_list("slug", "value"))


def test_scale_page_lists_its_verdicts_with_prepopulated_slugs(admin_client):
    """The scale's change page has a row per verdict (name, slug, value, description)
    and fills the slug from the name."""
    scale = default_scale()
    html = page(admin_client.get(reverse("admin:annotations_ratingscale_change", args=[scale.pk])))
    assert 'name="ratings-0-slug"' in html and 'name="ratings-0-value"' in html
    assert "prepopulated_fields" in html or "data-prepopulated-fields" in html
    assert "Mostly true" in html


def test_a_new_scale_with_its_verdicts_is_stored(admin_client):
    """A scale added with two verdicts is stored with both."""
    data = scale_data(
        None,
        {
            "a": {"name": "Correct", "slug": "correct", "value": 2},
            "b": {"name": "Wrong", "slug": "wrong", "value": 1},
        },
        name="Simple",
    )
    response = admin_client.post(reverse("admin:annotations_ratingscale_add"), data)
    assert response.status_code == 302
    scale = RatingScale.objects.get(name="Simple")
    assert stored_ratings(scale) == [("correct", 2), ("wrong", 1)]
    assert not scale.is_default


@pytest.mark.parametrize(
    "second, field, message",
    [
        (
            {"name": "Wrong", "slug": "wrong", "value": 2},
            "value",
            "“Correct”, “Wrong” have the same ordinal value (2): each verdict of a scale "
            "needs its own ordinal value. Nothing was saved.",
        ),
        (
            {"name": "Correct again", "slug": "correct", "value": 1},
            "slug",
            "“Correct”, “Correct again” have the same slug (correct): each verdict of a "
            "scale needs its own slug. Nothing was saved.",
        ),
    ],
)
def test_two_new_verdicts_sharing_a_value_or_slug_are_refused(admin_client, second, field, message):
    """On a new scale, two verdicts with one ordinal value (or slug) are an error on the
    inline; neither the scale nor a verdict is stored."""
    data = scale_data(
        None, {"a": {"name": "Correct", "slug": "correct", "value": 2}, "b": second}, name="Dup"
    )
    response = admin_client.post(reverse("admin:annotations_ratingscale_add"), data)
    html = page(response)
    assert message in html
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == [message]
    assert formset.forms[1].errors[field] == [
        f"“Correct” has this {field.replace('value', 'ordinal value')} too."
    ]
    assert not RatingScale.objects.filter(name="Dup").exists()
    assert Rating.objects.count() == 6


def test_a_verdict_changed_to_a_stored_value_is_refused(admin_client):
    """Giving one verdict the value another has is refused on its row; nothing changes."""
    scale = default_scale()
    before = stored_ratings(scale)
    data = scale_data(scale, {"mixed": {"value": 5}})
    html = page(
        admin_client.post(reverse("admin:annotations_ratingscale_change", args=[scale.pk]), data)
    )
    assert "“True”, “Mixed” have the same ordinal value (5)" in html
    assert "“True” has this ordinal value too." in html
    assert stored_ratings(scale) == before


def test_two_verdicts_changed_together_to_one_value_are_refused(admin_client):
    """Two rows changed at once to the same new value: both rows say so, nothing is
    stored (each row alone would pass against the stored verdicts)."""
    scale = default_scale()
    before = stored_ratings(scale)
    data = scale_data(scale, {"mixed": {"value": 9}, "false": {"value": 9}})
    response = admin_client.post(
        reverse("admin:annotations_ratingscale_change", args=[scale.pk]), data
    )
    html = page(response)
    assert "“Mixed”, “False” have the same ordinal value (9)" in html
    formset = response.context["inline_admin_formsets"][0].formset
    errors = {f.instance.slug: f.errors.get("value") for f in formset.forms if f.errors}
    assert errors == {
        "mixed": ["“False” has this ordinal value too."],
        "false": ["“Mixed” has this ordinal value too."],
    }
    assert stored_ratings(scale) == before


def test_a_new_verdict_with_a_stored_slug_is_refused(admin_client):
    """A verdict added with the slug of a stored one is refused; nothing is stored."""
    scale = default_scale()
    data = scale_data(scale, {"new": {"name": "Pants on fire", "slug": "false", "value": 9}})
    html = page(
        admin_client.post(reverse("admin:annotations_ratingscale_change", args=[scale.pk]), data)
    )
    assert "“False”, “Pants on fire” have the same slug (false)" in html
    assert not Rating.objects.filter(name="Pants on fire").exists()


def test_swapping_two_values_is_saved(admin_client):
    """Two verdicts trading values (and slugs) in one save: allowed, and stored without
    a database error halfway."""
    scale = default_scale()
    data = scale_data(
        scale,
        {
            "true": {"value": 4, "slug": "mostly-true"},
            "mostly-true": {"value": 5, "slug": "true"},
        },
    )
    response = admin_client.post(
        reverse("admin:annotations_ratingscale_change", args=[scale.pk]), data
    )
    assert response.status_code == 302
    assert scale.ratings.get(name="True").value == 4
    assert scale.ratings.get(name="True").slug == "mostly-true"
    assert scale.ratings.get(name="Mostly true").value == 5


def test_a_value_freed_by_a_deleted_verdict_can_be_taken_in_the_same_save(admin_client):
    """Deleting "Mixed" (3) and moving "Mostly false" to 3 in one save works."""
    scale = default_scale()
    data = scale_data(scale, {"mixed": {"DELETE": "on"}, "mostly-false": {"value": 3}})
    response = admin_client.post(
        reverse("admin:annotations_ratingscale_change", args=[scale.pk]), data
    )
    assert response.status_code == 302
    assert not scale.ratings.filter(slug="mixed").exists()
    assert scale.ratings.get(slug="mostly-false").value == 3


def test_a_second_default_scale_is_refused(admin_client):
    """Only one scale is the default: ticking it on another names the current one."""
    url = reverse("admin:annotations_ratingscale_add")
    data = scale_data(None, name="Other", is_default="on")
    html = page(admin_client.post(url, data))
    assert "“Default” is the default scale: the review page offers one." in html
    assert not RatingScale.objects.filter(name="Other").exists()
    other = RatingScale.objects.create(name="Other")
    change = reverse("admin:annotations_ratingscale_change", args=[other.pk])
    html = page(admin_client.post(change, scale_data(other, is_default="on")))
    assert "“Default” is the default scale" in html
    other.refresh_from_db()
    assert not other.is_default
    assert RatingScale.objects.filter(is_default=True).count() == 1


def test_a_verdict_in_use_cannot_be_deleted(admin_client, reviewer, article):
    """Deleting a verdict that spans carry is refused with how many; nothing changes."""
    for text in ("Moscow denied it", "Kirby said"):
        span = make_span(article, text, reviewer)
        services.annotation_update(annotation=span, actor=reviewer, verdict=rating("false"))
    scale = default_scale()
    data = scale_data(scale, {"false": {"DELETE": "on"}, "mixed": {"name": "Half true"}})
    html = page(
        admin_client.post(reverse("admin:annotations_ratingscale_change", args=[scale.pk]), data)
    )
    assert "“False” cannot be deleted: it is the verdict of 2 spans." in html
    assert scale.ratings.filter(slug="false").exists()
    assert scale.ratings.get(slug="mixed").name == "Mixed"


def test_an_unused_verdict_can_be_deleted(admin_client):
    """A verdict no span carries is deleted from the scale's form."""
    scale = default_scale()
    data = scale_data(scale, {"unproven": {"DELETE": "on"}})
    assert (
        admin_client.post(
            reverse("admin:annotations_ratingscale_change", args=[scale.pk]), data
        ).status_code
        == 302
    )
    assert not scale.ratings.filter(slug="unproven").exists()


def test_a_scale_with_verdicts_in_use_cannot_be_deleted(admin_client, reviewer, article):
    """The delete page says how many spans hold verdicts of the scale; a POST deletes
    nothing."""
    span = make_span(article, "Moscow denied it", reviewer)
    services.annotation_update(annotation=span, actor=reviewer, verdict=rating("mixed"))
    scale = default_scale()
    url = reverse("admin:annotations_ratingscale_delete", args=[scale.pk])
    html = page(admin_client.get(url))
    assert "“Default” gives the verdict of 1 span (“Mixed”: 1)" in html
    assert "Yes, I’m sure" not in html
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    assert RatingScale.objects.filter(pk=scale.pk).exists()
    assert Rating.objects.filter(scale=scale).count() == 6


def test_scale_list_counts_verdicts_and_rated_spans(admin_client, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    services.annotation_update(annotation=span, actor=reviewer, verdict=rating("true"))
    html = page(admin_client.get(reverse("admin:annotations_ratingscale_changelist")))
    assert '<td class="field-rating_count">6</td>' in html
    assert '<td class="field-rated_spans">1</td>' in html


# --- speakers ---------------------------------------------------------------------------


@pytest.fixture
def speakers(article, reviewer):
    kirby = make_speaker("John Kirby", role="Spokesman")
    variant = make_speaker("J. Kirby")
    ministry = make_speaker("Russian Foreign Ministry", kind=Speaker.Kind.ORGANIZATION)
    spans = [
        make_span(article, "Kirby said", reviewer, speaker=kirby),
        make_span(article, "the talks are advancing", reviewer, speaker=variant),
        make_span(article, "Moscow denied it", reviewer, label_slug="denial", speaker=variant),
    ]
    return {"kirby": kirby, "variant": variant, "ministry": ministry, "spans": spans}


def test_speaker_list_counts_spans_searches_and_filters_by_kind(admin_client, speakers):
    url = reverse("admin:annotations_speaker_changelist")
    response = admin_client.get(url)
    rows = {s.name: s.span_count for s in response.context["cl"].result_list}
    assert rows == {"John Kirby": 1, "J. Kirby": 2, "Russian Foreign Ministry": 0}
    found = admin_client.get(url, {"q": "kirby"}).context["cl"].result_list
    assert {s.name for s in found} == {"John Kirby", "J. Kirby"}
    organisations = admin_client.get(url, {"kind__exact": "organization"}).context["cl"].result_list
    assert [s.name for s in organisations] == ["Russian Foreign Ministry"]


def test_speaker_autocomplete_finds_speakers_for_the_span_form(admin_client, speakers):
    """The span form picks its speaker by autocomplete (SpeakerAdmin's search)."""
    span = speakers["spans"][0]
    change = reverse("admin:annotations_annotation_change", args=[span.pk])
    assert 'class="admin-autocomplete" data-ajax--cache="true"' in page(admin_client.get(change))
    assert 'data-field-name="speaker"' in page(admin_client.get(change))
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "kir",
            "app_label": "annotations",
            "model_name": "annotation",
            "field_name": "speaker",
        },
    )
    names = {r["text"] for r in response.json()["results"]}
    assert names == {"John Kirby (Spokesman)", "J. Kirby"}


def merge(client, *selected, **extra):
    return client.post(
        reverse("admin:annotations_speaker_changelist"),
        {"action": "merge_speakers", "_selected_action": [s.pk for s in selected], **extra},
        follow=True,
    )


def test_merge_asks_which_speaker_to_keep(admin_client, speakers):
    """The action first shows the selected speakers with their span counts, the one with
    most spans chosen; nothing changes yet."""
    response = merge(admin_client, speakers["kirby"], speakers["variant"])
    html = page(response)
    assert "Choose the speaker to keep" in html
    assert [(s.name, s.n) for s in response.context["speakers"]] == [
        ("J. Kirby", 2),
        ("John Kirby", 1),
    ]
    assert f'value="{speakers["variant"].pk}" id="keep-{speakers["variant"].pk}" checked' in html
    assert Speaker.objects.count() == 3


def test_merge_moves_every_span_and_records_it(admin_client, admin_user, speakers):
    """Confirming moves the duplicate's spans to the kept speaker (each in its history)
    and deletes the duplicate."""
    kirby, variant = speakers["kirby"], speakers["variant"]
    response = merge(admin_client, kirby, variant, keep=kirby.pk, confirm="yes")
    assert texts(response) == [
        "Merged “J. Kirby” into “John Kirby”: 2 spans moved, 1 speaker deleted. Each "
        "span's history records it."
    ]
    assert not Speaker.objects.filter(pk=variant.pk).exists()
    assert set(Annotation.objects.values_list("speaker", flat=True)) == {kirby.pk}
    moves = HistoryEvent.objects.filter(kind="annotation", action="update")
    assert {(e.before["speaker_id"], e.after["speaker_id"]) for e in moves} == {
        (variant.pk, kirby.pk)
    }
    assert {e.actor for e in moves} == {admin_user}
    assert HistoryEvent.objects.get(kind="speaker", action="merge").object_id == variant.pk


def test_merging_a_speaker_into_itself_is_refused(admin_client, speakers):
    """Selecting one speaker only: a clear message, nothing changed."""
    count = HistoryEvent.objects.count()
    response = merge(admin_client, speakers["variant"], keep=speakers["variant"].pk, confirm="yes")
    assert texts(response) == [
        "Select the duplicates together with the speaker to keep: a speaker cannot be "
        "merged into itself. Nothing was changed."
    ]
    assert Speaker.objects.count() == 3
    assert HistoryEvent.objects.count() == count


def test_merge_keeps_only_a_selected_speaker(admin_client, speakers):
    """A speaker to keep that was not among the selected is refused; nothing changes."""
    response = merge(
        admin_client,
        speakers["kirby"],
        speakers["variant"],
        keep=speakers["ministry"].pk,
        confirm="yes",
    )
    assert "Choose the speaker to keep." in page(response)
    assert Speaker.objects.count() == 3
    assert Annotation.objects.filter(speaker=speakers["variant"]).count() == 2


def test_merge_is_for_editors(client, speakers):
    """A staff account without the speaker permissions is not offered the merge."""
    staff = make_user("sam", role="reviewer")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    response = client.get(reverse("admin:annotations_speaker_changelist"))
    assert "merge_speakers" not in page(response)
    merge(client, speakers["kirby"], speakers["variant"], keep=speakers["kirby"].pk, confirm="yes")
    assert Speaker.objects.count() == 3


def test_editor_merges_speakers(editor_client, speakers):
    response = merge(
        editor_client,
        speakers["kirby"],
        speakers["variant"],
        keep=speakers["kirby"].pk,
        confirm="yes",
    )
    assert "Merged “J. Kirby” into “John Kirby”" in texts(response)[0]


def test_a_speaker_with_spans_cannot_be_deleted(admin_client, speakers):
    """Deleting a speaker that spans point to says how many and suggests merging; the
    bulk action says the same; nothing is deleted."""
    variant = speakers["variant"]
    url = reverse("admin:annotations_speaker_delete", args=[variant.pk])
    html = page(admin_client.get(url))
    assert "“J. Kirby” is the speaker of 2 spans: a speaker with spans cannot be deleted." in html
    assert "Merge it into the speaker those spans should have instead" in html
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    response = admin_client.post(
        reverse("admin:annotations_speaker_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [variant.pk, speakers["ministry"].pk],
            "post": "yes",
        },
    )
    assert "“J. Kirby” is the speaker of 2 spans" in page(response)
    assert Speaker.objects.count() == 3


def test_a_speaker_without_spans_can_be_deleted(admin_client, speakers):
    url = reverse("admin:annotations_speaker_delete", args=[speakers["ministry"].pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Speaker.objects.filter(pk=speakers["ministry"].pk).exists()


def speaker_data(speaker, **changes):
    data = {"name": speaker.name, "kind": speaker.kind, "role": speaker.role, "url": speaker.url}
    data.update(changes)
    return data


def test_speaker_change_form_edits_and_refuses_a_taken_name(admin_client, speakers):
    """Role and link change; a name another speaker has (any case) is refused with a
    pointer to merging."""
    variant = speakers["variant"]
    url = reverse("admin:annotations_speaker_change", args=[variant.pk])
    html = page(admin_client.post(url, speaker_data(variant, name="  JOHN   kirby ")))
    assert "“John Kirby” is already a speaker" in html and "merge the two" in html
    variant.refresh_from_db()
    assert variant.name == "J. Kirby"
    response = admin_client.post(
        url, speaker_data(variant, role="Pentagon press secretary", url="https://example.org/k")
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.role, variant.url) == ("Pentagon press secretary", "https://example.org/k")


def test_speaker_link_must_be_http(admin_client, speakers):
    variant = speakers["variant"]
    url = reverse("admin:annotations_speaker_change", args=[variant.pk])
    html = page(admin_client.post(url, speaker_data(variant, url="javascript:alert(1)")))
    assert "Enter a valid URL." in html or "Enter an http:// or https:// URL." in html
    variant.refresh_from_db()
    assert variant.url == ""


# --- shared sources ---------------------------------------------------------------------


@pytest.fixture
def cited(article, reviewer, other_reviewer):
    """One source cited by two spans of two reviewers, another cited by one."""
    first = make_span(article, "Kirby said", reviewer)
    second = make_span(article, "Moscow denied it", other_reviewer, label_slug="denial")
    link = services.source_create(
        annotation=first,
        actor=reviewer,
        url="https://example.org/report",
        title="The report",
        publisher="Agency",
        stance="supports",
    )
    services.source_create(
        annotation=second, actor=other_reviewer, url="https://example.org/report", stance="refutes"
    )
    services.source_create(
        annotation=second, actor=other_reviewer, url="https://other.example/x", title="Other"
    )
    return {"first": first, "second": second, "link": link, "record": link.source}


def record_data(record, **changes):
    data = {
        "title": record.title,
        "publisher": record.publisher,
        "accessed_on": record.accessed_on.isoformat() if record.accessed_on else "",
        "version": record.version,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_source_list_says_how_many_spans_cite_each(admin_client, cited):
    url = reverse("admin:annotations_source_changelist")
    response = admin_client.get(url)
    html = page(response)
    assert f'?source__id__exact={cited["record"].pk}">2 spans</a>' in html
    assert ">1 span</a>" in html
    assert [r.url for r in admin_client.get(url, {"q": "agency"}).context["cl"].result_list] == [
        "https://example.org/report"
    ]
    assert len(admin_client.get(url, {"q": "example"}).context["cl"].result_list) == 2
    citations = admin_client.get(
        reverse("admin:annotations_evidence_changelist"), {"source__id__exact": cited["record"].pk}
    )
    assert len(citations.context["cl"].result_list) == 2


def test_source_page_lists_the_citing_spans_and_keeps_the_url(admin_client, cited):
    """The record's page lists each span citing it, with its stance; the URL is shown,
    not editable, with why."""
    record = cited["record"]
    html = page(admin_client.get(reverse("admin:annotations_source_change", args=[record.pk])))
    assert 'name="url"' not in html
    assert "The URL is what identifies this source, so it cannot be changed here." in html
    assert f"#{cited['first'].pk} Claim: “Kirby said”" in html
    assert f"#{cited['second'].pk} Denial: “Moscow denied it”" in html
    assert "Supports" in html and "Refutes" in html


def test_source_edit_goes_through_the_service(admin_client, admin_user, cited):
    """Title, publisher and date change for every citing span, recorded; a posted URL
    is ignored (the URL is the identity)."""
    record = cited["record"]
    url = reverse("admin:annotations_source_change", args=[record.pk])
    response = admin_client.post(
        url,
        record_data(
            record,
            title="The final report",
            accessed_on="2026-01-02",
            url="https://evil.example/",
        ),
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.url, record.title, record.version) == (
        "https://example.org/report",
        "The final report",
        2,
    )
    assert {e.title for e in Evidence.objects.filter(source=record)} == {"The final report"}
    event = HistoryEvent.objects.get(kind="source_record", action="update")
    assert (event.before["title"], event.after["title"]) == ("The report", "The final report")
    assert event.actor == admin_user


def test_stale_source_record_form_is_refused_with_the_saved_values(editor_client, reviewer, cited):
    """Someone changed the title after the form was opened: the form comes back with
    the saved title; the saved title stays; resubmitting applies the editor's."""
    record = cited["record"]
    opened = record_data(record, title="Editor's title")
    services.source_record_update(record=record, actor=reviewer, title="Reviewer's title")
    url = reverse("admin:annotations_source_change", args=[record.pk])
    response = editor_client.post(url, opened)
    html = page(response)
    assert "Someone else changed this source after you opened it" in html
    assert "Reviewer&#x27;s title" in html and "Editor&#x27;s title" in html
    record.refresh_from_db()
    assert record.title == "Reviewer's title"
    again = editor_client.post(url, {**opened, "version": record.version})
    assert again.status_code == 302
    record.refresh_from_db()
    assert record.title == "Editor's title"


def test_sources_are_not_added_from_their_own_list(admin_client):
    """A source is stored when a span first cites it, not on its own."""
    assert admin_client.get(reverse("admin:annotations_source_add")).status_code == 403


def test_a_cited_source_cannot_be_deleted(admin_client, cited):
    record = cited["record"]
    url = reverse("admin:annotations_source_delete", args=[record.pk])
    html = page(admin_client.get(url))
    assert "“The report” is cited by 2 spans: remove those citations first" in html
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    assert Source.objects.filter(pk=record.pk).exists()


def test_a_reviewer_cannot_edit_a_shared_source_someone_else_added(client, cited, other_reviewer):
    """A staff reviewer sees the record of a source another reviewer added read-only."""
    other_reviewer.is_staff = True
    other_reviewer.save()
    client.force_login(other_reviewer)
    record = cited["record"]
    url = reverse("admin:annotations_source_change", args=[record.pk])
    assert 'name="_save"' not in page(client.get(url))
    assert client.post(url, record_data(record, title="Mine now")).status_code == 403
    record.refresh_from_db()
    assert record.title == "The report"


# --- citations (evidence links) ---------------------------------------------------------


def evidence_data(link, **changes):
    record = link.source
    data = {
        "annotation": link.annotation_id,
        "url": record.url,
        "stance": link.stance,
        "quoted_passage": link.quoted_passage,
        "title": record.title,
        "publisher": record.publisher,
        "accessed_on": record.accessed_on.isoformat() if record.accessed_on else "",
        "version": link.version,
        "record_version": record.version,
        "_save": "Save",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("typed", ["https://example.org/report", "HTTPS://EXAMPLE.org/report/"])
def test_citing_a_url_twice_on_one_span_is_refused(admin_client, cited, typed):
    """Adding a citation of a URL the span already cites (however its host is cased) is
    a form error on the URL; nothing is stored."""
    count, events = Evidence.objects.count(), HistoryEvent.objects.count()
    response = admin_client.post(
        reverse("admin:annotations_evidence_add"),
        {"annotation": cited["first"].pk, "url": typed, "stance": "context"},
    )
    html = page(response)
    assert f"Span #{cited['first'].pk} already cites this URL" in html
    assert response.context["adminform"].form.errors["url"]
    assert (Evidence.objects.count(), HistoryEvent.objects.count()) == (count, events)


def test_changing_a_citation_to_a_url_the_span_cites_is_refused(admin_client, cited):
    other = Evidence.objects.get(annotation=cited["second"], source__url="https://other.example/x")
    url = reverse("admin:annotations_evidence_change", args=[other.pk])
    html = page(admin_client.post(url, evidence_data(other, url="https://example.org/report")))
    assert f"Span #{cited['second'].pk} already cites this URL" in html
    other.refresh_from_db()
    assert other.url == "https://other.example/x"


def test_citation_edit_goes_through_the_service(admin_client, cited):
    """Stance and passage change on this citation only, recorded in the span's history."""
    link = cited["link"]
    url = reverse("admin:annotations_evidence_change", args=[link.pk])
    response = admin_client.post(
        url, evidence_data(link, stance="context", quoted_passage="  “We are close.”  ")
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.stance, link.quoted_passage, link.version) == ("context", "“We are close.”", 2)
    event = HistoryEvent.objects.get(kind="source", action="update")
    assert (event.before["stance"], event.after["stance"]) == ("supports", "context")
    assert event.annotation_id_ref == cited["first"].pk
    assert Evidence.objects.get(annotation=cited["second"], source=link.source).stance == "refutes"


def test_citation_to_another_url_cites_that_source(admin_client, cited):
    """A new URL on a citation cites that URL's source (stored when new); the old source
    stays for the other span."""
    link = cited["link"]
    url = reverse("admin:annotations_evidence_change", args=[link.pk])
    response = admin_client.post(
        url, evidence_data(link, url="www.example.org/new", title="New report")
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.url, link.title) == ("https://www.example.org/new", "New report")
    assert Source.objects.get(url="https://example.org/report").title == "The report"


def test_stale_citation_form_is_refused(editor_client, reviewer, cited):
    """The stance was changed after the form was opened: refused with the saved stance."""
    link = cited["link"]
    opened = evidence_data(link, quoted_passage="Editor's passage")
    services.source_update(source=link, actor=reviewer, stance="refutes")
    url = reverse("admin:annotations_evidence_change", args=[link.pk])
    html = page(editor_client.post(url, opened))
    assert "Someone else changed this source after you opened it" in html
    assert "stance: “Refutes”" in html
    link.refresh_from_db()
    assert (link.stance, link.quoted_passage) == ("refutes", "")


def annotation_change_data(annotation, **changes):
    data = {
        "label": annotation.label_id,
        "speaker": annotation.speaker_id or "",
        "note": annotation.note,
        "verdict": annotation.verdict_id or "",
        "verdict_explanation": annotation.verdict_explanation,
        "version": annotation.version,
        **NO_INLINES,
        "_save": "Save",
    }
    data.update(changes)
    return data


def inline_rows(*rows, initial=0) -> dict:
    data = {
        "sources-TOTAL_FORMS": str(len(rows)),
        "sources-INITIAL_FORMS": str(initial),
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"sources-{i}-{k}": v for k, v in row.items()})
    return data


def test_inline_rows_citing_one_url_twice_are_refused(admin_client, article):
    """Two rows of a new span's inline with one URL: an error on the row; neither the
    span nor a source is stored."""
    start = article.body.index("Kirby")
    data = {
        "article": article.pk,
        "label": label("claim").pk,
        "start": start,
        "end": start + 5,
        "quote": "Kirby",
        "speaker": "",
        "note": "",
        "verdict": "",
        "verdict_explanation": "",
        **inline_rows(
            {"url": "https://example.org/a", "stance": "supports"},
            {"url": "https://EXAMPLE.org/a", "stance": "refutes"},
        ),
        "_save": "Save",
    }
    html = page(admin_client.post(reverse("admin:annotations_annotation_add"), data))
    assert "This URL is cited twice on this span: keep one row." in html
    assert Annotation.objects.count() == Evidence.objects.count() == Source.objects.count() == 0
    assert HistoryEvent.objects.count() == 0


def test_inline_row_changed_to_a_url_the_span_cites_is_refused(admin_client, cited):
    """On a span's page, changing one row to the URL of another row is refused."""
    span = cited["second"]
    links = list(span.sources.select_related("source").order_by("id"))
    rows = [
        {
            "id": link.pk,
            "annotation": span.pk,
            "url": "https://example.org/report",
            "stance": link.stance,
            "version": link.version,
            "record_version": link.source.version,
        }
        for link in links
    ]
    data = annotation_change_data(span, **inline_rows(*rows, initial=2))
    url = reverse("admin:annotations_annotation_change", args=[span.pk])
    html = page(admin_client.post(url, data))
    assert "This URL is cited twice on this span: keep one row." in html
    assert sorted(e.url for e in span.sources.all()) == [
        "https://example.org/report",
        "https://other.example/x",
    ]


def test_inline_cannot_retitle_a_shared_source_without_the_right(client, cited, other_reviewer):
    """A staff reviewer editing their own span's citation cannot retitle a source another
    reviewer added: a form error, nothing saved."""
    other_reviewer.is_staff = True
    other_reviewer.save()
    client.force_login(other_reviewer)
    span = cited["second"]
    link = span.sources.select_related("source").get(source=cited["record"])
    row = {
        "id": link.pk,
        "annotation": span.pk,
        "url": link.url,
        "stance": link.stance,
        "title": "Retitled",
        "version": link.version,
        "record_version": link.source.version,
    }
    other = span.sources.select_related("source").exclude(pk=link.pk).get()
    kept = {
        "id": other.pk,
        "annotation": span.pk,
        "url": other.url,
        "stance": other.stance,
        "title": other.title,
        "version": other.version,
        "record_version": other.source.version,
    }
    data = annotation_change_data(span, **inline_rows(row, kept, initial=2))
    url = reverse("admin:annotations_annotation_change", args=[span.pk])
    html = page(client.post(url, data))
    assert "This source is shared (2 spans cite it): only an editor or whoever added it" in html
    assert Source.objects.get(pk=cited["record"].pk).title == "The report"


# --- relations --------------------------------------------------------------------------


@pytest.fixture
def spans(article, reviewer):
    return {
        "claim": make_span(article, "the talks are advancing", reviewer),
        "denial": make_span(article, "Moscow denied it", reviewer, label_slug="denial"),
    }


def relation_add(client, from_span, to_span, type="denies"):
    return client.post(
        reverse("admin:annotations_relation_add"),
        {"from_span": from_span.pk, "to_span": to_span.pk, "type": type, "_save": "Save"},
    )


def test_relation_added_in_the_admin_is_recorded(admin_client, admin_user, spans):
    response = relation_add(admin_client, spans["denial"], spans["claim"])
    assert response.status_code == 302
    relation = Relation.objects.get()
    assert (relation.from_span, relation.to_span, relation.type) == (
        spans["denial"],
        spans["claim"],
        "denies",
    )
    event = HistoryEvent.objects.get(kind="relation")
    assert (event.action, event.actor) == ("create", admin_user)


@pytest.mark.parametrize(
    "case, message",
    [
        ("itself", "A span cannot answer itself; choose another span."),
        ("other article", "A span can only be linked to a span of the same article."),
        ("twice", "is already linked to span #"),
    ],
)
def test_bad_relations_are_form_errors_with_the_services_message(
    admin_client, reviewer, spans, case, message
):
    """A link to itself, to another article's span or a second link of the same pair is
    the form again with the service's message; nothing is stored."""
    target = spans["claim"]
    if case == "itself":
        target = spans["denial"]
    elif case == "other article":
        other = make_article("Another article about the talks.")
        target = make_span(other, "the talks", reviewer)
    elif case == "twice":
        services.relation_create(
            from_span=spans["denial"], to_span_id=target.pk, type="denies", actor=reviewer
        )
    count, events = Relation.objects.count(), HistoryEvent.objects.count()
    response = relation_add(admin_client, spans["denial"], target, type="responds_to")
    assert message in page(response)
    assert "errornote" in response.content.decode()
    assert (Relation.objects.count(), HistoryEvent.objects.count()) == (count, events)


def test_relation_list_shows_both_spans_the_type_and_the_article(admin_client, reviewer, spans):
    services.relation_create(
        from_span=spans["denial"], to_span_id=spans["claim"].pk, type="denies", actor=reviewer
    )
    html = page(admin_client.get(reverse("admin:annotations_relation_changelist")))
    assert "“Moscow denied it”" in html and "“the talks are advancing”" in html
    assert "Denies" in html and "Talks advancing" in html


def test_relation_delete_goes_through_the_service(admin_client, reviewer, spans):
    relation = services.relation_create(
        from_span=spans["denial"], to_span_id=spans["claim"].pk, type="denies", actor=reviewer
    )
    url = reverse("admin:annotations_relation_delete", args=[relation.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Relation.objects.exists()
    assert HistoryEvent.objects.filter(kind="relation", action="delete").count() == 1
    again = services.relation_create(
        from_span=spans["denial"], to_span_id=spans["claim"].pk, type="denies", actor=reviewer
    )
    admin_client.post(
        reverse("admin:annotations_relation_changelist"),
        {"action": "delete_selected", "_selected_action": [again.pk], "post": "yes"},
    )
    assert not Relation.objects.exists()
    assert HistoryEvent.objects.filter(kind="relation", action="delete").count() == 2


def test_span_page_lists_its_links_both_ways(admin_client, reviewer, spans):
    services.relation_create(
        from_span=spans["denial"], to_span_id=spans["claim"].pk, type="denies", actor=reviewer
    )
    claim_page = page(
        admin_client.get(reverse("admin:annotations_annotation_change", args=[spans["claim"].pk]))
    )
    assert (
        f"#{spans['denial'].pk} Denial: “Moscow denied it”</a> <strong>denies</strong> this span"
        in claim_page
    )
    denial_page = page(
        admin_client.get(reverse("admin:annotations_annotation_change", args=[spans["denial"].pk]))
    )
    assert "this span <strong>denies</strong>" in denial_page
    assert f"?from_span={spans['denial'].pk}" in denial_page


# --- verdicts on spans ------------------------------------------------------------------


def test_verdict_is_saved_through_the_service(editor_client, editor, spans):
    """An editor rates a claim with a public explanation: who and when are set, the
    history has it; both are read-only on the page."""
    claim = spans["claim"]
    url = reverse("admin:annotations_annotation_change", args=[claim.pk])
    html = page(editor_client.get(url))
    assert "Verdict explanation (public)" in html
    assert 'name="verdict_by"' not in html and 'name="verdict_at"' not in html
    response = editor_client.post(
        url,
        annotation_change_data(
            claim, verdict=rating("mostly-false").pk, verdict_explanation="Talks had stalled."
        ),
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.verdict == rating("mostly-false")
    assert claim.verdict_explanation == "Talks had stalled."
    assert claim.verdict_by == editor and claim.verdict_at is not None
    event = HistoryEvent.objects.filter(kind="annotation", action="update").get()
    assert (event.before["verdict_id"], event.after["verdict_id"]) == (None, claim.verdict_id)


def test_a_verdict_on_a_span_that_is_not_a_claim_is_refused(editor_client, spans):
    denial = spans["denial"]
    url = reverse("admin:annotations_annotation_change", args=[denial.pk])
    response = editor_client.post(url, annotation_change_data(denial, verdict=rating("false").pk))
    html = page(response)
    assert "A “Denial” span carries no verdict: only claims" in html
    assert response.context["adminform"].form.errors["verdict"]
    denial.refresh_from_db()
    assert denial.verdict is None
    assert not HistoryEvent.objects.filter(action="update").exists()


def test_relabelling_a_rated_claim_keeps_its_verdict_or_says_why(editor_client, reviewer, spans):
    claim = spans["claim"]
    services.annotation_update(annotation=claim, actor=reviewer, verdict=rating("true"))
    claim.refresh_from_db()
    url = reverse("admin:annotations_annotation_change", args=[claim.pk])
    html = page(editor_client.post(url, annotation_change_data(claim, label=label("denial").pk)))
    assert "A “Denial” span carries no verdict" in html
    claim.refresh_from_db()
    assert (claim.label.slug, claim.verdict) == ("claim", rating("true"))


def test_a_new_claim_can_be_rated_when_added(admin_client, article):
    start = article.body.index("the talks")
    data = {
        "article": article.pk,
        "label": label("claim").pk,
        "start": start,
        "end": start + 9,
        "quote": "the talks",
        "speaker": "",
        "note": "",
        "verdict": rating("mixed").pk,
        "verdict_explanation": "Partly.",
        **NO_INLINES,
        "_save": "Save",
    }
    assert admin_client.post(reverse("admin:annotations_annotation_add"), data).status_code == 302
    span = Annotation.objects.get()
    assert (span.verdict, span.verdict_explanation) == (rating("mixed"), "Partly.")
    assert list(HistoryEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "create",
        "update",
    ]


def test_stale_verdict_is_refused_with_the_saved_one(editor_client, reviewer, spans):
    """The verdict changed after the editor opened the span: the save is refused naming
    the saved verdict; nothing is overwritten."""
    claim = spans["claim"]
    opened = annotation_change_data(claim, verdict=rating("false").pk)
    services.annotation_update(annotation=claim, actor=reviewer, verdict=rating("true"))
    url = reverse("admin:annotations_annotation_change", args=[claim.pk])
    html = page(editor_client.post(url, opened))
    assert "Someone else changed this span after you opened it (saved now: verdict: “True”)" in html
    claim.refresh_from_db()
    assert claim.verdict == rating("true")


def test_stale_edits_of_other_fields_merge(editor_client, reviewer, spans):
    """The reviewer changed the note, the editor (from an older page) the verdict: both
    are kept."""
    claim = spans["claim"]
    opened = annotation_change_data(claim, verdict=rating("false").pk)
    services.annotation_update(annotation=claim, actor=reviewer, note="Reviewer's note")
    url = reverse("admin:annotations_annotation_change", args=[claim.pk])
    assert editor_client.post(url, opened).status_code == 302
    claim.refresh_from_db()
    assert (claim.note, claim.verdict) == ("Reviewer's note", rating("false"))


def test_speaker_is_chosen_by_id_and_saved_through_the_service(editor_client, spans):
    claim = spans["claim"]
    kirby = make_speaker("John Kirby")
    url = reverse("admin:annotations_annotation_change", args=[claim.pk])
    assert (
        editor_client.post(url, annotation_change_data(claim, speaker=kirby.pk)).status_code == 302
    )
    claim.refresh_from_db()
    assert claim.speaker == kirby
    event = HistoryEvent.objects.get(kind="annotation", action="update")
    assert (event.before["speaker"], event.after["speaker"]) == ("", "John Kirby")


# --- the net under every save -----------------------------------------------------------


def test_a_service_refusal_while_saving_is_the_form_again(editor_client, spans, monkeypatch):
    """A rule only the service knows (here: the citation's service refuses, after the
    span's change was written) comes back as the form with the message and what was
    typed, the whole save undone."""
    claim = spans["claim"]

    def refuse(**kwargs):
        raise ValidationError("The desk is closed for the night.")

    monkeypatch.setattr(services, "source_create", refuse)
    url = reverse("admin:annotations_annotation_change", args=[claim.pk])
    data = annotation_change_data(
        claim,
        note="Typed note",
        **inline_rows({"url": "https://example.org/new", "stance": "supports"}),
    )
    html = page(editor_client.post(url, data))
    assert "The desk is closed for the night. Nothing was saved." in html
    assert "Typed note" in html
    assert not Evidence.objects.exists() and not Source.objects.exists()
    claim.refresh_from_db()
    assert (claim.note, claim.version) == ("", 1)
    assert not HistoryEvent.objects.filter(action="update").exists()


# --- labels that take a verdict ---------------------------------------------------------


def label_data(lab, **changes):
    """The label's change form as sent: an unticked box is left out."""
    data = {
        "name": lab.name,
        "slug": lab.slug,
        "colour": lab.colour,
        "shortcut": lab.shortcut,
        "description": lab.description,
        "order": lab.order,
        "active": "on" if lab.active else None,
        "takes_verdict": "on" if lab.takes_verdict else None,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_editors_choose_which_labels_take_a_verdict(admin_client, reviewer, spans):
    """A label can be made to take verdicts; one whose spans carry verdicts keeps taking
    them until those are cleared."""
    denial = label("denial")
    url = reverse("admin:annotations_label_change", args=[denial.pk])
    assert admin_client.post(url, label_data(denial, takes_verdict="on")).status_code == 302
    denial.refresh_from_db()
    assert denial.takes_verdict
    claim = label("claim")
    services.annotation_update(annotation=spans["claim"], actor=reviewer, verdict=rating("true"))
    url = reverse("admin:annotations_label_change", args=[claim.pk])
    html = page(admin_client.post(url, label_data(claim, takes_verdict=None)))
    assert "1 span(s) with this label carry a verdict: clear their verdicts first" in html
    claim.refresh_from_db()
    assert claim.takes_verdict


# --- the history of the new kinds -------------------------------------------------------


def test_history_shows_speakers_links_and_shared_sources(admin_client, reviewer, spans, cited):
    """Events of a speaker, a link and a shared source say what they are about; they
    belong to no one span."""
    services.speaker_named("Maria Zakharova", actor=reviewer)
    services.relation_create(
        from_span=spans["denial"], to_span_id=spans["claim"].pk, type="denies", actor=reviewer
    )
    url = reverse("admin:annotations_historyevent_changelist")
    html = page(admin_client.get(url))
    assert "Maria Zakharova" in html
    assert f"#{spans['denial'].pk} denies #{spans['claim'].pk}" in html
    assert "The report" in html
    record_event = HistoryEvent.objects.filter(kind="source_record").first()
    change = reverse("admin:annotations_historyevent_change", args=[record_event.pk])
    detail = page(admin_client.get(change))
    assert "#None" not in detail


def test_a_speaker_corrected_in_the_admin_is_in_its_history(client, editor):
    from annotations.models import HistoryEvent, Speaker

    kirby = Speaker.objects.create(name="John Kirby")
    client.force_login(editor)
    url = reverse("admin:annotations_speaker_change", args=[kirby.pk])
    response = client.post(
        url, {"name": "John Kirby", "kind": "person", "role": "NSC spokesman", "url": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    kirby.refresh_from_db()
    assert kirby.role == "NSC spokesman"
    event = HistoryEvent.objects.get(kind="speaker", action="update")
    assert (event.before["role"], event.after["role"]) == ("", "NSC spokesman")
