"""The desk's rules: collection roles, who may open an article, whose spans a user sees.

A global Editor (the Editors group's `change_any_annotation`) or a superuser acts as an
editor in every collection. Within a collection, a member's role decides the rest:
editors assign, adjudicate and see every span; reviewers annotate, and in a blind
collection see only their own spans until the article is adjudicated. An article in no
collection is open to every signed-in user, as before collections existed.

Every screen and endpoint asks these functions; none re-implements a rule. The per-article
answers (may open, is blind) are read in one query and kept on the article instance for
the user asking, so a page that asks ten times pays once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from .actions import EDIT_ANY_PERMISSION, _signed_in, can_set_status

ADJUDICATE_PERMISSION = "annotations.adjudicate_article"

NOT_ASSIGNED = "This article belongs to a collection you are not assigned to."
NOT_A_MEMBER = "This article belongs to a collection you are not a member of."
SIGN_IN = "Sign in to open this article."

__all__ = [
    "ADJUDICATE_PERMISSION",
    "NOT_ASSIGNED",
    "NOT_A_MEMBER",
    "ROLLUP_REFUSAL",
    "ArticleAccess",
    "annotations_seen_by",
    "article_access",
    "assignment_move_refusal",
    "blind_article_ids",
    "can_adjudicate",
    "can_assign",
    "can_create_collection",
    "can_manage_collection",
    "can_open_admin",
    "can_open_article",
    "can_view_agreement",
    "can_view_history",
    "collection_article_refusals",
    "editor_collection_ids",
    "is_blind_for",
    "is_desk_editor",
    "offered_statuses",
    "open_refusal",
    "openable_articles",
    "rollup_refusal",
    "standing_assignments",
    "status_refusal",
    "visible_annotations",
    "visible_history_events",
    "visible_source_records",
    "visible_speakers",
]


def is_desk_editor(user) -> bool:
    """An editor everywhere: sees all spans in every collection."""
    return _signed_in(user) and (user.is_superuser or user.has_perm(EDIT_ANY_PERMISSION))


def editor_collection_ids(user):
    from ..models import Membership

    return Membership.objects.filter(user_id=user.pk, role=Membership.Role.EDITOR).values(
        "collection_id"
    )


def _is_collection_editor(user, collection) -> bool:
    if is_desk_editor(user):
        return True
    return collection.memberships.filter(user_id=user.pk, role="editor").exists()


def can_create_collection(user) -> bool:
    return _signed_in(user) and user.has_perm("annotations.add_collection")


def can_manage_collection(user, collection) -> bool:
    """Settings, members and labels of a collection: its editors, or a global editor."""
    if not _signed_in(user):
        return False
    if user.has_perm("annotations.change_collection") and is_desk_editor(user):
        return True
    return _is_collection_editor(user, collection)


def can_assign(user, collection) -> bool:
    return _signed_in(user) and _is_collection_editor(user, collection)


def standing_assignments(queryset: QuerySet) -> QuerySet:
    """The assignments of `queryset` that still count: their reviewer is a member of
    their collection. A removed member's finished rows stay as a record of who reviewed
    the article, but give them no access, no place in their queue and nothing to move."""
    from ..models import Membership

    return queryset.filter(
        Exists(
            Membership.objects.filter(
                collection_id=OuterRef("collection_id"), user_id=OuterRef("reviewer_id")
            )
        )
    )


NOT_A_MEMBER_ANY_MORE = (
    "You are no longer a member of {collection}; this assignment is kept only as a record."
)


def assignment_move_refusal(user, assignment) -> str | None:
    """Why the user may not move the assignment on (start, done, reopen); None if they
    may. Its reviewer moves it while a member of its collection; an editor of the
    collection moves anyone's."""
    from ..models import Membership

    if not _signed_in(user):
        return "Sign in to change an assignment."
    if can_assign(user, assignment.collection):
        return None
    if user.pk != assignment.reviewer_id:
        return "You can only change your own assignments."
    if not user.has_perm("annotations.change_assignment"):
        return "Your account cannot change assignments."
    if not Membership.objects.filter(
        collection_id=assignment.collection_id, user_id=user.pk
    ).exists():
        return NOT_A_MEMBER_ANY_MORE.format(collection=assignment.collection.name)
    return None


