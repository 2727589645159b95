"""Full-text search on the article list (annotations/search/), on SQLite and PostgreSQL:
the same tests run on both (DATABASE_URL picks the database)."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import search as search_module
from annotations.models import Article
from annotations.search import parse, search
from tests.factories import make_annotation, make_article

pytestmark = pytest.mark.django_db


def found(text: str, articles=None) -> list[str]:
    """Titles of the articles the search finds, best first."""
    results = search(articles if articles is not None else Article.objects.all(), text)
    return [article.title for article in results[0:100]]


def listed(client, q: str, **params) -> str:
    response = client.get(reverse("article-list"), {"q": q, **params})
    assert response.status_code == 200
    return response.content.decode()


def titles_on_page(html: str) -> list[str]:
    return re.findall(r'<td class="title-cell"><a href="[^"]+">(.*?)</a>', html)


@pytest.fixture
def desk(db):
    """A few articles whose words sit in different fields."""
    return {
        "bridge": make_article(
            "The minister said the bridge is safe.\nEngineers disagreed on Tuesday.",
            title="Bridge inspection report",
            author="Renée Dupont",
            publisher="Le Quotidien",
        ),
        "harbour": make_article(
            "Fishermen at the harbour complained about the new quota rules.",
            title="Harbour quota dispute",
            author="Sam Okafor",
        ),
        "tokyo": make_article(
            "本日、東京都庁で記者会見が行われた。習近平国家主席の訪問について説明した。",
            title="記者会見の報告",
        ),
        "arabic": make_article("قال الوزير إن الجسر آمن تماما", title="تصريح الوزير"),
        "emoji": make_article("Fans cheered 🎉 at the final whistle.", title="Cup final"),
    }


# --- what is found -------------------------------------------------------------------------


def test_a_word_only_in_the_body_finds_the_article(desk):
    """ "Engineers" occurs only in a body: that article, and only it, is found."""
    assert found("engineers") == ["Bridge inspection report"]


def test_a_title_word_finds_the_article(desk):
    assert found("inspection") == ["Bridge inspection report"]


def test_an_authors_name_finds_the_article(desk):
    """The author is searched ("Okafor" is in no title or body)."""
    assert found("Okafor") == ["Harbour quota dispute"]


def test_the_publisher_is_searched(desk):
    assert found("quotidien") == ["Bridge inspection report"]


def test_words_are_whole_words_and_all_must_occur(desk):
    """Every word must occur ("bridge harbour" is in no one article); a part of a word
    is not a word ("quot" is not "quota")."""
    assert found("bridge harbour") == []
    assert found("bridge minister") == ["Bridge inspection report"]
    assert found("quot") == []


def test_case_and_accents_are_folded(desk):
    """ "RENEE", "renée" and "Renee" all find Renée Dupont."""
    for typed in ("RENEE", "renée", "Renee"):
        assert found(typed) == ["Bridge inspection report"], typed


def test_a_decomposed_query_finds_the_nfc_article(desk):
    """ "Rene\\u0301e" (NFD, as some keyboards send it) finds the NFC "Renée"."""
    assert found("Rene\u0301e Dupont") == ["Bridge inspection report"]


def test_a_cjk_word_inside_a_longer_run_is_found(desk):
    """Scripts without spaces match as substrings: 東京 (two characters) and 東京都庁
    (four) inside 本日、東京都庁で...; a Chinese name 習近平 inside a run."""
    assert found("東京") == ["記者会見の報告"]
    assert found("東京都庁") == ["記者会見の報告"]
    assert found("習近平") == ["記者会見の報告"]
    assert found("大阪") == []


def test_cjk_and_words_combine(desk):
    """A CJK run and a word in one query: both must occur."""
    make_article("東京 marathon results", title="Marathon")
    assert found("東京 marathon") == ["Marathon"]
    assert found("東京 bridge") == []


def test_arabic_and_emoji_queries(desk):
    assert found("الجسر") == ["تصريح الوزير"]
    assert found("🎉") == ["Cup final"]


def test_phrase_exclusion_and_or(desk):
    """websearch syntax: "a phrase" in order, -word excludes, "a or b" either."""
    assert found('"bridge is safe"') == ["Bridge inspection report"]
    assert found('"safe is bridge"') == []
    assert sorted(found("quota or engineers")) == [
        "Bridge inspection report",
        "Harbour quota dispute",
    ]
    assert sorted(found("the -harbour")) == ["Bridge inspection report", "Cup final"]


def test_a_title_match_ranks_above_a_body_match(db):
    """The article with the word in its title comes first, the body-only one after, even
    when the body says it three times."""
    make_article("Nothing about it here.", title="Volcano erupts overnight")
    make_article("The volcano, the volcano, the volcano.", title="Island news")
    assert found("volcano") == ["Volcano erupts overnight", "Island news"]


def test_search_keeps_status_and_label_filters(reviewer_client, reviewer, desk):
    """Search, status and label filters combine: all must hold."""
    desk["harbour"].status = Article.Status.REVIEWED
    desk["harbour"].save()
    make_annotation(desk["bridge"], 0, 3, author=reviewer)
    assert titles_on_page(listed(reviewer_client, "the", status="reviewed")) == [
        "Harbour quota dispute"
    ]
    assert titles_on_page(listed(reviewer_client, "the", label="claim")) == [
        "Bridge inspection report"
    ]


# --- snippets ------------------------------------------------------------------------------


def test_the_list_shows_a_highlighted_snippet_and_the_id(reviewer_client, desk):
    """The matching words are marked in the snippet under the title; each row shows the
    article's id."""
    html = listed(reviewer_client, "engineers")
    assert '<p class="snippet">' in html
    assert "<mark>Engineers</mark> disagreed" in html
    assert f'<td class="num id-col muted">{desk["bridge"].pk}</td>' in html


