"""Who imported spans are attributed to: the annotator a file names when that account
exists here, otherwise the person importing, or (from the command line without --user)
the inactive account FALLBACK_USERNAME. importers/rows.py writes what this decides."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from django.contrib.auth import get_user_model

from .base import ArticleRecord

FALLBACK_USERNAME = "imported-annotations"


class Annotators:
    """Who each imported span is attributed to: its annotator when that account exists,
    otherwise the importer (or the fallback account, created only when first needed).
    The accounts of those who gave verdicts are looked up with them."""

    def __init__(self, importer):
        self.known: dict = {}  # username -> user, of the names looked up so far
        self.importer = importer
        self._looked_up: set[str] = set()

    @cached_property
    def fallback(self):
        return self.importer if is_person(self.importer) else fallback_user()

    def look_up(self, records: Iterable[ArticleRecord]) -> None:
        """Find the accounts of these records' annotators (those not looked up before)."""
        names = set()
        for record in records:
            for span in record.spans:
                names.add(span.annotator)
                if span.verdict is not None:
                    names.add(span.verdict.by)
        names.discard("")
        names -= self._looked_up
        if not names:
            return
        User = get_user_model()
        users = User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names})
        self.known.update((u.get_username(), u) for u in users)
        self._looked_up |= names

    def user_for(self, username: str):
        return self.known.get(username) or self.fallback


def fallback_user():
    """An inactive account that holds spans whose annotator has no account here."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        **{User.USERNAME_FIELD: FALLBACK_USERNAME}, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_person(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)