def can_adjudicate(user, article) -> bool:
    """Editors of one of the article's collections (or global editors) with the grant."""
    if not (_signed_in(user) and user.has_perm(ADJUDICATE_PERMISSION)):
        return False
    if is_desk_editor(user):
        return True
    return article_access(user, article).edits


def can_view_agreement(user, collection) -> bool:
    """How far a collection's reviewers agree compares their spans, so only who may see
    every span there may see it: its editors and global editors."""
    return _signed_in(user) and _is_collection_editor(user, collection)


def can_view_history(user, article) -> bool:
    """An article's history: who may open the article, its events filtered by
    visible_history_events (in blind mode, only those about their own spans)."""
    return can_open_article(user, article)


def can_open_admin(user) -> bool:
    """The admin site (Django's own rule: active staff); editors and superusers."""
    return _signed_in(user) and user.is_staff


def status_refusal(user, article, status: str) -> str | None:
    """Why the user may not set the article's status to `status` (None: they may).

    "Adjudicated" ends blind mode, so only who may adjudicate the article may set it, or
    take it back; anyone else could otherwise lift blind mode for themselves. An article
    with assignments has the status they roll up to, set by hand by editors only
    (rollup_refusal).
    """
    from ..models import Article

    if not can_set_status(user):
        return "Your account cannot change an article's status."
    adjudicated = Article.Status.ADJUDICATED
    touches_adjudication = status == adjudicated or article.status == adjudicated
    if touches_adjudication and status != article.status and not can_adjudicate(user, article):
        return "Only an editor who adjudicates this article can mark it adjudicated or reopen it."
    if status != article.status:
        return rollup_refusal(user, article)
    return None


ROLLUP_REFUSAL = (
    "This article's status follows its reviewers' assignments (“reviewed” once enough "
    "of them are done): only an editor can set it by hand."
)


def rollup_refusal(user, article) -> str | None:
    """Why the user may not set by hand the status of an article whose status follows its
    assignments (status_rollup.py): only an editor of it may. None: they may, or nothing
    is assigned on it and its status is set by hand."""
    if is_desk_editor(user):
        return None
    access = article_access(user, article)  # asked once per request with the rest of it
    return ROLLUP_REFUSAL if access.assigned and not access.edits else None


def offered_statuses(user, article) -> list[tuple[str, str]]:
    """The status picker's choices: the article's own, and what status_refusal allows."""
    from ..models import Article

    return [
        (value, name)
        for value, name in Article.Status.choices
        if value == article.status or status_refusal(user, article, value) is None
    ]


# --- who may open an article ---------------------------------------------------------------


def _article_collections():
    """The (collection, article) rows of the article the outer query is about."""
    from ..models import Collection

    return Collection.articles.through.objects.filter(article_id=OuterRef("pk"))


def _may_open(user) -> Q:
    """Over Article: in no collection, or in one that grants this user access."""
    from ..models import Assignment, Membership

    # A collection grants access through membership; one that requires assignment only
    # to the members assigned the article there (and to its editors). A removed member's
    # finished assignment is kept as a record and grants nothing.
    member_of = Membership.objects.filter(user_id=user.pk).values("collection_id")
    assigned_in = Assignment.objects.filter(
        reviewer_id=user.pk, article_id=OuterRef("article_id")
    ).values("collection_id")
    granting = _article_collections().filter(
        Q(collection__in=editor_collection_ids(user))
        | Q(collection__requires_assignment=False, collection__in=member_of)
        | (
            Q(collection__requires_assignment=True, collection__in=member_of)
            & Q(collection__in=assigned_in)
        )
    )
    return ~Exists(_article_collections()) | Exists(granting)


def _blind(user) -> Q:
    """Over Article: in a blind collection, not adjudicated, and the user edits none of
    its collections (an editor of any collection the article is in sees every span)."""
    from ..models import Article

    return (
        Exists(_article_collections().filter(collection__blind=True))
        & ~Exists(_article_collections().filter(collection__in=editor_collection_ids(user)))
        & ~Q(status=Article.Status.ADJUDICATED)
    )


def openable_articles(user, queryset: QuerySet) -> QuerySet:
    """The articles of `queryset` the user may open (see can_open_article)."""
    if not _signed_in(user):
        return queryset.none()
    if is_desk_editor(user):
        return queryset
    return queryset.filter(_may_open(user))


def blind_article_ids(user):
    """Ids of the articles whose other reviewers' spans the user may not see yet."""
    from ..models import Article

    if is_desk_editor(user):
        return Article.objects.none().values("pk")
    return Article.objects.filter(_blind(user)).values("pk")


