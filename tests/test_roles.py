"""Roles: the groups the migration creates, the permission helpers, and the
demo_accounts command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.management import CommandError, call_command

from annotations import permissions
from annotations.models import Source
from tests.factories import make_annotation

pytestmark = pytest.mark.django_db

# The grants of migrations 0003, 0006, 0009 and 0012 (GRANTS there): a span's citations are
# Evidence links (the old per-span sources, their permissions renamed), a Source is the
# shared record of a URL.
REVIEWER_CAN = {
    "view_article",
    "view_label",
    "view_annotation",
    "add_annotation",
    "change_annotation",
    "delete_annotation",
    "view_evidence",
    "add_evidence",
    "change_evidence",
    "delete_evidence",
    "view_source",
    "add_source",
    "view_relation",
    "add_relation",
    "delete_relation",
    "view_speaker",
    "add_speaker",
    "view_ratingscale",
    "view_rating",
    "set_article_status",
    "view_collection",
    "view_assignment",
    "change_assignment",
}
EDITOR_CAN = REVIEWER_CAN | {
    "add_collection",
    "change_collection",
    "delete_collection",
    "view_membership",
    "add_membership",
    "change_membership",
    "delete_membership",
    "add_assignment",
    "delete_assignment",
    "view_adjudication",
    "add_adjudication",
    "change_adjudication",
    "adjudicate_article",
    "add_article",
    "change_article",
    "add_label",
    "change_label",
    "view_historyevent",
    "view_importjob",
    "view_exportrecord",
    "change_any_annotation",
    "import_articles",
    "export_dataset",
    "change_source",
    "delete_source",
    "change_relation",
    "change_speaker",
    "delete_speaker",
    "add_ratingscale",
    "change_ratingscale",
    "delete_ratingscale",
    "add_rating",
    "change_rating",
    "delete_rating",
}


def codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


# --- groups -----------------------------------------------------------------------------


def test_reviewers_group_has_exactly_the_reviewer_permissions():
    """Reviewers view articles and labels, add/change/delete their spans and the sources
    they cite, link spans, name speakers and read the rating scales."""
    assert codenames(permissions.REVIEWERS) == {f"annotations.{c}" for c in REVIEWER_CAN}


def test_editors_group_has_exactly_the_editor_permissions():
    """Editors also import, export, edit anyone's spans, manage labels, shared sources,
    speakers and rating scales, and read history."""
    assert codenames(permissions.EDITORS) == {f"annotations.{c}" for c in EDITOR_CAN}


def test_neither_group_can_delete_articles_labels_or_history_nor_manage_users():
    """Deleting articles or labels, touching history and managing people is for admins."""
    for group in (permissions.REVIEWERS, permissions.EDITORS):
        perms = codenames(group)
        assert "annotations.delete_article" not in perms
        assert "annotations.delete_label" not in perms
        assert not {p for p in perms if p.endswith("_historyevent") and "view" not in p}
        assert not {p for p in perms if p.startswith("auth.")}


def test_permission_helpers_follow_the_groups(
    reviewer, other_reviewer, editor, admin_user, article
):
    """Only editors and admins import, export and edit others' spans; a reviewer edits
    their own span only."""
    own = make_annotation(article, 0, 5, author=reviewer)
    assert permissions.can_annotate(reviewer)
    assert not permissions.can_export(reviewer)
    assert not permissions.can_import(reviewer)
    assert permissions.can_edit_annotation(reviewer, own)
    assert not permissions.can_edit_annotation(other_reviewer, own)
    for user in (editor, admin_user):
        assert permissions.can_export(user)
        assert permissions.can_import(user)
        assert permissions.can_edit_annotation(user, own)


def test_fact_check_helpers_follow_the_groups(reviewer, other_reviewer, editor, article):
    """A reviewer links and rates their own spans, names speakers and edits a shared
    source they added; only editors merge speakers and edit anyone's shared sources."""
    own = make_annotation(article, 0, 5, author=reviewer)
    theirs = make_annotation(article, 6, 10, author=other_reviewer)
    mine = Source.objects.create(url="https://example.org/mine", created_by=reviewer)
    others = Source.objects.create(url="https://example.org/others", created_by=other_reviewer)
    assert permissions.can_link_spans(reviewer, own)
    assert permissions.can_unlink_spans(reviewer, own)
    assert not permissions.can_link_spans(reviewer, theirs)
    assert permissions.can_give_verdict(reviewer, own)
    assert not permissions.can_give_verdict(reviewer, theirs)
    assert permissions.can_add_speaker(reviewer)
    assert not permissions.can_merge_speakers(reviewer)
    assert permissions.can_change_source_record(reviewer, mine)
    assert not permissions.can_change_source_record(reviewer, others)
    assert permissions.can_add_source(reviewer, own)
    assert not permissions.can_add_source(reviewer, theirs)
    for check in (permissions.can_link_spans, permissions.can_give_verdict):
        assert check(editor, theirs)
    assert permissions.can_merge_speakers(editor)
    assert permissions.can_change_source_record(editor, others)


