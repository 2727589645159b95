"""Importing into a collection, from the import page and from the command: new articles
and those already here join it; an unknown collection stops before anything is imported."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.models import Article
from tests.desk_factories import make_collection
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db
TEXT = "Title: Bridge\n\nThe minister said the bridge is safe.\n"


def upload(name, text):
    return SimpleUploadedFile(name, text.encode("utf-8"))


def test_the_import_page_adds_new_and_present_articles(editor_client):
    desk = make_collection("Desk")
    present = make_article("Already here, word for word.")
    response = editor_client.post(
        reverse("import"),
        {
            "files": [upload("a.txt", TEXT), upload("b.txt", "Already here, word for word.")],
            "collection": "desk",
        },
    )
    assert response.status_code == 200
    new = Article.objects.exclude(pk=present.pk).get()
    assert set(desk.articles.values_list("pk", flat=True)) == {new.pk, present.pk}
    assert "2 articles added to" in response.content.decode()


def test_an_unknown_collection_imports_nothing(editor_client):
    response = editor_client.post(
        reverse("import"), {"files": [upload("a.txt", TEXT)], "collection": "nope"}
    )
    assert response.status_code == 422
    assert "There is no such collection among those you manage" in response.content.decode()
    assert not Article.objects.exists()


def test_a_global_editor_is_offered_every_collection(client):
    client.force_login(make_user("lena", role="editor"))
    make_collection("Desk")
    make_collection("Archive")
    form = client.get(reverse("import")).context["form"]
    assert [c.name for c in form.fields["collection"].queryset] == ["Archive", "Desk"]


def test_the_command_imports_into_a_collection(tmp_path):
    desk = make_collection("Election Desk")
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    out = StringIO()
    call_command("import_articles", str(tmp_path), "--collection", "election desk", stdout=out)
    assert "1 added to the collection Election Desk" in out.getvalue()
    assert desk.articles.count() == 1
    # Again: already present, already in it.
    out = StringIO()
    call_command("import_articles", str(tmp_path), "--collection", "Election Desk", stdout=out)
    assert "0 added to the collection Election Desk" in out.getvalue()


def test_the_command_refuses_an_unknown_collection_first(tmp_path):
    make_collection("Desk")
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    with pytest.raises(CommandError, match=r"No collection named “Nope”\. Collections: Desk\."):
        call_command("import_articles", str(tmp_path), "--collection", "Nope", stdout=StringIO())
    assert not Article.objects.exists()


def test_an_article_already_here_the_importer_sees_only_in_part_is_not_added(client):
    """A reviewer with the import right who edits a collection uploads the text of an
    article they see only their own spans of (blind): the import finds it present and
    does not put it into their collection, which would make them its editor and show them
    every reviewer's spans. A new article from the same upload joins; the page says why
    the other did not."""
    from django.contrib.auth.models import Permission

    ivo = make_user("ivo", role="reviewer")
    ivo.user_permissions.add(Permission.objects.get(codename="import_articles"))
    secret = make_article("Already here, in a blind desk.")
    make_collection("Blind", members=[ivo], articles=[secret], blind=True)
    own = make_collection("Own", editors=[ivo])
    client.force_login(ivo)
    response = client.post(
        reverse("import"),
        {
            "files": [upload("a.txt", TEXT), upload("b.txt", "Already here, in a blind desk.")],
            "collection": "own",
        },
    )
    assert response.status_code == 200
    new = Article.objects.exclude(pk=secret.pk).get()
    assert list(own.articles.values_list("pk", flat=True)) == [new.pk]
    page = response.content.decode()
    assert "1 article added to" in page
    assert "1 article already here was not added: only articles you can open and see" in page


def test_an_importer_cannot_rewrite_or_name_an_article_they_may_not_open(client):
    """A reviewer with the import right uploads a new text for the address of an article
    only another desk may open: it is not made a revision (nothing changes), the line
    says why without the article's title, and the report does not name it either."""
    from django.contrib.auth.models import Permission

    from annotations.models import ArticleRevision

    ivo = make_user("ivo", role="reviewer")
    ivo.user_permissions.add(Permission.objects.get(codename="import_articles"))
    closed = make_article("The closed desk's text.", title="Closed dossier")
    closed.source_url = "https://ex.org/a5"
    closed.save()
    make_collection("Closed desk", articles=[closed], requires_assignment=True)
    client.force_login(ivo)
    line = '{"title": "Rewritten", "body": "A new text.", "source_url": "https://ex.org/a5"}'
    present = make_article("Already here, in the closed desk too.", title="Hidden title")
    make_collection("Closed too", articles=[present], requires_assignment=True)
    response = client.post(
        reverse("import"),
        {
            "files": [
                upload("a.jsonl", line + "\n"),
                upload("b.txt", "Already here, in the closed desk too."),
            ]
        },
    )
    assert response.status_code == 200
    closed.refresh_from_db()
    assert (closed.title, closed.body) == ("Closed dossier", "The closed desk's text.")
    assert not ArticleRevision.objects.exists()
    page = response.content.decode()
    assert "you may not open it or see all of it; nothing was changed" in page
    assert "Closed dossier" not in page and "Hidden title" not in page
    assert "an article you may not open" in page


def test_a_new_text_that_is_a_closed_articles_does_not_name_it():
    """A new text for an article the importer may revise, which is word for word an
    article they may not open (the import finds that first; a second import can store it
    in between): refused without naming that other article, nothing changed."""
    from django.contrib.auth.models import Permission
    from django.core.exceptions import ValidationError

    from annotations.services.revisions import revise_article

    ivo = make_user("ivo", role="reviewer")
    ivo.user_permissions.add(Permission.objects.get(codename="import_articles"))
    own = make_article("The open text of the page.", title="Open page")
    closed = make_article("The closed desk's own words.", title="Closed dossier")
    make_collection("Closed desk", articles=[closed], requires_assignment=True)
    with pytest.raises(ValidationError) as refused:
        revise_article(article=own, title="Open page", body=closed.body, actor=ivo)
    assert refused.value.messages == [
        "This text is already another article's; the article was not changed."
    ]
    own.refresh_from_db()
    assert own.body == "The open text of the page."
