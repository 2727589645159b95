"""What an import's result keeps of its articles (importers/refs.py): every id, the first
few whole; and repeated texts in one file, reported once stored (importers/file_store.py)."""

from __future__ import annotations

import pytest

from annotations.importers import file_store, refs, revising, service
from annotations.importers.refs import ArticleRef, Refs
from annotations.models import Article

from .import_helpers import run, stored, write
from .test_import_service_formats import jsonl

pytestmark = pytest.mark.django_db


def test_refs_keep_every_id_and_the_first_refs_whole(monkeypatch):
    monkeypatch.setattr(refs, "KEPT", 3)
    made = [ArticleRef(n, f"Title {n}") for n in range(1, 8)]
    kept = Refs(made[:5])
    assert len(kept) == 5 and list(kept.ids) == [1, 2, 3, 4, 5]
    assert kept.shown == made[:3]
    more = Refs()
    more.append(made[5])
    more.extend(kept)
    assert list(more.ids) == [6, 1, 2, 3, 4, 5] and more.shown == [made[5], *made[:2]]
    kept.truncate(2)
    assert list(kept.ids) == [1, 2] and kept.shown == made[:2]
    assert not Refs() and bool(kept)


def test_a_large_file_keeps_every_article_id_but_only_the_first_titles(tmp_path, monkeypatch):
    """The result of a file of many articles holds each one's id (what a collection gets)
    but the title of the first KEPT only: memory does not grow with a title a line."""
    monkeypatch.setattr(refs, "KEPT", 4)
    path = write(
        tmp_path / "many.jsonl",
        jsonl(*({"title": f"T{n}", "body": f"Article number {n}."} for n in range(10))),
    )
    result = service.import_path(path)
    ids = list(Article.objects.order_by("id").values_list("id", flat=True))
    assert len(result.created) == 10 and list(result.created.ids) == ids
    assert [ref.title for ref in result.created.shown] == ["T0", "T1", "T2", "T3"]
    assert service.imported_article_ids([result]) == ids


def test_a_repeated_text_in_one_chunk_is_stored_once_and_reported_present(tmp_path):
    path = write(
        tmp_path / "twice.jsonl",
        jsonl(
            {"title": "A", "body": "The same text."},
            {"title": "B", "body": "Another text."},
            {"title": "A again", "body": "The same text."},
        ),
    )
    result = service.import_path(path)
    article = Article.objects.get(body="The same text.")
    assert [ref.title for ref in result.created.shown] == ["A", "B"]
    assert list(result.already_present.ids) == [article.pk]
    assert Article.objects.count() == 2


def test_a_repeat_of_a_revising_line_is_reported_as_that_revision(tmp_path, monkeypatch):
    """The first line revises an article (same URL, new text) and the last repeats that
    text: the repeat is already present, as the revised article."""
    revised = []
    monkeypatch.setattr(
        revising, "_revise_function", lambda: lambda *, article, **kw: revised.append(article)
    )
    run(
        write(
            tmp_path / "1.jsonl",
            jsonl({"body": "Old text.", "source_url": "https://example.com/a"}),
        )
    )
    original = Article.objects.get()
    new = {"title": "A", "body": "New text.", "source_url": "https://example.com/a"}
    result = service.import_path(write(tmp_path / "2.jsonl", jsonl(new, new)))
    assert revised == [original] and list(result.revised.ids) == [original.pk]
    assert list(result.already_present.ids) == [original.pk]
    assert not result.refused_lines and Article.objects.count() == 1


def test_a_repeat_of_a_refused_line_is_refused_too_and_nothing_is_stored(tmp_path, monkeypatch):
    monkeypatch.setattr(revising, "_revise_function", lambda: None)  # a revision is refused
    run(
        write(
            tmp_path / "1.jsonl",
            jsonl({"body": "Old text.", "source_url": "https://example.com/a"}),
        )
    )
    before = stored()
    new = {"title": "A", "body": "New text.", "source_url": "https://example.com/a"}
    result = service.import_path(write(tmp_path / "2.jsonl", jsonl(new, new)))
    assert [line for line, _ in result.refused_lines] == [1, 2]
    assert result.refused_lines[1][1] == file_store.REPEAT_OF_REFUSED
    assert not result.already_present and stored() == before


def test_refused_lines_count_all_and_keep_the_lowest_numbers(monkeypatch):
    monkeypatch.setattr(refs, "KEPT_LINES", 3)
    lines = refs.RefusedLines([(5, "e"), (2, "b"), (9, "i")])
    lines.append((12, "l"))  # past the highest kept: counted only
    lines.append((1, "a"))  # lower: takes the place of 9
    assert sorted(lines) == [(1, "a"), (2, "b"), (5, "e")] and lines.total == 5
    whole = refs.RefusedLines([(None, "whole file")])
    whole.merge(lines, prefix="member.jsonl: ")
    assert whole.total == 6 and len(whole) == 3
    assert (1, "member.jsonl: a") in whole
    whole.clear()
    assert whole == [] and whole.total == 0


def test_a_file_of_bad_lines_counts_them_all_keeps_a_few_and_stores_nothing(tmp_path, monkeypatch):
    """Five thousand bad lines: every one is counted and the first ones are reported by
    number; memory does not hold a reason a line (a 10 MB file of them took 1.1 GB)."""
    monkeypatch.setattr(refs, "KEPT_LINES", 50)
    before = stored()
    path = write(tmp_path / "bad.jsonl", "x\n" * 5_000)
    result = service.import_path(path)
    assert result.refused_count == 5_000 and len(result.refused_lines) == 50
    assert [line for line, _ in result.refused_lines] == list(range(1, 51))
    lines = run(path)
    assert lines[-1] == "0 created, 0 already present, 5000 refused"
    assert f"refused: {path}: and 4950 more lines" in lines  # the 50 kept are listed
    assert stored() == before