def test_anonymous_can_do_nothing(article, reviewer):
    """Signed-out visitors have no role at all."""
    own = make_annotation(article, 0, 5, author=reviewer)
    anonymous = AnonymousUser()
    assert not permissions.can_annotate(anonymous)
    assert not permissions.can_export(anonymous)
    assert not permissions.can_import(anonymous)
    assert not permissions.can_edit_annotation(anonymous, own)
    assert not permissions.can_set_status(anonymous)
    assert not permissions.can_link_spans(anonymous, own)
    assert not permissions.can_give_verdict(anonymous, own)
    assert not permissions.can_add_speaker(anonymous)
    assert not permissions.can_merge_speakers(anonymous)
    record = Source.objects.create(url="https://example.org/r", created_by=None)
    assert not permissions.can_change_source_record(anonymous, record)


# --- demo_accounts ----------------------------------------------------------------------


def run_demo_accounts(*args) -> str:
    out = StringIO()
    call_command("demo_accounts", *args, stdout=out)
    return out.getvalue()


def test_demo_accounts_creates_the_three_roles(settings):
    """reviewer, editor and admin exist afterwards, each with its own name as password."""
    settings.USING_LOCAL_DEFAULT_DATABASE = True
    output = run_demo_accounts()

    reviewer = User.objects.get(username="reviewer")
    editor = User.objects.get(username="editor")
    admin = User.objects.get(username="admin")
    for user in (reviewer, editor, admin):
        assert user.check_password(user.username)
        assert user.is_active
    assert list(reviewer.groups.values_list("name", flat=True)) == [permissions.REVIEWERS]
    assert not reviewer.is_staff and not reviewer.is_superuser
    assert list(editor.groups.values_list("name", flat=True)) == [permissions.EDITORS]
    assert editor.is_staff and not editor.is_superuser
    assert admin.is_staff and admin.is_superuser

    for name in ("reviewer", "editor", "admin"):
        assert f"  {name}" in output
    assert "http://127.0.0.1:8000/" in output
    assert output.count("created") == 3


def test_demo_accounts_can_sign_in(client, settings):
    """The printed passwords work on the login page."""
    settings.USING_LOCAL_DEFAULT_DATABASE = True
    run_demo_accounts()
    for name in ("reviewer", "editor", "admin"):
        assert client.login(username=name, password=name)
    client.login(username="editor", password="editor")
    assert client.get("/admin/annotations/annotation/").status_code == 200


def test_demo_accounts_is_idempotent(settings):
    """Re-running keeps the accounts as they are (a changed password stays changed) and
    only puts each back into its group."""
    settings.USING_LOCAL_DEFAULT_DATABASE = True
    run_demo_accounts()
    reviewer = User.objects.get(username="reviewer")
    reviewer.set_password("a better password")
    reviewer.first_name = "Rita"
    reviewer.save()
    editor = User.objects.get(username="editor")
    editor.groups.clear()
    ids = set(User.objects.values_list("pk", flat=True))

    output = run_demo_accounts()

    assert set(User.objects.values_list("pk", flat=True)) == ids
    reviewer.refresh_from_db()
    assert reviewer.check_password("a better password")
    assert reviewer.first_name == "Rita"
    assert editor.groups.filter(name=permissions.EDITORS).exists()
    assert "created" not in output
    assert output.count("kept") == 3


def test_demo_accounts_refuses_a_non_local_database(settings):
    """With DATABASE_URL set, the command refuses (known passwords!) and creates nothing."""
    settings.USING_LOCAL_DEFAULT_DATABASE = False
    with pytest.raises(CommandError) as info:
        run_demo_accounts()
    assert "Refusing to create demo accounts" in str(info.value)
    assert "--force" in str(info.value)
    assert not User.objects.filter(username__in=["reviewer", "editor", "admin"]).exists()


def test_demo_accounts_force_overrides_the_refusal(settings):
    """--force creates the accounts on a non-local database anyway."""
    settings.USING_LOCAL_DEFAULT_DATABASE = False
    run_demo_accounts("--force")
    assert User.objects.filter(username__in=["reviewer", "editor", "admin"]).count() == 3


def test_demo_accounts_needs_the_groups(settings):
    """Without the role groups (migrations not run) it says what to do; nothing is kept."""
    settings.USING_LOCAL_DEFAULT_DATABASE = True
    Group.objects.filter(name=permissions.REVIEWERS).delete()
    with pytest.raises(CommandError, match=r"run `manage\.py migrate` first"):
        run_demo_accounts()
    assert not User.objects.exists()
