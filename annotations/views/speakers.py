"""The speaker field's autocomplete: who the reviewer may mean, this article's first."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, OuterRef, Value, When
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import permissions
from ..forms import OptionsQueryForm
from ..models import Annotation, Speaker
from ..services.speakers import NAME_MAX

OPTIONS = 10


def speaker_matches(
    user, query: str, article_id: int | None, limit: int = OPTIONS
) -> list[Speaker]:
    """Speakers for what was typed: the exact name first, then this article's speakers,
    then names that start with it, then names with a word that does, then the rest that
    contain it. Without a query: this article's speakers.

    Only names the user may see: one typed only on another reviewer's blind span is not
    offered, nor counted as this article's."""
    seen_here = permissions.visible_annotations(
        user, Annotation.objects.filter(article_id=article_id or 0, speaker=OuterRef("pk"))
    )
    speakers = permissions.visible_speakers(user, Speaker.objects).annotate(
        on_article=Exists(seen_here)
    )
    if not query:
        return list(speakers.filter(on_article=True).order_by("name")[:limit])
    ranked = speakers.filter(name__icontains=query).annotate(
        exact=Case(When(name__iexact=query, then=Value(0)), default=Value(1)),
        rank=Case(
            When(name__istartswith=query, then=Value(0)),
            When(name__icontains=f" {query}", then=Value(1)),
            default=Value(2),
        ),
    )
    return list(ranked.order_by("exact", "-on_article", "rank", "name")[:limit])


@require_GET
def speaker_options(request):
    """The options of the speaker combobox, as <li role="option"> rows."""
    if not permissions.can_annotate(request.user):
        raise PermissionDenied("Your account cannot edit spans.")
    form = OptionsQueryForm(request.GET)
    if not form.is_valid():
        raise Http404("No such article.")
    article_id = form.cleaned_data["article"]
    if article_id is not None:
        permissions.openable_article_or_refuse(request.user, article_id)
    typed = " ".join(form.cleaned_data["q"].split())
    too_long = len(typed) > NAME_MAX
    query = typed[:NAME_MAX]
    speakers = speaker_matches(request.user, query, article_id)
    exact = any(s.name.casefold() == query.casefold() for s in speakers)
    context = {
        "speakers": speakers,
        "typed": typed,
        "too_long": too_long,
        "name_max": NAME_MAX,
        "offer_create": bool(query) and not exact and not too_long,
        "can_create": permissions.can_add_speaker(request.user),
    }
    return render(request, "annotations/editor/speaker_options.html", context)
