"""Users in the admin, with their role."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html

from ..models import Annotation
from ..permissions import EDITORS, REVIEWERS
from ._common import ProtectedFirst, _counts, _plural

User = get_user_model()

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(ProtectedFirst, DjangoUserAdmin):
    list_display = (*DjangoUserAdmin.list_display, "role")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def protected_by(self, objs):
        spans = _counts(Annotation.all_objects.filter(author__in=objs), "author")
        return [
            format_html(
                "“{}” made {}: a user with spans cannot be deleted. Untick “Active” "
                "to close the account instead.",
                user.get_username(),
                _plural(spans[user.pk], "span"),
            )
            for user in objs
            if spans.get(user.pk)
        ]

    @admin.display(description="Role")
    def role(self, user):
        if user.is_superuser:
            return "Admin"
        groups = {g.name for g in user.groups.all()}
        if EDITORS in groups:
            return "Editor"
        if REVIEWERS in groups:
            return "Reviewer"
        return "—"