@dataclass(frozen=True, slots=True)
class ArticleAccess:
    openable: bool
    blind: bool  # sees only their own spans
    label_subset: bool  # one of its collections offers only some labels
    scale_id: int | None = None  # the rating scale its collections pick (None: default)
    edits: bool = False  # a global editor, or an editor of one of its collections
    assigned: bool = False  # it has assignments: its status follows them (status_rollup)


_CACHE = "_desk_access"


def _as_value(condition) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def article_access(user, article) -> ArticleAccess:
    """May the user open the article, is it blind for them, does a collection narrow its
    labels: one query, remembered on the article instance for this user.

    The memo is keyed by the user and the article's status (adjudicating an article lifts
    blind mode); a view loads its article once per request, so nothing outlives a request.
    """
    from ..models import Article, Assignment, Collection

    if not _signed_in(user):
        return ArticleAccess(openable=False, blind=False, label_subset=False)
    key = (user.pk, article.__dict__.get("status"))
    memo = article.__dict__.setdefault(_CACHE, {})
    if key in memo:
        return memo[key]
    labelled = Exists(Collection.labels.through.objects.filter(collection__articles=OuterRef("pk")))
    # The first of its collections (by name) that picks a scale.
    scale = Subquery(
        Collection.objects.filter(articles=OuterRef("pk"), rating_scale__isnull=False)
        .order_by("name")
        .values("rating_scale_id")[:1]
    )
    editor = is_desk_editor(user)
    opens = _as_value(Value(True) if editor else _may_open(user))
    blind = _as_value(Value(False) if editor else _blind(user))
    edits = _as_value(
        Value(True)
        if editor
        else Exists(_article_collections().filter(collection__in=editor_collection_ids(user)))
    )
    assigned = Exists(Assignment.objects.filter(article=OuterRef("pk")))
    row = (
        Article.objects.filter(pk=article.pk)
        .order_by()
        .values_list(opens, blind, labelled, scale, edits, assigned)
        .first()
    )
    if row is None:  # no such article (any more): nothing to open
        access = ArticleAccess(openable=False, blind=False, label_subset=False)
    else:
        access = ArticleAccess(
            bool(row[0]), bool(row[1]), bool(row[2]), row[3], bool(row[4]), bool(row[5])
        )
    memo[key] = access
    return access


CANNOT_OPEN = "you may not open it"
NOT_IN_FULL = "blind mode hides other reviewers' spans on it from you"


def collection_article_refusals(user, article_ids) -> dict[int, str]:
    """Which of these articles the user may not put into a collection, and why; {} when
    they may put them all (whether they manage the collection is can_manage_collection's
    rule).

    An editor of any of an article's collections opens it and sees every span on it
    (_may_open, _blind), so adding an article to a collection hands its editors all of it.
    Only what the user already opens and sees in full may be handed on: an article in no
    collection, or one they may open and that is not blind for them. Otherwise a reviewer
    kept out of an article (not assigned) or held to their own spans (blind) could add it
    to a collection they edit and lift the rule for themselves.
    """
    from ..models import Article

    ids = list(article_ids)
    if not ids:
        return {}
    if not _signed_in(user):
        return dict.fromkeys(ids, CANNOT_OPEN)
    if is_desk_editor(user):
        return {}
    rows = (
        Article.objects.filter(pk__in=ids)
        .order_by()
        .values_list("pk", _as_value(_may_open(user)), _as_value(_blind(user)))
    )
    refusals = {}
    for pk, opens, blind in rows:
        if not opens:
            refusals[pk] = CANNOT_OPEN
        elif blind:
            refusals[pk] = NOT_IN_FULL
    return {pk: refusals[pk] for pk in ids if pk in refusals}


def can_open_article(user, article) -> bool:
    return article_access(user, article).openable


def open_refusal(user, article) -> str | None:
    """Why the user may not open the article (None if they may): the 403 page's message."""
    from ..models import Membership

    if not _signed_in(user):
        return SIGN_IN
    if can_open_article(user, article):
        return None
    member = Membership.objects.filter(user_id=user.pk, collection__articles=article.pk).exists()
    # A member of a collection that lets members in would have been let in: what is
    # missing is the assignment.
    return NOT_ASSIGNED if member else NOT_A_MEMBER


