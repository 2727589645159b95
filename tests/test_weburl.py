"""The canonical form of a URL: how an article (and a source) is recognised again."""

import pytest

from annotations.weburl import canonical_url


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("HTTPS://News.Example.ORG/a/b", "https://news.example.org/a/b"),
        ("https://example.org/a/", "https://example.org/a"),
        ("https://example.org/a///", "https://example.org/a"),
        ("https://example.org/", "https://example.org/"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org/a?utm_source=x&utm_MEDIUM=y", "https://example.org/a"),
        ("https://example.org/a?id=3&fbclid=abc", "https://example.org/a?id=3"),
        ("https://example.org/a?gclid=1&mc_cid=2&mc_eid=3&b=2", "https://example.org/a?b=2"),
        ("https://example.org/a?pk_campaign=x&mtm_kwd=y&_ga=1&igshid=2", "https://example.org/a"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"),  # order kept
        ("https://example.org/a#comments", "https://example.org/a"),
        ("https://example.org/a/?utm_source=x#top", "https://example.org/a"),
        ("https://example.org/#!/story/12", "https://example.org/#!/story/12"),
        ("https://example.org/app#/story/12", "https://example.org/app#/story/12"),
        ("www.example.org/a/", "https://www.example.org/a"),
        ("https://example.org/Path/Case", "https://example.org/Path/Case"),  # path kept
    ],
)
def test_canonical_url(typed, canonical):
    assert canonical_url(typed) == canonical


def test_share_links_of_one_page_are_one_url():
    variants = [
        "https://news.example.org/2024/bridge",
        "HTTPS://NEWS.example.org/2024/bridge/",
        "https://news.example.org/2024/bridge?utm_source=twitter&utm_campaign=x",
        "https://news.example.org/2024/bridge/?fbclid=IwAR0abc#comments",
    ]
    assert len({canonical_url(v) for v in variants}) == 1


def test_a_cited_source_keeps_its_fragment_an_article_does_not():
    """Two citations of one page at different passages stay two sources; an article
    URL with a fragment is the same page."""
    url = "https://Example.org/report?utm_source=x#section-3"
    assert canonical_url(url) == "https://example.org/report"
    assert canonical_url(url, keep_fragment=True) == "https://example.org/report#section-3"
