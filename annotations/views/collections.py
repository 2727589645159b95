"""The collections pages: list and create collections, and one collection's settings,
members, articles and assignment progress. Thin: the rules live in services.collections
and services.assignments; every refusal comes back as a message, never a 500. Each
write is a plain POST that redirects back, so the pages work without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from .. import desk_queries, permissions
from ..forms_desk import (
    ArticleIdsForm,
    AssignForm,
    CollectionCreateForm,
    CollectionSettingsForm,
    IdsField,
    MemberAddForm,
    MemberRoleForm,
)
from ..models import Assignment, Collection, Membership
from ..services import assignments
from ..services import collections as service

LIST_PAGE = "annotations/collections/list.html"
DETAIL_PAGE = "annotations/collections/detail.html"
ARTICLES_PER_PAGE = 50


def _is_member(user, collection) -> bool:
    return collection.memberships.filter(user_id=user.pk).exists()


def _viewable(request, slug) -> tuple[Collection, bool]:
    """The collection and whether the user manages it; members only see it."""
    collection = get_object_or_404(Collection, slug=slug)
    manages = permissions.can_manage_collection(request.user, collection)
    if not manages and not _is_member(request.user, collection):
        raise PermissionDenied(f"You are not a member of {collection.name}.")
    return collection, manages


def _managed(request, slug) -> Collection:
    collection = get_object_or_404(Collection, slug=slug)
    if not permissions.can_manage_collection(request.user, collection):
        raise PermissionDenied(f"Only editors of {collection.name} can change it.")
    return collection


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back(request, collection) -> str:
    """Where a write returns: the page it came from if it is ours, else the collection."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("collection-detail", args=[collection.slug])


# --- the list ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def collection_list(request):
    can_create = permissions.can_create_collection(request.user)
    form, status = CollectionCreateForm(), 200
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied("Your account cannot create collections.")
        form = CollectionCreateForm(request.POST)
        if form.is_valid():
            try:
                created = service.collection_create(
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error("name", error)
            else:
                messages.success(request, f"Collection “{created.name}” created.")
                return redirect("collection-detail", slug=created.slug)
        status = 422
    context = {
        "collections": desk_queries.collections_with_counts(request.user),
        "form": form,
        "can_create": can_create,
        "nav": "collections",
    }
    return render(request, LIST_PAGE, context, status=status)


# --- one collection ---------------------------------------------------------------------------


def _articles_page(request, collection):
    in_collection = Assignment.objects.filter(collection=collection).select_related("reviewer")
    articles = (
        collection.articles.defer("body", "import_metadata")
        .order_by("-id")
        .prefetch_related(Prefetch("assignments", queryset=in_collection, to_attr="here"))
    )
    return Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))


def _detail(request, collection, manages, *, settings_form=None, status=200):
    context = {
        "collection": collection,
        "manages": manages,
        "settings_form": settings_form or CollectionSettingsForm(instance=collection),
        "members": desk_queries.collection_members(collection),
        "roles": Membership.Role.choices,
        "member_form": MemberAddForm(),
        "article_form": ArticleIdsForm(),
        "progress": desk_queries.reviewer_progress(collection),
        "articles": _articles_page(request, collection),
        "unassigned_count": len(desk_queries.unassigned_article_ids(collection)),
        "nav": "collections",
    }
    return render(request, DETAIL_PAGE, context, status=status)


@require_http_methods(["GET", "POST"])
def collection_detail(request, slug):
    collection, manages = _viewable(request, slug)
    if request.method == "GET":
        return _detail(request, collection, manages)
    if not manages:
        raise PermissionDenied(f"Only editors of {collection.name} can change it.")
    # A copy for the form to write into; the service saves from its own locked row.
    form = CollectionSettingsForm(request.POST, instance=Collection.objects.get(pk=collection.pk))
    if not form.is_valid():
        return _detail(request, collection, manages, settings_form=form, status=422)
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        service.collection_update(collection=collection, actor=request.user, changes=changes)
    except ValidationError as error:
        form.add_error(None, error)
        return _detail(request, collection, manages, settings_form=form, status=422)
    messages.success(request, "Settings saved." if changes else "Nothing changed.")
    return redirect("collection-detail", slug=collection.slug)