def test_a_cjk_match_is_marked_in_the_snippet(reviewer_client, desk):
    html = listed(reviewer_client, "東京")
    assert "<mark>東京</mark>都庁" in html


def test_article_text_in_a_snippet_is_escaped(reviewer_client):
    """A body and title with <script> show as text: the only tags in the snippet are our
    <mark>s."""
    make_article(
        'Before <script>alert("x")</script> the rally & the <b>march</b> began.',
        title="<img src=x onerror=alert(1)> rally",
    )
    html = listed(reviewer_client, "rally")
    results = html[html.index('id="results"') :]
    assert "<script>alert" not in results and "<img src=x" not in results
    assert "<b>march" not in results
    assert (
        "Before &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; the <mark>rally</mark>" in results
    )
    assert "&amp; the &lt;b&gt;march&lt;/b&gt;" in results
    assert "&lt;img src=x onerror=alert(1)&gt; rally" in results
    snippet = re.search(r'<p class="snippet">(.*?)</p>', results).group(1)
    assert set(re.findall(r"</?(\w+)", snippet)) == {"mark"}


def test_marks_stay_balanced_when_the_text_contains_the_sentinels(db):
    """Our private-use sentinels inside an article's own text cannot open a tag that is
    never closed, nor anything but <mark>."""
    html = search_module.render_marked("a \ue001 b \ue000c\ue000 d <i>")
    assert html == "a  b <mark>c d &lt;i&gt;</mark>"


# --- bad input -----------------------------------------------------------------------------


NOTHING_TO_SEARCH = "Nothing to search for"


@pytest.mark.parametrize(
    "q",
    ["!!!", "&|!", "((", "-", '"', "*", "^", "--", '""', "( ) : ; '", "\u200b"],
)
def test_a_search_with_nothing_to_look_for_says_so(reviewer_client, desk, q):
    """Only punctuation or syntax: a 200 with a note, no results, nothing stored."""
    before = Article.objects.count()
    html = listed(reviewer_client, q)
    assert NOTHING_TO_SEARCH in html and "No articles match" in html
    assert titles_on_page(html) == []
    assert Article.objects.count() == before


@pytest.mark.parametrize(
    "q, expected",
    [
        ("' OR 1=1 --", []),
        ("bridge' OR '1'='1", []),
        ('"bridge is', ["Bridge inspection report"]),  # unbalanced quote: a phrase to the end
        ('bridge"', ["Bridge inspection report"]),
        ("NEAR(bridge safe)", []),  # "near" is a word like any other
        ("bridge AND", []),  # "and" too: no article has bridge and "and"
        ("bridge*", ["Bridge inspection report"]),
        ("^bridge", ["Bridge inspection report"]),
        ("title:bridge", []),  # no column filters: "title" is a word
        ("bridge; DROP TABLE annotations_article", []),
        ("-bridge -harbour -東京 -الجسر -cup", []),
        ("🎉🎉🎉", []),
    ],
)
def test_hostile_queries_are_plain_words(reviewer_client, desk, q, expected):
    """SQL-ish text and FTS5/tsquery syntax are searched as words, never run as syntax:
    a 200 with the clear answer, and nothing stored."""
    before = Article.objects.count()
    html = listed(reviewer_client, q)
    assert titles_on_page(html) == expected
    if not expected:
        assert "No articles match" in html
    assert Article.objects.count() == before


def test_fts_keywords_are_found_as_words(db):
    """AND, NEAR and OR between nothing are words an article can contain."""
    make_article("Bread and butter near the river.", title="Breakfast")
    assert found("AND") == ["Breakfast"]
    assert found("NEAR") == ["Breakfast"]
    assert found("bread AND butter") == ["Breakfast"]


def test_a_10000_character_query_is_shortened_with_a_note(reviewer_client, desk):
    """A 10,000-character search is cut to 200 characters (before the word the cut would
    split: "bridge xxxx…" searches "bridge"), answered, and says so."""
    html = listed(reviewer_client, "bridge " + "x" * 10_000)
    assert "The search was shortened to its first 200 characters." in html
    assert titles_on_page(html) == ["Bridge inspection report"]
    html = listed(reviewer_client, "bridge " + "minister " * 2000)
    assert titles_on_page(html) == ["Bridge inspection report"]