def is_blind_for(user, article) -> bool:
    if is_desk_editor(user):
        return False
    return article_access(user, article).blind


# --- whose spans a user sees ---------------------------------------------------------------


def visible_annotations(user, queryset: QuerySet, *, article=None) -> QuerySet:
    """The spans of `queryset` the user may see (blind mode), in any screen or endpoint.

    Given the one article a page is about, one cheap (remembered) check replaces the
    subquery. Whether the user may open the article at all is can_open_article's rule.
    """
    if not _signed_in(user):
        return queryset.none()
    if is_desk_editor(user):
        return queryset
    if article is not None:
        return queryset.filter(author_id=user.pk) if is_blind_for(user, article) else queryset
    return queryset.exclude(Q(article_id__in=blind_article_ids(user)) & ~Q(author_id=user.pk))


def visible_history_events(user, queryset: QuerySet, *, article=None) -> QuerySet:
    """History events about what the user may see: on a blind article, those about their
    own spans (live or deleted, whoever acted), their own assignments and the article
    itself; never another reviewer's assignment (the state tag, article_state_tag, is
    built on these too)."""
    from ..models import Annotation, HistoryEvent

    if not _signed_in(user):
        return queryset.none()
    if is_desk_editor(user):
        return queryset
    assignment, span = HistoryEvent.Kind.ASSIGNMENT, HistoryEvent.Kind.ANNOTATION
    # Their spans, live or deleted (a deleted one is known by its events' snapshots).
    theirs = HistoryEvent.objects.filter(kind=span).filter(
        Q(before__author_id=user.pk) | Q(after__author_id=user.pk)
    )
    if article is not None:
        theirs = theirs.filter(article_id=article.pk)
    own = (
        Q(annotation_id_ref__in=Annotation.objects.filter(author_id=user.pk).values("pk"))
        | Q(annotation_id_ref__in=theirs.values("object_id"))
        | Q(kind=span, before__author_id=user.pk)
        | Q(kind=span, after__author_id=user.pk)
        # Another reviewer's assignment moving on would tell who else is at work there.
        | Q(kind=assignment, before__reviewer_id=user.pk)
        | Q(kind=assignment, after__reviewer_id=user.pk)
        | (Q(annotation_id_ref__isnull=True) & ~Q(kind=assignment))
    )
    if article is not None:
        return queryset.filter(own) if is_blind_for(user, article) else queryset
    return queryset.filter(own | ~Q(article_id__in=blind_article_ids(user)))


def annotations_seen_by(user) -> QuerySet:
    """Every span the user sees anywhere: on an article they may open, and not hidden by
    blind mode (what the corpus-wide lists, such as speaker and source options, and their
    counts build on)."""
    from ..models import Annotation, Article

    on_openable = Annotation.objects.filter(
        article_id__in=openable_articles(user, Article.objects.all()).values("pk")
    )
    return visible_annotations(user, on_openable)


def _shared_record_visible(user, uses: QuerySet, annotation_path: str) -> Q:
    """A shared record (speaker, source) is offered if a span the user sees uses it, or
    if no span uses it and it is the desk's or the user's own: made by no one (seeded),
    by a staff account (the admin's directory) or by the user. A name a reviewer typed
    only on another reviewer's blind span, or only on articles the user may not open,
    stays hidden, also once those spans are deleted (their deletion may be undone) or
    left unplaced by a revision: `uses` counts every span (Annotation.all_objects)."""
    seen = annotations_seen_by(user).values("pk")
    desk_record = (
        Q(created_by__isnull=True) | Q(created_by__is_staff=True) | Q(created_by_id=user.pk)
    )
    return Exists(uses.filter(**{f"{annotation_path}__in": seen})) | (~Exists(uses) & desk_record)


def visible_speakers(user, queryset: QuerySet) -> QuerySet:
    from ..models import Annotation

    if not _signed_in(user):
        return queryset.none()
    if is_desk_editor(user):
        return queryset
    uses = Annotation.all_objects.filter(speaker_id=OuterRef("pk"))
    return queryset.filter(_shared_record_visible(user, uses, "pk"))


def visible_source_records(user, queryset: QuerySet) -> QuerySet:
    from ..models import Evidence

    if not _signed_in(user):
        return queryset.none()
    if is_desk_editor(user):
        return queryset
    uses = Evidence.objects.filter(source_id=OuterRef("pk"))
    return queryset.filter(_shared_record_visible(user, uses, "annotation_id"))
