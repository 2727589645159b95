"""Saved web pages: the article's text without the page's furniture, and its metadata.

These also pin down what trafilatura gets wrong on its own (see html.py's docstring) and
the work-arounds: `<br><br>` as a paragraph break, the <h1> repeated as the first line,
a date without its time, a login page's menu taken for an article, a footer's year
taken for the date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import trafilatura

from annotations.importers import format_for, html
from annotations.importers.base import ImportRefused
from annotations.importers.decoding import decode_bytes
from annotations.importers.reading import read_text_file

FIXTURES = Path(__file__).parent / "import_fixtures"


def _page(name: str) -> str:
    return decode_bytes((FIXTURES / name).read_bytes()).text


@pytest.fixture(scope="module")
def news():
    [record] = html.parse(_page("news_page.html")).records
    return record


def test_article_text_keeps_every_paragraph_and_word(news):
    """Paragraphs are kept as paragraphs; the words inside <strong>, <a> and <em> are in
    place, neither split nor dropped."""
    paragraphs = news.body.split("\n\n")
    assert paragraphs[0].startswith("The city’s engineers said on Thursday that the Old Harbour")
    assert "that the Old Harbour Bridge is safe to use" in news.body
    assert "said chief engineer María López, adding" in news.body
    assert "The inspection cost €1.2 million, according to the council." in news.body
    assert paragraphs[-1].startswith("Opposition councillor Peter Grant said")
    assert len(paragraphs) == 5


def test_double_line_break_is_a_paragraph_break(news):
    """trafilatura alone turns `<br><br>` into one line break; we keep the paragraph."""
    assert "since 20 February.\n\nTraffic will resume" in news.body
    assert "\ue000" not in news.body  # the mark used for it never stays


def test_trafilatura_alone_merges_double_line_breaks():
    """The finding the work-around is for: if this starts failing, trafilatura was fixed
    and the marking in html.py can go."""
    plain = trafilatura.extract(_page("news_page.html"), output_format="xml")
    assert "since 20 February.<lb/>Traffic will resume" in plain


@pytest.mark.parametrize(
    "furniture",
    [
        "We use cookies",  # cookie banner
        "Accept all cookies",
        "Politics",  # navigation
        "ADVERTISEMENT",  # ads
        "Cheap flights",
        "Related stories",  # related links
        "Council budget approved",
        "cover-up",  # comments
        "Finally some good news",
        "tracking code",  # script
        "font-family",  # style
        "All rights reserved",  # footer
        "By Jane Doe and Omar Haddad",  # the byline, which is the author
    ],
)
def test_page_furniture_is_left_out(news, furniture):
    assert furniture not in news.body


def test_headline_is_the_title_not_the_first_line(news):
    assert news.title == "Bridge declared safe after inspection"
    assert not news.body.startswith("Bridge declared safe")


def test_metadata_comes_from_json_ld_and_meta(news):
    """Authors from JSON-LD (trafilatura would write "Jane Doe; Omar Haddad"), the time of
    publication with its offset (htmldate gives the day only), the canonical URL, the
    publisher and the language."""
    assert news.author == "Jane Doe, Omar Haddad"
    assert news.published_at == datetime(2024, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert news.source_url == "https://news.example.com/2024/03/bridge-safe"
    assert news.publisher == "The Daily Example"
    assert news.metadata["language"] == "en"
    assert news.metadata["extractor"].startswith("trafilatura ")


def test_meta_tags_serve_when_there_is_no_json_ld():
    page = _page("news_page.html")
    start = page.index('<script type="application/ld+json">')
    page = page[:start] + page[page.index("</script>", start) + len("</script>") :]
    [record] = html.parse(page).records
    assert record.title == "Bridge declared safe after inspection"
    assert record.author == "Jane Doe"  # <meta name="author">
    assert record.published_at == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)
    # JSON-LD's address is gone: the canonical link, as the page wrote it.
    assert record.source_url == "https://news.example.com/2024/03/bridge-safe?utm_source=feed"
    assert record.publisher == "The Daily Example"  # og:site_name


def test_text_follows_the_text_contract(news):
    """NFC, "\\n" newlines, no control characters but newline and tab."""
    import unicodedata

    for value in (news.body, news.title, news.author, news.publisher):
        assert unicodedata.is_normalized("NFC", value)
        assert "\r" not in value
        assert not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value)


def test_windows_1252_page_is_decoded_by_its_declaration():
    read = read_text_file("cafe.html", (FIXTURES / "cp1252_page.html").read_bytes())
    assert read.reason == ""
    assert read.encoding == "windows-1252"
    [record] = read.chunks[0].records
    assert record.title == "Café owners “delighted” by new rules"
    assert "Renée François, who has run the Café de la Gare" in record.body
    assert "–" in record.body and "Ã" not in record.body


def test_page_with_no_article_is_refused():
    """A login page: trafilatura offers its menu and form labels; we refuse it."""
    with pytest.raises(ImportRefused, match="The page has no article text"):
        html.parse(_page("no_article.html"))
    assert trafilatura.extract(_page("no_article.html"))  # the finding: it returns something


def test_footer_year_is_not_taken_for_the_date():
    page = (
        _page("no_article.html")
        .replace("<form", "<article><p>" + "A sentence long enough to count as an article. " * 5)
        .replace("</form>", "</p></article>")
    )
    [record] = html.parse(page).records
    assert record.published_at is None


def test_fetched_page_takes_the_fetched_address():
    [record] = html.parse(_page("news_page.html"), url="https://mirror.example.org/a").records
    assert record.source_url == "https://mirror.example.org/a"
    assert record.metadata["canonical_url"] == "https://news.example.com/2024/03/bridge-safe"


def test_javascript_canonical_is_not_kept():
    page = _page("news_page.html").replace(
        '"mainEntityOfPage": "https://news.example.com/2024/03/bridge-safe"',
        '"mainEntityOfPage": "javascript:alert(1)"',
    )
    [record] = html.parse(page).records
    assert not record.source_url.startswith("javascript:")


def test_markup_in_metadata_is_text_not_stripped_further():
    """A title holding "<b>" (as text, escaped in the page) stays text, to be shown escaped."""
    page = _page("news_page.html").replace(
        '"headline": "Bridge declared safe after inspection"',
        '"headline": "Bridge <b>declared</b> safe"',
    )
    [record] = html.parse(page).records
    assert record.title == "Bridge <b>declared</b> safe"


def test_html_is_recognised_by_content_even_as_txt():
    page = _page("news_page.html")
    assert format_for("saved.html", page).name == "html"
    assert format_for("saved-page.txt", page).name == "html"
    assert format_for("notes.txt", "Title\nJust text.").name == "plain-text"
    assert format_for("m.txt", '<meta charset="utf-8">\n<html><body>x').name == "html"
    # An article about markup, quoting a tag, is still plain text.
    about = "Why <body> tags matter\nThe <html> and <body> elements frame every page."
    assert format_for("about.txt", about).name == "plain-text"


def test_trafilatura_metadata_findings_the_work_arounds_are_for():
    """What trafilatura's own metadata says on these pages (html.py's docstring): several
    authors joined by "; ", the date without its time, and, searching the whole page,
    a login page's "© 2024" taken for 1 January 2024."""
    found = trafilatura.bare_extraction(_page("news_page.html"), with_metadata=True)
    assert found.author == "Jane Doe; Omar Haddad"
    assert found.date == "2024-03-14"
    login = trafilatura.bare_extraction(_page("no_article.html"), with_metadata=True)
    assert login.date == "2024-01-01"