def test_a_nul_in_the_query_is_dropped(reviewer_client, desk):
    """%00 inside a word is removed by the view (PostgreSQL refuses NUL)."""
    response = reviewer_client.get("/?q=engi%00neers")
    assert response.status_code == 200
    assert titles_on_page(response.content.decode()) == ["Bridge inspection report"]
    html = reviewer_client.get("/?q=%00").content.decode()
    assert len(titles_on_page(html)) == 5  # nothing left: no search, the whole list


def test_many_terms_are_capped(db):
    """More than 32 terms: the first 32 are searched, and the query says it was shortened."""
    query = parse(" ".join(f"w{i}" for i in range(50)))
    assert len(query.clauses) == 32 and query.shortened


def test_parse_reads_websearch_syntax():
    query = parse('"Big bridge" -toll 東京都 a or b')
    assert [[(t.kind, t.text, t.negated) for t in clause] for clause in query.clauses] == [
        [("words", "Big bridge", False)],
        [("words", "toll", True)],
        [("substring", "東京都", False)],
        [("words", "a", False), ("words", "b", False)],
    ]


# --- the index follows the articles ----------------------------------------------------------


def test_an_edited_title_and_body_are_searched_at_once(desk):
    """After a save through the ORM, the old words are gone from the index and the new
    ones are there."""
    article = desk["harbour"]
    article.title = "Lighthouse keeper retires"
    article.body = "After forty years the keeper handed over the lamp."
    article.save()
    assert found("harbour") == []
    assert found("quota") == []
    assert found("lighthouse") == ["Lighthouse keeper retires"]
    assert found("forty") == ["Lighthouse keeper retires"]


def test_an_update_of_other_fields_keeps_the_index(desk):
    """Changing the status (update_fields) leaves the article findable."""
    article = desk["harbour"]
    article.status = Article.Status.IN_REVIEW
    article.save(update_fields=["status"])
    Article.objects.filter(pk=article.pk).update(author="Samuel Okafor")
    assert found("samuel") == ["Harbour quota dispute"]
    assert found("quota") == ["Harbour quota dispute"]


def test_a_deleted_article_is_not_found(desk):
    desk["bridge"].delete()
    Article.objects.filter(pk=desk["tokyo"].pk).delete()
    assert found("engineers") == []
    assert found("東京都庁") == []
    assert found("東京") == []


def test_imported_articles_are_searchable(db, tmp_path):
    """The importer's bulk INSERTs are indexed too (triggers on SQLite, the generated
    column on PostgreSQL)."""
    lines = [
        {"title": "Imported flood warning", "text": "The river Aare rose overnight in 大阪府."},
        {"title": "Imported second", "text": "Nothing to see."},
    ]
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines))
    call_command("import_articles", str(path), stdout=io.StringIO())
    assert found("aare") == ["Imported flood warning"]
    assert found("大阪") == ["Imported flood warning"]


# --- queries -----------------------------------------------------------------------------


def test_search_queries_do_not_grow_with_results(reviewer_client, django_assert_num_queries):
    """A search runs the same number of queries for 2 and for 40 matching articles
    (count, page, snippets for the page, label counts)."""
    make_article("Common word pelican one."), make_article("Common word pelican two.")
    reviewer_client.get(reverse("article-list"), {"q": "pelican"})
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(reverse("article-list"), {"q": "pelican"})
    for i in range(38):
        make_article(f"Pelican number {i} flew by.")
    with django_assert_num_queries(len(few.captured_queries)):
        html = listed(reviewer_client, "pelican")
    assert html.count('class="title-cell"') == 40
    assert html.count('<p class="snippet">') == 40


def test_a_cjk_search_runs_as_many_queries(reviewer_client, django_assert_num_queries):
    """A substring (CJK) search costs the same queries as a word search."""
    make_article("今日は東京都で雨", title="一"), make_article("明日も東京で晴れ", title="二")
    make_article("A pelican.", title="三"), make_article("Two pelican.", title="四")
    reviewer_client.get(reverse("article-list"), {"q": "pelican"})
    with CaptureQueriesContext(connection) as words:
        reviewer_client.get(reverse("article-list"), {"q": "pelican"})
    with django_assert_num_queries(len(words.captured_queries)):
        html = listed(reviewer_client, "東京")
    assert sorted(titles_on_page(html)) == ["一", "二"]


def test_pages_of_a_search_keep_the_query(reviewer_client):
    """Pagination links carry q, and page 2 continues the ranking."""
    for i in range(55):
        make_article(f"Heron sighting {i}.", title=f"Heron {i:02d}")
    html = listed(reviewer_client, "heron")
    assert "q=heron" in html and "55 articles" in html
    second = listed(reviewer_client, "heron", page=2)
    assert len(titles_on_page(html)) == 50 and len(titles_on_page(second)) == 5
    assert not set(titles_on_page(html)) & set(titles_on_page(second))
