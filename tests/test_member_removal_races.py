"""An editor removing a member while that member reopens a finished assignment, or while
another editor assigns them more work, raced on real threads (PostgreSQL only: see
tests/races.py). Whichever wins, no unfinished assignment is left to a non-member, and
neither side gets anything but a clear refusal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations.models import Assignment, Membership
from annotations.services import assignments
from annotations.services import collections as service
from tests.desk_factories import make_articles, make_assignment, make_collection
from tests.factories import make_user
from tests.migration_rows import restore_migration_rows
from tests.races import needs_postgresql, race

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]

TRIALS = 5


@pytest.fixture(autouse=True)
def migration_rows(transactional_db):
    """A flushed database has lost the labels and groups that migrations create."""
    restore_migration_rows()


def _open_rows_of_non_members():
    return [
        (a.reviewer.username, a.collection.name, a.status)
        for a in Assignment.objects.exclude(status=Assignment.Status.DONE).select_related(
            "reviewer", "collection"
        )
        if not Membership.objects.filter(collection=a.collection, user=a.reviewer).exists()
    ]


def test_a_reopen_racing_the_removal_leaves_no_open_work_to_a_non_member():
    editor = make_user("race_editor", role="editor")
    for trial in range(TRIALS):
        reviewer = make_user(f"leaver{trial}", role="reviewer")
        desk = make_collection(
            f"Race desk {trial}", members=[reviewer], editors=[editor], requires_assignment=True
        )
        article = make_articles(1, desk, body=f"Trial {trial}: the pier reopens in June.")[0]
        row = make_assignment(desk, article, reviewer, status="done")
        membership = desk.memberships.get(user=reviewer)
        outcomes = race(
            lambda m=membership: service.member_remove(membership=m, actor=editor),
            lambda r=row, u=reviewer: assignments.set_status(r, "in_progress", u),
        )
        (removal, removal_value), (reopen, reopen_value) = outcomes
        assert removal == "ok", outcomes
        if reopen == "ok":
            # The reopen came first: the removal then withdrew it as unfinished work.
            assert removal_value == 1
            assert not Assignment.objects.filter(pk=row.pk).exists()
        else:
            assert isinstance(reopen_value, PermissionDenied), outcomes
            assert "no longer a member" in str(reopen_value)
            assert Assignment.objects.get(pk=row.pk).status == "done"
        assert _open_rows_of_non_members() == []


def test_an_assignment_racing_the_removal_is_made_first_or_refused():
    editors = make_user("remover", role="editor"), make_user("assigner", role="editor")
    for trial in range(TRIALS):
        reviewer = make_user(f"goner{trial}", role="reviewer")
        desk = make_collection(f"Assign race {trial}", members=[reviewer], editors=editors)
        articles = make_articles(3, desk)
        membership = desk.memberships.get(user=reviewer)
        outcomes = race(
            lambda m=membership: service.member_remove(membership=m, actor=editors[0]),
            lambda d=desk, a=articles, r=reviewer: assignments.assign(d, a, [r], editors[1]),
        )
        (removal, withdrawn), (assigning, result) = outcomes
        assert removal == "ok", outcomes
        if assigning == "ok":
            assert withdrawn == len(result.created) == 3
        else:
            assert isinstance(result, ValidationError), outcomes
            assert "is not a member of" in result.messages[0]
        assert not Assignment.objects.filter(collection=desk).exists()