def test_markup_that_breaks_htmldate_gets_a_message_not_a_crash():
    """Found by fuzzing: on "<svg><p><li>" htmldate fails an assertion inside lxml. The
    page is then read without trafilatura's metadata; here the words are inside the
    <svg>, which is not article text, so the answer is our refusal."""
    page = "<svg><p><li>" + "Words of an article that is long enough to be one. " * 3
    with pytest.raises(AssertionError):
        trafilatura.bare_extraction(
            page,
            with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    with pytest.raises(ImportRefused, match="The page has no article text"):
        html.parse(page)


def test_a_chinese_article_is_an_article():
    """No spaces, so no "words" to count: its letters count instead. (A page with only
    two short paragraphs, under trafilatura's 250 characters, is taken whole, menu and
    all: its fallback for short pages; a real article is longer.)"""
    page = (
        "<html><head><title>新桥梁通过安全检查</title></head><body><nav>首页 新闻 体育</nav>"
        "<article><h1>新桥梁通过安全检查</h1>"
        "<p>北京市政府周四表示，经过三周的检查，老港桥可以安全使用，裂缝只存在于油漆中。</p>"
        "<p>市议会说，周一上午将恢复交通，重型卡车的限速将降低，直到重新油漆完成。</p>"
        "<p>首席工程师玛丽亚·洛佩斯说：“我们没有发现任何结构性损坏。”她补充说，检查费用为一百二十万欧元。</p>"
        "<p>反对派议员彼得·格兰特表示，关闭大桥是“过度反应”，并要求公布完整的检查报告。</p>"
        "<p>自二月二十日以来，居民一直被要求避开这座桥，许多通勤者不得不绕行一个多小时。</p>"
        "</article></body></html>"
    )
    [record] = html.parse(page).records
    assert record.title == "新桥梁通过安全检查"
    assert record.body.startswith("北京市政府周四表示")
    assert "首页" not in record.body


def test_an_invisible_headline_gives_way_to_the_next_title():
    """A headline of zero-width characters is none (offsets.is_blank): the og:title is
    the title, not the invisible one (which the import would refuse as no title)."""
    page = (
        _page("news_page.html")
        .replace(
            '"headline": "Bridge declared safe after inspection"', '"headline": "\\u200b\\u2060"'
        )
        .replace(
            '<meta property="og:title" content="Bridge declared safe after inspection">',
            '<meta property="og:title" content="Bridge safe, say engineers">',
        )
    )
    [record] = html.parse(page).records
    assert record.title == "Bridge safe, say engineers"
