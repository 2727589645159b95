"""A span's evidence sources, added, edited in place and removed from its editor, and the
stored records the "Add a source" field offers again."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from .. import permissions, services
from ..conflicts import Conflict, Gone
from ..forms import OptionsQueryForm, SourceEditForm, SourceForm
from ..models import Annotation, Evidence, HistoryEvent, Source
from ..weburl import complete_url
from .regions import after_change, render_editor
from .review import span_or_gone

OPTIONS = 10
SOURCES = "annotations/editor/sources.html"


@require_GET
def source_form(request, annotation_id):
    """The "Add a source" form, fetched when the reviewer opens it."""
    annotation = span_or_gone(annotation_id, request.user)
    if not permissions.can_add_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can add its sources.")
    context = {"active": annotation, "source_form": SourceForm(prefix="source")}
    return render(request, f"{SOURCES}#source-form", context)


@require_POST
def source_create(request, annotation_id):
    annotation = span_or_gone(annotation_id, request.user)
    if not permissions.can_add_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can add its sources.")
    form = SourceForm(request.POST, prefix="source")
    if form.is_valid():
        try:
            services.source_create(annotation=annotation, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _changed(request, annotation)
    # The errors beside everything typed, so nothing is lost.
    return render_editor(
        request, annotation.article, active=annotation, source_form=form, status=422
    )


def _citation(source_id, user) -> Evidence:
    """The cited source, or Gone (409) naming who removed it, or a 404 if it never was or
    sits on a span the user may not see."""
    citation = (
        Evidence.objects.select_related("source", "annotation__article")
        .filter(pk=source_id)
        .first()
    )
    if citation is not None:
        if not permissions.may_see_span(user, citation.annotation):
            raise Http404("No such source.")
        return citation
    removal = (
        HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.SOURCE, object_id=source_id, action=HistoryEvent.Action.DELETE
        )
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    if removal is None or not permissions.may_see_span_id(
        user, removal.annotation_id_ref, article_id=removal.article_id
    ):
        raise Http404("No such source.")
    who = removal.actor.get_username() if removal.actor else "someone"
    raise Gone(f"This source was removed from its span by {who}; nothing was changed. Reload.")


def _edit_form_for(request, citation, data=None) -> SourceEditForm:
    return SourceEditForm(
        data,
        prefix=f"source-{citation.pk}",
        evidence=citation,
        can_change_record=permissions.can_change_source_record(request.user, citation.source),
    )


def _render_edit_form(request, citation, form, *, conflict=None, status=200):
    """The in-place edit form of one cited source (a page of its own without htmx)."""
    context = {
        "citation": citation,
        "active": citation.annotation,
        "edit_form": form,
        "cited_by": Evidence.objects.filter(source_id=citation.source_id).count(),
        "conflict": conflict,
    }
    template = f"{SOURCES}#source-edit" if request.htmx else "annotations/editor/source_page.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def source_edit(request, source_id):
    """GET: the edit form of a span's source; POST: save it (services.source_update).

    A form rendered from an older version of the citation or of its shared record is
    answered 409 with the saved values beside what was typed, which stays in the form.
    """
    citation = _citation(source_id, request.user)
    span = citation.annotation
    if not permissions.can_change_source(request.user, span):
        raise PermissionDenied("Only the span's author or an editor can change its sources.")
    if request.method == "GET":
        return _render_edit_form(request, citation, _edit_form_for(request, citation))
    form = _edit_form_for(request, citation, request.POST)
    if not form.is_valid():
        return _render_edit_form(request, citation, form, status=422)
    link, record = form.changes()
    try:
        _save_citation(request, citation, form, link, record)
    except Gone:
        raise  # the span or the citation went: a 409 with its message
    except Conflict as conflict:
        return _stale_citation(request, source_id, conflict)
    except ValidationError as error:
        form.add_error(None, error)
        return _render_edit_form(request, citation, form, status=422)
    response = _changed(request, span)
    if request.htmx:
        # The form asked to replace itself; its answer is the whole editor.
        response = reswap(retarget(response, "#annotation-editor"), "innerHTML")
    return response


def _stale_citation(request, source_id, conflict: Conflict):
    """409: the saved citation beside what this user typed. The form now carries the
    saved versions, so saving it again applies these values over the newer ones."""
    fresh = _citation(source_id, request.user)
    data = request.POST.copy()
    data[f"source-{fresh.pk}-version"] = str(fresh.version)
    data[f"source-{fresh.pk}-record_version"] = str(fresh.source.version)
    form = _edit_form_for(request, fresh, data)
    form.is_valid()
    return _render_edit_form(request, fresh, form, conflict=conflict.message, status=409)


@transaction.atomic
def _save_citation(request, citation, form, link: dict, record: dict) -> None:
    """The citation first (it locks the span, then the citation), then the shared record
    (locked last, as services.source_update does), each checked against its version."""
    saved = services.source_update(
        source=citation,
        actor=request.user,
        expected_version=form.cleaned_data["version"],
        **link,
    )
    if record:
        same_record = saved.source_id == citation.source_id
        services.source_record_update(
            record=saved.source,
            actor=request.user,
            expected_version=form.cleaned_data["record_version"] if same_record else None,
            **record,
        )


@require_POST
def source_delete(request, source_id):
    source = get_object_or_404(Evidence.objects.select_related("annotation__article"), pk=source_id)
    annotation = source.annotation
    if not permissions.may_see_span(request.user, annotation):
        raise Http404("No such source.")
    if not permissions.can_delete_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can remove its sources.")
    services.source_delete(source=source, actor=request.user)
    return _changed(request, annotation)


def _changed(request, annotation):
    # A source changes the span's list item (its count), not its highlight.
    return after_change(
        request,
        annotation.article,
        active=annotation,
        touched=[(annotation.start, annotation.end)],
        list_ops=[("upsert", annotation.pk)],
    )


# --- the records offered again -------------------------------------------------------------


def record_matches(
    user, query: str, annotation_id: int | None, limit: int = OPTIONS
) -> list[Source]:
    """Stored sources whose URL or title contains what was typed: the same address first,
    then addresses and titles that start with it, the most cited first. `here` marks the
    ones the span `annotation_id` already cites.

    Only records the user may see (a URL cited only on another reviewer's blind span
    stays hidden), counted by the citations they may see."""
    try:
        canonical = services.clean_url(query)
    except (ValidationError, ValueError):  # half a URL typed so far ("http://[")
        canonical = ""
    # "www.x.org/a" and "x.org/a" find "https://www.x.org/a".
    bare = complete_url(query).split("://", 1)[-1].removeprefix("www.")  # no parsing
    address_starts = Q()
    for prefix in ("https://", "http://", "https://www.", "http://www."):
        address_starts |= Q(url__istartswith=prefix + bare)
    cited_here = Evidence.objects.filter(annotation_id=annotation_id or 0, source=OuterRef("pk"))
    records = Source.objects.filter(
        Q(url__icontains=query) | Q(url__icontains=bare) | Q(title__icontains=query)
    )
    seen = permissions.annotations_seen_by(user).values("pk")
    records = permissions.visible_source_records(user, records).annotate(
        cited=Count("evidence", filter=Q(evidence__annotation_id__in=seen)),
        here=Exists(cited_here),
        rank=Case(
            When(url=canonical, then=Value(0)),
            When(address_starts | Q(title__istartswith=query), then=Value(1)),
            default=Value(2),
        ),
    )
    return list(records.order_by("rank", "-cited", "title", "url")[:limit])


@require_GET
def source_options(request):
    """The options of the "Add a source" URL field, as <li role="option"> rows."""
    if not permissions.can_annotate(request.user):
        raise PermissionDenied("Your account cannot cite sources.")
    form = OptionsQueryForm(request.GET)
    if not form.is_valid():
        raise Http404("No such span.")
    annotation_id = form.cleaned_data["annotation"]
    if annotation_id is not None:
        span = Annotation.objects.filter(pk=annotation_id).first()
        if span is None or not permissions.may_see_span(request.user, span):
            raise Http404(permissions.NO_SUCH_SPAN)
    query = form.cleaned_data["q"][:2000]
    records = record_matches(request.user, query, annotation_id) if len(query) >= 2 else []
    return render(request, f"{SOURCES}#source-options", {"records": records, "query": query})
