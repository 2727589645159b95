"""The import's quick check of a web address (importers/checks.plain_url) accepts only
URLs that the model's validator (http_url, Django's URLValidator) accepts too; and the
full check (checks.url_problem) refuses by name what that validator lets through but
urllib cannot read: a port past 65535, in any URL of a file and in a typed source."""

import json

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.importers import checks, service
from annotations.models import Annotation, Article, Source, Speaker
from annotations.models.source import http_url
from annotations.services.sources import clean_url
from annotations.weburl import canonical_url
from tests.import_helpers import run, stored, write
from tests.test_import_html import _page


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(checks._PLAIN_URL, fullmatch=True))
def test_every_plain_url_is_one_the_validator_accepts(url):
    if checks.plain_url(url):
        http_url(url)  # raises ValidationError if the quick check was wrong
        canonical_url(url)  # raises ValueError for a port urllib cannot read


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/",
        "http://news.example.co.uk:8080/a/b?c=d&e=f#g",
        "HTTPS://Example.ORG/Path",
        "https://a-b.example.org/%20x[1]",
    ],
)
def test_common_addresses_are_plain(url):
    assert checks.plain_url(url)
    http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/",
        "https://localhost/",
        "https://127.0.0.1/",
        "https://-bad.example.org/",
        "https://example.org/a b",
        "https://exa_mple.org/",
        "https://user@example.org/",
        "https://例え.jp/",
        "https://example.org/" + "a" * 2100,
        "https://" + "a" * 60 + "." + ("b" * 60 + ".") * 4 + "org/",
        "https://example.com:65536/a",
        "https://example.com:99999/a",
    ],
)
def test_anything_else_is_left_to_the_validator(url):
    assert not checks.plain_url(url)


def test_what_the_validator_refuses_is_still_refused_with_its_message():
    problem = checks.url_problem("https://-bad.example.org/")
    with pytest.raises(ValidationError) as refused:
        http_url("https://-bad.example.org/")
    assert problem.startswith(refused.value.messages[0])


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com:99999/a",
        "https://Example.com:99999",
        "https://user@example.com:65536/",
        "https://[2001:db8::1]:99999/",
        "https://ex-ample.co.uk:70000/?q=1",
    ],
)
def test_a_port_past_65535_is_refused_by_name(url):
    """URLValidator takes any five digits after the host, which canonical_url (urllib)
    then cannot read: the import's check refuses them, naming the port."""
    port = url.rsplit(":", 1)[1].split("/")[0].split("?")[0]
    http_url(url)  # what the validator alone lets through
    with pytest.raises(ValueError, match="Port out of range"):
        canonical_url(url)
    assert checks.url_problem(url) == f"the port {port} is out of range (0–65535)"


@pytest.mark.parametrize("url", ["https://example.com:65535/a", "https://example.com:0/a"])
def test_the_ports_at_the_ends_of_the_range_are_fine(url):
    assert checks.url_problem(url) is None
    canonical_url(url)


BAD = "https://example.com:99999/a"


def _line(title: str, **fields) -> str:
    return json.dumps(
        {"title": title, "body": f"{title}: a short article of a few words.", **fields}
    )


def _span(**fields) -> dict:
    return {"start": 0, "end": 5, "label": "claim", **fields}


@pytest.mark.django_db
def test_a_port_past_65535_refuses_its_line_naming_the_field_and_the_rest_imports(tmp_path):
    """Found by the outside tester: as a source_url it crashed the import (ValueError from
    canonical_url), as a cited source's URL too (KeyError: the source was never stored)."""
    path = write(
        tmp_path / "ports.jsonl",
        "\n".join(
            [
                _line("Article URL", source_url=BAD),
                _line("Cited URL", spans=[_span(sources=[{"url": BAD}])]),
                _line(
                    "Speaker URL",
                    spans=[_span(speaker="Kirby", speaker_details={"url": BAD})],
                ),
                _line(
                    "Fine",
                    source_url="https://example.com:8443/fine",
                    spans=[_span(sources=[{"url": "https://example.org:65535/src"}])],
                ),
            ]
        )
        + "\n",
    )
    before = stored()
    lines = run(path)
    problem = "the port 99999 is out of range (0–65535)"
    assert lines == [
        f'created: {path} — "Fine" (3 refused)',
        f"refused: {path}, line 1: source_url: {problem}",
        f"refused: {path}, line 2: span 1, source 1: {problem}",
        f"refused: {path}, line 3: span 1: speaker url: {problem}",
        "1 created, 0 already present, 3 refused",
    ]
    # Only the good line's article, span and arrival event; nothing of the refused ones.
    assert stored() == (before[0] + 1, before[1] + 1, before[2] + 1)
    fine = Article.objects.get()
    assert (fine.title, fine.canonical_url) == ("Fine", "https://example.com:8443/fine")
    assert list(Source.objects.values_list("url", flat=True)) == ["https://example.org:65535/src"]
    assert Annotation.objects.get().article == fine
    assert not Speaker.objects.filter(name="Kirby").exists()


@pytest.mark.django_db
def test_a_page_whose_canonical_link_has_a_bad_port_is_imported_without_it():
    """A page's own address is what it says about itself, not the article: a bad one is
    passed over (kept in the metadata, with why) and the page imports, with the next
    address it gives (here: none)."""
    page = (
        _page("news_page.html")
        .replace(
            '"mainEntityOfPage": "https://news.example.com/2024/03/bridge-safe"',
            '"mainEntityOfPage": ""',
        )
        .replace(
            '<meta property="og:url" content="https://news.example.com/2024/03/bridge-safe">', ""
        )
        .replace("https://news.example.com/2024/03/bridge-safe?utm_source=feed", BAD)
    )
    result = service.import_file(name="page.html", data=page.encode())
    assert (result.status, result.reason, list(result.refused_lines)) == ("created", "", [])
    article = Article.objects.get()
    assert (article.source_url, article.canonical_url) == ("", "")
    assert "canonical_url" not in article.import_metadata
    assert article.import_metadata["ignored_canonical_urls"] == [
        {"url": BAD, "reason": "the port 99999 is out of range (0–65535)"}
    ]


@pytest.mark.django_db
def test_a_bad_page_address_gives_way_to_the_next_good_one():
    page = _page("news_page.html").replace(
        '"mainEntityOfPage": "https://news.example.com/2024/03/bridge-safe"',
        f'"mainEntityOfPage": "{BAD}"',
    )
    result = service.import_file(name="page.html", data=page.encode())
    assert result.status == "created", result.reason
    article = Article.objects.get()
    # The <link rel=canonical>, the next the page gives.
    assert article.canonical_url == "https://news.example.com/2024/03/bridge-safe"
    assert [item["url"] for item in article.import_metadata["ignored_canonical_urls"]] == [BAD]


@pytest.mark.parametrize("typed", [BAD, "example.com:99999/a"])
def test_a_typed_source_with_a_bad_port_is_told_so(typed):
    """The review page's source form (services/sources.clean_url): the same rule."""
    with pytest.raises(ValidationError) as refused:
        clean_url(typed)
    assert refused.value.messages == ["The port 99999 is out of range (0–65535)."]


@pytest.mark.django_db
def test_an_articles_source_url_typed_with_a_bad_port_is_a_form_error(article):
    """The desk's metadata form: the same rule, before saving (canonical_url) crashed."""
    from annotations.forms import ArticleMetadataForm

    form = ArticleMetadataForm({"title": "T", "source_url": BAD}, instance=article)
    assert not form.is_valid()
    assert form.errors["source_url"] == ["The port 99999 is out of range (0–65535)."]
