"""The import's quick check of a web address (importers/checks.plain_url) accepts only
URLs that the model's validator (http_url, Django's URLValidator) accepts too."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.importers import checks
from annotations.models.source import http_url


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(checks._PLAIN_URL, fullmatch=True))
def test_every_plain_url_is_one_the_validator_accepts(url):
    if checks.plain_url(url):
        http_url(url)  # raises ValidationError if the quick check was wrong


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
    ],
)
def test_anything_else_is_left_to_the_validator(url):
    assert not checks.plain_url(url)


def test_what_the_validator_refuses_is_still_refused_with_its_message():
    problem = checks._bad_url("https://-bad.example.org/")
    with pytest.raises(ValidationError) as refused:
        http_url("https://-bad.example.org/")
    assert problem.startswith(refused.value.messages[0])
