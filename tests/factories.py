"""Small builders for test objects: explicit, no magic defaults hidden elsewhere."""

from __future__ import annotations

import itertools

from django.contrib.auth.models import Group, User

from annotations.models import Annotation, Article, Evidence, Label, Source, Speaker
from annotations.offsets import canonical_text, quote_selector
from annotations.permissions import EDITORS, REVIEWERS

_counter = itertools.count(1)


def make_user(username: str | None = None, *, role: str = "reviewer", password: str = "pw") -> User:
    """role: 'reviewer', 'editor', 'admin' or 'none' (signed in but in no group)."""
    username = username or f"user{next(_counter)}"
    if role == "admin":
        return User.objects.create_superuser(username, f"{username}@example.org", password)
    user = User.objects.create_user(username, f"{username}@example.org", password)
    if role == "reviewer":
        user.groups.add(Group.objects.get(name=REVIEWERS))
    elif role == "editor":
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=EDITORS))
    return user


def make_article(body: str | None = None, **fields) -> Article:
    n = next(_counter)
    body = canonical_text(
        body if body is not None else f"Article number {n}. The minister said the bridge is safe."
    )
    fields.setdefault("title", f"Article {n}")
    return Article.objects.create(body=body, **fields)


def label(slug: str = "claim") -> Label:
    return Label.objects.get(slug=slug)


def make_speaker(name: str, **fields) -> Speaker:
    return Speaker.objects.get_or_create(name=name, defaults=fields)[0]


def make_annotation(
    article: Article, start: int, end: int, *, author: User, label_slug="claim", **fields
) -> Annotation:
    """A span written straight to the table (no history); `speaker` may be a name."""
    selector = quote_selector(article.body, start, end)
    if isinstance(fields.get("speaker"), str):
        fields["speaker"] = make_speaker(fields["speaker"]) if fields["speaker"] else None
    return Annotation.objects.create(
        article=article,
        label=label(label_slug),
        start=start,
        end=end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        author=author,
        **fields,
    )


def make_span(article: Article, text: str, author: User, *, label_slug="claim", **fields):
    """A span over the first occurrence of `text`, made through the service (history and
    all), as the review page makes it."""
    from annotations import services

    start = article.body.index(text)
    return services.annotation_create(
        article=article,
        label=label(label_slug),
        start=start,
        end=start + len(text),
        quote=text,
        author=author,
        **fields,
    )


_RECORD_FIELDS = ("title", "publisher", "accessed_on")


def make_source(
    annotation: Annotation, url: str = "https://example.org/report", **fields
) -> Evidence:
    """A span citing `url` (its shared record made when new), straight to the tables."""
    record_fields = {f: fields.pop(f) for f in _RECORD_FIELDS if f in fields}
    record, _ = Source.objects.get_or_create(url=url, defaults=record_fields)
    fields.setdefault("stance", Evidence.Stance.SUPPORTS)
    return Evidence.objects.create(annotation=annotation, source=record, **fields)