def _run(request, collection, action, success: str):
    """Call a service; its refusal becomes the page's error message."""
    try:
        outcome = action()
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, success.format(outcome=outcome))
    return redirect(_back(request, collection))


@require_POST
def member_add(request, slug):
    collection = _managed(request, slug)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(_back(request, collection))
    username, role = form.cleaned_data["username"], form.cleaned_data["role"]
    return _run(
        request,
        collection,
        lambda: service.member_add(
            collection=collection, username=username, role=role, actor=request.user
        ).user.get_username(),
        "{outcome} added as " + Membership.Role(role).label.lower() + ".",
    )


def _membership(collection, membership_id) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "collection"),
        pk=membership_id,
        collection=collection,
    )


@require_POST
def member_role(request, slug, membership_id):
    collection = _managed(request, slug)
    membership = _membership(collection, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Unknown role: reviewer or editor.")
        return redirect(_back(request, collection))
    role = form.cleaned_data["role"]
    name = membership.user.get_username()
    return _run(
        request,
        collection,
        lambda: service.member_set_role(membership=membership, role=role, actor=request.user),
        f"{name} is now {Membership.Role(role).label.lower()}.",
    )


@require_POST
def member_remove(request, slug, membership_id):
    collection = _managed(request, slug)
    membership = _membership(collection, membership_id)
    name = membership.user.get_username()
    return _run(
        request,
        collection,
        lambda: service.member_remove(membership=membership, actor=request.user),
        f"{name} removed; {{outcome}} unfinished assignment(s) withdrawn.",
    )


@require_POST
def articles_add(request, slug):
    collection = _managed(request, slug)
    form = ArticleIdsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["ids"]))
        return redirect(_back(request, collection))
    ids = form.cleaned_data["ids"]
    return _run(
        request,
        collection,
        lambda: service.articles_add(collection=collection, article_ids=ids, actor=request.user),
        "{outcome} article(s) added.",
    )


@require_POST
def articles_remove(request, slug):
    collection = _managed(request, slug)
    try:
        ids = IdsField(required=True).clean(request.POST.getlist("article"))
    except ValidationError as error:
        messages.error(request, "Tick the articles to remove. " + _messages_of(error))
        return redirect(_back(request, collection))
    return _run(
        request,
        collection,
        lambda: service.articles_remove(collection=collection, article_ids=ids, actor=request.user),
        "{outcome} article(s) removed from the collection.",
    )


# --- assigning --------------------------------------------------------------------------------


def assign_summary(result) -> str:
    made = len(result.created)
    text = f"{made} assignment{'s' if made != 1 else ''} made."
    if result.already_covered:
        text += f" {len(result.already_covered)} article(s) already had their reviewers."
    if result.short:
        text += f" {len(result.short)} article(s) still need more reviewers than were chosen."
    return text


@require_POST
def collection_assign(request, slug):
    """The bulk bar's "Assign": the ticked articles (or every unassigned one) to the
    chosen reviewers, K an article."""
    collection = get_object_or_404(Collection, slug=slug)
    if not permissions.can_assign(request.user, collection):
        raise PermissionDenied(f"Only editors of {collection.name} can assign its articles.")
    form = AssignForm(request.POST)
    if not form.is_valid():
        errors = [e for errs in form.errors.values() for e in errs]
        messages.error(request, " ".join(errors) + " Nothing was assigned.")
        return redirect(_back(request, collection))
    data = form.cleaned_data
    ids = desk_queries.unassigned_article_ids(collection) if data["unassigned"] else data["article"]
    if not ids:
        messages.info(request, f"Every article of {collection.name} is assigned already.")
        return redirect(_back(request, collection))
    return _run(
        request,
        collection,
        lambda: assign_summary(
            assignments.assign(
                collection,
                ids,
                data["reviewers"],
                request.user,
                per_article=data["per_article"],
            )
        ),
        "{outcome}",
    )


@require_POST
def assignment_remove(request, slug, assignment_id):
    collection = get_object_or_404(Collection, slug=slug)
    row = get_object_or_404(Assignment, pk=assignment_id, collection=collection)
    assignments.unassign(row, request.user)
    messages.success(request, "Assignment withdrawn.")
    return redirect(_back(request, collection))
