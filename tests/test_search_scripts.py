"""Search in scripts whose words hold combining marks (Devanagari, Bengali, Tamil, Arabic
with harakat) and in Thai: words match whole, and no highlight or snippet cuts a grapheme
cluster. The same tests run on SQLite and PostgreSQL (DATABASE_URL picks)."""

import re
import unicodedata

import pytest
from django.urls import reverse

from annotations.models import Article
from annotations.search import search
from annotations.search.marks import render_marked
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def found(text: str) -> list[str]:
    return [a.title for a in search(Article.objects.all(), text)[0:100]]


def snippet(client, q: str) -> str:
    response = client.get(reverse("article-list"), {"q": q})
    assert response.status_code == 200
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', response.content.decode(), re.S)
    assert snippets, "no snippet on the page"
    return snippets[0]


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def assert_no_cut_cluster(html: str) -> None:
    """No <mark> starts on a combining mark, and none ends before one."""
    for match in re.finditer(r"<mark>(.)|(.)</mark>(.)", html):
        first, _, after = match.groups()
        assert first is None or unicodedata.category(first)[0] != "M", html
        assert after is None or unicodedata.category(after)[0] != "M", html


@pytest.fixture
def scripts(db):
    return {
        "hindi": make_article("आज का हिन्दी समाचार पत्र छपा।", title="Hindi paper"),
        "bengali": make_article("আজকের বাংলা সংবাদপত্র প্রকাশিত হয়েছে।", title="Bengali paper"),
        "tamil": make_article("இன்று தமிழ் செய்தி வெளியானது.", title="Tamil news"),
        "arabic": make_article("كَتَبَ الوَلَدُ الدَّرْسَ", title="Arabic harakat"),
        "thai": make_article("วันนี้มีข่าวภาษาไทยมากมาย", title="Thai news"),
    }


@pytest.mark.parametrize(
    ("piece", "whole"),
    [
        ("दो", "हिन्दी"),  # not in the text at all as a word: once found as "द"
        ("न", "समाचार"),
        ("हि", "पत्र"),
        ("पत", "हिन्दी"),
        ("ব", "বাংলা"),
        ("সংবাদপত", "সংবাদপত্র"),
        ("த", "தமிழ்"),
        ("தம", "செய்தி"),
        ("ك", "كَتَبَ"),
        ("الو", "الوَلَدُ"),
    ],
)
def test_a_piece_of_a_word_finds_nothing_and_the_whole_word_does(scripts, piece, whole):
    assert found(piece) == []
    assert found(whole) != []


def test_a_phrase_in_devanagari_is_found_and_marked_whole(reviewer_client, scripts):
    assert found('"हिन्दी समाचार"') == ["Hindi paper"]
    html = snippet(reviewer_client, "हिन्दी समाचार")
    assert marked(html) == ["हिन्दी", "समाचार"] or marked(html) == ["हिन्दी समाचार"]
    assert_no_cut_cluster(html)


@pytest.mark.parametrize(
    ("q", "word"),
    [("पत्र", "पत्र"), ("সংবাদপত্র", "সংবাদপত্র"), ("தமிழ்", "தமிழ்"), ("الوَلَدُ", "الوَلَدُ")],
)
def test_a_word_with_marks_is_highlighted_whole(reviewer_client, scripts, q, word):
    html = snippet(reviewer_client, q)
    assert marked(html) == [word]
    assert_no_cut_cluster(html)


def test_thai_is_a_substring_search_whose_mark_keeps_the_vowel_sign(reviewer_client, scripts):
    """Thai has no spaces: a substring matches (README), and a consonant searched for is
    marked with its vowel sign (ข่ is ข + the tone mark ่), never cut from it."""
    assert found("ภาษาไทย") == ["Thai news"]
    html = snippet(reviewer_client, "ภาษาไทย")
    assert marked(html) == ["ภาษาไทย"]
    html = snippet(reviewer_client, "ข")
    assert marked(html) == ["ข่"]
    assert_no_cut_cluster(html)


def test_render_marked_widens_a_substring_to_whole_clusters():
    assert str(render_marked("ข่าว", ["ข"])) == "<mark>ข่</mark>าว"
    assert str(render_marked("ข่าว", ["\u0e48"])) == "<mark>ข่</mark>าว"
    # Two matches inside one cluster are one mark.
    assert str(render_marked("ก\u0e34\u0e48", ["\u0e34", "\u0e48"])) == "<mark>ก\u0e34\u0e48</mark>"


def test_a_snippet_window_does_not_start_or_end_inside_a_cluster(reviewer_client):
    """A substring match far into a long body: the window's cut ends fall between
    clusters (here every cluster is consonant + mark, so an even cut would split one)."""
    body = "ก\u0e34" * 150 + "โตเกียว" + "ข\u0e48" * 150
    make_article(body, title="Long Thai")
    html = snippet(reviewer_client, "โตเกียว")
    text = html.replace("<mark>", "").replace("</mark>", "").strip("…")
    assert unicodedata.category(text[0])[0] != "M"
    assert unicodedata.category(text[-1])[0] == "M"  # the last cluster is whole
    assert "<mark>โตเกียว</mark>" in html
