"""Users in the admin, with their role."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from ..permissions import EDITORS, REVIEWERS

User = get_user_model()

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (*DjangoUserAdmin.list_display, "role")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

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
