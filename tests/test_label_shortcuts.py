"""Labels' shortcut keys: swapped in the label list in one save, never two labels on one
key, and never a key the review page uses itself (Label.clean, for every writer)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations.models import Label
from annotations.models.label import RESERVED_SHORTCUTS

CHANGELIST = "admin:annotations_label_changelist"
SCRIPTS = Path(settings.BASE_DIR) / "annotations" / "static" / "annotations" / "js"


def keys() -> dict[str, str]:
    return dict(Label.objects.values_list("slug", "shortcut"))


def list_data(labels, **shortcuts) -> dict:
    """The label list's form as sent, with the given slugs' keys changed."""
    data = {
        "form-TOTAL_FORMS": str(len(labels)),
        "form-INITIAL_FORMS": str(len(labels)),
        "_save": "Save",
    }
    for i, lab in enumerate(labels):
        data |= {
            f"form-{i}-id": str(lab.pk),
            f"form-{i}-colour": lab.colour,
            f"form-{i}-shortcut": shortcuts.get(lab.slug.replace("-", "_"), lab.shortcut),
            f"form-{i}-order": str(lab.order),
        }
        if lab.active:
            data[f"form-{i}-active"] = "on"
    return data


def post_list(client, query="", **shortcuts):
    labels = list(Label.objects.filter(active=True) if "active" in query else Label.objects.all())
    return client.post(reverse(CHANGELIST) + query, list_data(labels, **shortcuts))


def row_errors(response) -> dict[str, list[str]]:
    formset = response.context["cl"].formset
    return {
        form.instance.slug: form.errors["shortcut"] for form in formset if "shortcut" in form.errors
    }


def test_two_labels_swap_their_keys_in_one_save(admin_client, db):
    """Claim 1 → 2 and Denial 2 → 1, saved together: both stored, no error (each row was
    checked against the other's old key)."""
    assert keys() == {"claim": "1", "denial": "2", "unverified-allegation": "3"}
    response = post_list(admin_client, claim="2", denial="1")
    assert response.status_code == 302, row_errors(response)
    assert keys() == {"claim": "2", "denial": "1", "unverified-allegation": "3"}


def test_three_labels_rotate_their_keys(admin_client, db):
    response = post_list(admin_client, claim="2", denial="3", unverified_allegation="1")
    assert response.status_code == 302
    assert keys() == {"claim": "2", "denial": "3", "unverified-allegation": "1"}


def test_two_rows_given_one_key_are_refused_on_both(admin_client, db):
    """Claim and Denial both on 4: each row names the other, the list says nothing was
    saved, and nothing was."""
    response = post_list(admin_client, claim="4", denial="4")
    assert response.status_code == 200
    assert row_errors(response) == {
        "claim": ["“Denial” has this shortcut key too."],
        "denial": ["“Claim” has this shortcut key too."],
    }
    assert response.context["cl"].formset.non_form_errors() == [
        "“Claim”, “Denial” have the same shortcut key (4): each label needs its own key. "
        "Nothing was saved."
    ]
    assert keys() == {"claim": "1", "denial": "2", "unverified-allegation": "3"}


def test_a_key_held_by_a_label_not_in_the_list_is_refused(admin_client, db):
    """The list filtered to active labels: the key of an inactive one counts too."""
    Label.objects.create(name="Rumour", slug="rumour", shortcut="4", active=False)
    response = post_list(admin_client, "?active__exact=1", claim="4")
    assert response.status_code == 200
    assert row_errors(response) == {"claim": ["“Rumour” has this shortcut key too."]}
    assert keys()["claim"] == "1"


@pytest.mark.parametrize("key", sorted(RESERVED_SHORTCUTS))
def test_the_list_refuses_a_key_the_review_page_uses(admin_client, db, key):
    """j, k, n, p, ?, [, ], v, s, l, c: the row's error names what the key does there,
    and nothing is stored."""
    response = post_list(admin_client, denial=key)
    assert response.status_code == 200
    assert row_errors(response) == {
        "denial": [
            f"“{key}” is a key of the review page: it is used to {RESERVED_SHORTCUTS[key]}, "
            "and a label on it would take that away. Choose another key."
        ]
    }
    assert keys()["denial"] == "2"


def test_the_change_form_refuses_a_key_the_review_page_uses(admin_client, db):
    claim = Label.objects.get(slug="claim")
    url = reverse("admin:annotations_label_change", args=[claim.pk])
    data = {
        "name": claim.name,
        "slug": claim.slug,
        "colour": claim.colour,
        "shortcut": "j",
        "order": claim.order,
        "active": "on",
        "takes_verdict": "on",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["shortcut"] == [
        "“j” is a key of the review page: it is used to go to the next span, and a label "
        "on it would take that away. Choose another key."
    ]
    assert keys()["claim"] == "1"


def test_a_saved_list_says_so(admin_client, db):
    response = post_list(admin_client, claim="2", denial="1")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "2 labels were changed successfully."
    ]


@pytest.mark.parametrize("key", ["j", "?", " "])
def test_model_validation_refuses_reserved_keys_for_any_writer(db, key):
    """Label.full_clean (what any form or command calls) refuses them too."""
    rumour = Label(name="Rumour", slug="rumour", shortcut=key)
    with pytest.raises(ValidationError) as caught:
        rumour.full_clean()
    assert "shortcut" in caught.value.message_dict


def test_a_free_key_is_accepted(db):
    Label(name="Rumour", slug="rumour", shortcut="4").full_clean()


# Keys the review page's scripts compare with a single character, and why a label may
# still use one: z only with Ctrl (Ctrl+Z undoes), t only while linking (when every key
# is taken by the linking).
NOT_RESERVED = {"z": "Ctrl+Z only", "t": "while linking only"}


def test_every_key_the_review_page_binds_is_reserved():
    """Read from review.js, editor.js and relations.js: a key bound there and not in
    RESERVED_SHORTCUTS fails here, so the list cannot fall behind the page."""
    bound = set()
    for name in ("review.js", "editor.js", "relations.js"):
        text = (SCRIPTS / name).read_text()
        bound |= set(re.findall(r'key\s*[!=]==\s*"(.)"', text))
    assert bound, "no key found in the scripts"
    assert bound - set(NOT_RESERVED) == set(RESERVED_SHORTCUTS)
