"""Every URL pattern of the project, walked with hostile input (issue 5: nothing crashes).

The walker discovers the patterns from `get_resolver()` (the admin's included), fills
their path parameters with existing ids and with ids no column can hold, and sends GET
and POST requests with hostile parameters as an anonymous visitor, a reviewer and an
editor. Two rules hold for every request:

- no 5xx: bad input is a 4xx or a form with its errors, never a server error;
- no unauthorised 200: anonymous visitors are sent to a login page from everything but
  the public URLs, and a reviewer gets a 403 or a redirect from import, export and the
  admin (its login page aside).

Every failure is collected and all are reported in one assertion message, so one run
shows the whole list. Each request runs in a savepoint that is rolled back, so a delete
does not change what later requests see, and a database error (PostgreSQL aborts the
transaction) cannot spill into the next request.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import transaction
from django.db.models import DateField
from django.test import RequestFactory
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern, RoutePattern

import annotations
from annotations import forms as review_forms
from annotations.models import Article, Collection, HistoryEvent, Membership
from annotations.services import adjudication
from tests.factories import make_annotation, make_article, make_source, make_user

BIGINT_PAST_END = 2**63  # one past the top of a BigAutoField
HUGE = 99999999999999999999  # past any 64-bit column

# Reachable without signing in (as route names, namespaced like reverse() wants them).
PUBLIC = {"login", "logout", "admin:login", "admin:logout", "healthz"}
PUBLIC_PATHS = {"/favicon.ico"}
# What a reviewer must not open, by route name (every admin page but its login is added
# below).
EDITOR_ONLY = {"import", "export", "export-download"}

# Raw, already percent-encoded values: "%ff" must reach Django as an invalid UTF-8 byte,
# not as the text "%ff" quoted again.
HOSTILE_VALUES = {
    "nul": "a%00b",
    "long": "x" * 10_000,
    "far-date": "9999-12-31",
    "zero-date": "0000-00-00",
    "first-date": "0001-01-01",
    "huge-int": str(HUGE),
    "past-bigint": str(BIGINT_PAST_END),
    "negative": "-1",
    "bad-utf8": "%ff%fe",
    "rtl-override": quote("\u202eevil.exe"),
    "controls": "%1b%07%08",
    # Digits str.isdigit() takes but int() refuses ("²") or reads as another number.
    "superscript": quote("²"),
    "other-digits": quote("١٢"),
}

# Parameters that views and the admin read, beyond the fields of our forms.
EXTRA_PARAMS = {
    "q",
    "page",
    "next",
    "version",
    "username",
    "password",
    "old_password",
    "new_password1",
    "new_password2",
    "o",
    "p",
    "e",
    "all",
    "_popup",
    "_to_field",
    "_changelist_filters",
    "action",
    "_selected_action",
    "select_across",
    "index",
    "post",
    "term",
    "app_label",
    "model_name",
    "field_name",
}


def forms_modules() -> list:
    """annotations/forms.py and every annotations/forms_*.py: all the forms' fields."""
    names = [
        info.name
        for info in pkgutil.iter_modules(annotations.__path__)
        if info.name == "forms" or info.name.startswith("forms_")
    ]
    return [importlib.import_module(f"annotations.{name}") for name in sorted(names)]


def param_names() -> list[str]:
    """Every form field of the project (bare and with the prefixes the review page uses),
    the admin's models' fields, and the parameters above."""
    names = set(EXTRA_PARAMS)
    for module in forms_modules():
        for value in vars(module).values():
            fields = getattr(value, "base_fields", None)
            if isinstance(fields, dict):
                names |= set(fields)
                if module is review_forms:  # the review page prefixes its editor forms
                    names |= {
                        f"{prefix}-{name}" for prefix in ("edit", "source") for name in fields
                    }
    for model in admin.site._registry:
        names |= {field.name for field in model._meta.concrete_fields}
    return sorted(names)


# --- discovering the patterns -----------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str | None  # namespaced, e.g. "admin:annotations_article_change"
    route: str  # the patterns' texts joined, e.g. "admin/annotations/article/<path:object_id>/"
    parts: tuple  # (pattern, ...) from the root to the URL pattern
    model: type | None  # the admin model, for admin pages


def endpoints() -> list[Endpoint]:
    admin_models = {
        f"admin:{m._meta.app_label}_{m._meta.model_name}_": m for m in admin.site._registry
    }
    found = []

    def walk(resolver, parts, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, (*parts, entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = None
                if entry.name:
                    name = f"{namespace}:{entry.name}" if namespace else entry.name
                model = next(
                    (m for prefix, m in admin_models.items() if name and name.startswith(prefix)),
                    None,
                )
                all_parts = (*parts, entry.pattern)
                route = "".join(str(p) for p in all_parts)
                found.append(Endpoint(name, route, all_parts, model))

    walk(get_resolver(), (), "")
    return found


# --- filling path parameters ------------------------------------------------------------

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _regex_groups(regex: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each named group, end just past its closing parenthesis."""
    groups = []
    for match in re.finditer(r"\(\?P<(\w+)>", regex):
        depth, i = 0, match.start()
        while i < len(regex):
            if regex[i] == "\\":
                i += 2
                continue
            depth += {"(": 1, ")": -1}.get(regex[i], 0)
            i += 1
            if depth == 0:
                break
        groups.append((match[1], match.start(), i))
    return groups


def _int_values(name: str, ids: dict) -> list:
    existing = ids.get(name)
    return [v for v in (existing, 1, 0, BIGINT_PAST_END, HUGE) if v is not None]


def _text_values(name: str, ids: dict, model) -> list[str]:
    existing = ids.get(model) if name in ("object_id", "id") else ids.get(name)
    hostile = ["0", str(BIGINT_PAST_END), str(HUGE), "-1", "x%00", "%ff", quote("\u202e")]
    return ([str(existing)] if existing is not None else []) + hostile


def _candidates(part, ids: dict, model) -> dict[str, list[str]]:
    """For one pattern: each parameter's values, the existing one first."""
    values = {}
    if isinstance(part, RoutePattern):
        for name, converter in part.converters.items():
            if isinstance(converter, IntConverter):
                values[name] = [str(v) for v in _int_values(name, ids)]
            else:
                values[name] = _text_values(name, ids, model)
    elif isinstance(part, RegexPattern):
        regex = str(part)
        for name, start, end in _regex_groups(regex):
            body = regex[start + len(f"(?P<{name}>") : end - 1]
            if re.fullmatch(r"[\w|]+", body):  # an alternation of words: each is valid
                values[name] = body.split("|")
            else:
                values[name] = ["nope/", "x%00/", "%ff/", "y" * 300]
    return values


def _fill(part, chosen: dict[str, str]) -> str:
    text = str(part)
    if isinstance(part, RoutePattern):
        return _ROUTE_PARAM.sub(lambda m: chosen[m["name"]], text)
    for name, start, end in reversed(_regex_groups(text)):
        text = text[:start] + chosen[name] + text[end:]
    return text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")


def urls_of(endpoint: Endpoint, ids: dict) -> list[str]:
    """The endpoint with existing ids, then with one hostile value at a time."""
    per_part = [_candidates(part, ids, endpoint.model) for part in endpoint.parts]
    baseline = [{name: vals[0] for name, vals in c.items()} for c in per_part]
    choices = [baseline]
    for index, candidates in enumerate(per_part):
        for name, vals in candidates.items():
            for value in vals[1:]:
                variant = [dict(c) for c in baseline]
                variant[index][name] = value
                choices.append(variant)
    urls = []
    for choice in choices:
        url = "/" + "".join(_fill(part, c) for part, c in zip(endpoint.parts, choice, strict=True))
        if url not in urls:
            urls.append(url)
    return urls


# --- requests ---------------------------------------------------------------------------


def hostile_queries(names: list[str]) -> dict[str, str]:
    """Query strings (also sent as urlencoded bodies): every parameter set to one hostile
    value, and one with every parameter repeated (a list where a scalar is expected)."""
    queries = {label: "&".join(f"{n}={v}" for n in names) for label, v in HOSTILE_VALUES.items()}
    queries["lists"] = "&".join(f"{n}=1&{n}=2" for n in names)
    return queries


@dataclass
class Walker:
    client: object
    user: object  # None for anonymous
    failures: list

    def login(self):
        if self.user is not None:
            self.client.force_login(self.user)
        self.session_key = self.client.cookies.get(settings.SESSION_COOKIE_NAME)

    def send(self, method: str, url: str, query: str = "", label: str = ""):
        """The response, or None when the request raised."""
        response = None
        try:
            with transaction.atomic():
                if method == "GET":
                    response = self.client.get(f"{url}?{query}" if query else url)
                else:
                    response = self.client.post(
                        url, data=query, content_type="application/x-www-form-urlencoded"
                    )
                if response.streaming:  # an export: its rows are read while it is sent
                    b"".join(response.streaming_content)
                transaction.set_rollback(True)
        except Exception as error:  # a crash while streaming counts too
            self.fail(method, url, label, f"raised {error.__class__.__name__}: {error}"[:300])
            response = None
        else:
            if response.status_code >= 500:
                self.fail(method, url, label, f"answered {response.status_code}")
        # Logging in or out (or a rotated session) must not change who the next request is.
        if self.client.cookies.get(settings.SESSION_COOKIE_NAME) != self.session_key:
            self.login()
        return response

    def fail(self, method, url, label, what):
        who = self.user.username if self.user else "anonymous"
        shown = url if len(url) < 120 else url[:117] + "..."
        self.failures.append(f"{method} {shown} as {who} with {label or 'no params'}: {what}")


def _is_login_redirect(response) -> bool:
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    return location.startswith((settings.LOGIN_URL, "/login/", "/admin/login/"))


@pytest.fixture
def ids(db, reviewer):
    """One of everything a URL can point at, so the walk reaches the views' code."""
    article = make_article("The minister said the bridge is safe. Critics disagreed.")
    annotation = make_annotation(article, 4, 12, author=reviewer)
    source = make_source(annotation)
    event = HistoryEvent.objects.create(
        kind=HistoryEvent.Kind.ANNOTATION,
        object_id=annotation.pk,
        annotation_id_ref=annotation.pk,
        article=article,
        action=HistoryEvent.Action.CREATE,
        actor=reviewer,
        after={},
    )
    # A collection with an adjudication under way, so that the desk's and the adjudication
    # page's posts get past "no such collection" and "start first" to their fields.
    # Not blind, the reviewer a member: what they may open is what it was without one.
    collection = Collection.objects.create(name="Desk", slug="desk", blind=False)
    collection.articles.add(article)
    Membership.objects.create(collection=collection, user=reviewer, role="reviewer")
    make_annotation(article, 4, 12, author=make_user("oscar"))  # agrees with the reviewer
    adjudication.adjudication_start(article=article, actor=make_user("adj", role="editor"))
    gold = adjudication.gold_spans(article.pk).get()
    content_type = ContentType.objects.get_for_model(Article)
    by_model = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            by_model[model] = first.pk
    return {
        "article_id": article.pk,
        "annotation_id": annotation.pk,
        "source_id": source.pk,
        "event_id": event.pk,
        "content_type_id": content_type.pk,
        "slug": collection.slug,
        "gold_id": gold.pk,
        **by_model,
    }


def _route_name(url: str) -> str | None:
    try:
        match = resolve(url.split("?")[0])
    except Resolver404:
        return None
    return match.view_name


@pytest.mark.parametrize("role", ["anonymous", "reviewer", "editor"])
def test_no_url_answers_5xx_or_an_unauthorised_200(client, ids, reviewer, role):
    """For every URL pattern, every filled path (existing ids, 0, 2**63, 10**20, text where
    ids go), GET and POST, without and with hostile parameters: no 5xx; anonymous
    visitors are redirected to a login page from all but the public URLs; a reviewer is
    refused (403 or redirect) by import, export and the admin."""
    client.raise_request_exception = False
    users = {"anonymous": lambda: None, "reviewer": lambda: reviewer}
    user = users.get(role, lambda: make_user("edith", role="editor"))()
    walker = Walker(client, user, [])
    walker.login()
    queries = hostile_queries(param_names())
    unauthorised = []
    walked = 0
    for endpoint in endpoints():
        for index, url in enumerate(urls_of(endpoint, ids)):
            name = _route_name(url)
            # Hostile parameters go to the URL with existing ids; hostile paths go alone.
            variants = [("", "")]
            if index == 0:
                variants += list(queries.items())
            for (label, query), method in itertools.product(variants, ("GET", "POST")):
                response = walker.send(method, url, query, label)
                walked += 1
                if response is None or response.status_code >= 500:
                    continue
                refused = _refusal_problem(role, name, url, label, response)
                if refused:
                    shown = url if len(url) < 120 else url[:117] + "..."
                    unauthorised.append(
                        f"{method} {shown} as {role} with {label or 'no params'}: {refused}"
                    )
    assert walked > 100, "the walker found almost no URL patterns"
    problems = walker.failures + unauthorised
    assert not problems, f"{len(problems)} bad answers out of {walked} requests:\n" + "\n".join(
        problems
    )


def _refusal_problem(role: str, name: str | None, url: str, label: str, response) -> str:
    """Why this answer lets someone in who should be kept out ("" when it does not)."""
    status = response.status_code
    public = name in PUBLIC or url in PUBLIC_PATHS or url.startswith(settings.STATIC_URL)
    if role == "anonymous" and not public and name is not None:
        # Django refuses to redirect to a URL over 16,384 characters (DisallowedRedirect,
        # a 400): the 10,000-character values make `?next=` that long. A 400 keeps the
        # visitor out too.
        too_long = label == "long" and status == 400
        if not (_is_login_redirect(response) or too_long):
            return f"answered {status} instead of a redirect to a login page"
    if role == "reviewer" and name is not None:
        editor_only = name in EDITOR_ONLY or (name.startswith("admin:") and name not in PUBLIC)
        if editor_only and status == 200:
            return "answered 200 to a reviewer"
    return ""


# --- our forms' numbers -------------------------------------------------------------------


def test_every_integer_field_of_our_forms_stops_at_its_column():
    """A number past the column it is looked up in or stored to (a 64-bit id, a 32-bit
    offset or version) is the form's message, never sent to the database, where SQLite
    raises OverflowError (the adjudication page's span=10**23 was a 500)."""
    from django import forms

    seen, open_ended = 0, []
    for module in forms_modules():
        for name, value in vars(module).items():
            fields = getattr(value, "base_fields", None)
            if not isinstance(fields, dict) or value.__module__ != module.__name__:
                continue
            for field_name, field in fields.items():
                if isinstance(field, forms.IntegerField):
                    seen += 1
                    if field.max_value is None or field.max_value > 2**63 - 1:
                        open_ended.append(f"{module.__name__}.{name}.{field_name}")
    assert seen >= 10, "found almost no integer fields: is the walk of the forms broken?"
    assert not open_ended, f"integer fields with no cap at their column: {open_ended}"


# --- the article list's parameters, one at a time -----------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "q=Tal%00ks",
        "q=Talks%1b",
        "q=" + "Talks" + "x" * 10_000,
        "q=%ff%fe",
        "q=Talks&q=Budget",
        "status=%00",
        "status=" + "x" * 10_000,
        "label=claim%00",
        "label=%ff",
        "page=-1",
        "page=0",
        "page=99999999999999999999",
        "page=" + "9" * 5_000,
        "page=1e9",
        "page=%00",
    ],
)
def test_the_article_list_answers_200_to_any_parameter(reviewer_client, article, query):
    """Garbage in q, status, label or page is a 200 list, never a 5xx (PostgreSQL refuses
    NUL in a query parameter: the search drops control characters first)."""
    reviewer_client.raise_request_exception = False
    response = reviewer_client.get(f"/?{query}")
    assert response.status_code == 200, response.content[:300]
    if not query.startswith("q="):  # a filter that means nothing is ignored
        assert "Talks advancing" in response.content.decode()


def test_a_nul_inside_a_search_is_dropped_not_an_error(reviewer_client, article):
    """Searching "Tal<NUL>ks" finds "Talks advancing": the NUL is stripped, on SQLite and
    PostgreSQL alike, and the search box shows what was searched."""
    response = reviewer_client.get("/?q=Tal%00ks")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Talks advancing" in html
    assert 'value="Talks"' in html


def test_a_search_is_cut_to_200_characters(reviewer_client, article):
    """A 10,000-character search is searched as its first 200 characters."""
    response = reviewer_client.get("/", {"q": "Talks" + "x" * 10_000})
    assert response.status_code == 200
    assert response.context["filters"]["q"] == "Talks" + "x" * 195


@pytest.mark.parametrize("article_id", [2**63, HUGE])
def test_an_id_past_the_bigint_column_is_a_404(reviewer_client, article, article_id):
    """Django 6.1 answers an <int:...> beyond 64 bits with "not found" on SQLite and
    PostgreSQL (no OverflowError, no out-of-range error): no converter of our own needed."""
    reviewer_client.raise_request_exception = False
    response = reviewer_client.get(f"/articles/{article_id}/")
    assert response.status_code == 404


# --- the admin's lists: dates and selected ids at the limits ----------------------------

# A date hierarchy's bounds past year 9999 (ValueError, OverflowError), a year past any
# date, a year of 20 digits: each on every date field of every list. `{f}` is the field.
DATE_LIMITS = {
    "year 9999": "{f}__year=9999",
    "December 9999": "{f}__year=9999&{f}__month=12",
    "31 December 9999": "{f}__year=9999&{f}__month=12&{f}__day=31",
    "year 99999": "{f}__year=99999",
    "year of 20 digits": f"{{f}}__year={HUGE}",
    "year 0": "{f}__year=0",
    "month 13": "{f}__year=2024&{f}__month=13",
    "day 32": "{f}__year=2024&{f}__month=1&{f}__day=32",
}


def _admin_lists():
    """(model, its date and date-time fields) for every registered ModelAdmin."""
    get_resolver().url_patterns  # noqa: B018 (loading the URLs registers the admins)
    for model, model_admin in admin.site._registry.items():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, DateField)]
        yield model, model_admin, fields


def test_every_admin_list_refuses_dates_at_the_limits_as_an_invalid_lookup(admin_client, ids):
    """Every changelist, every date field, each value of DATE_LIMITS: no 5xx, and a
    filter no date can satisfy is Django's own invalid-lookup redirect (?e=1), the same
    for the date hierarchy (created_at, published_at, at, accessed_on...) and any other
    date field (a year lookup that failed when the query was compiled)."""
    admin_client.raise_request_exception = False
    failures, checked = [], 0
    for model, model_admin, fields in _admin_lists():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for field, (label, template) in itertools.product(fields, DATE_LIMITS.items()):
            query = template.format(f=field)
            with transaction.atomic():
                response = admin_client.get(f"{url}?{query}")
                transaction.set_rollback(True)
            checked += 1
            status = response.status_code
            invalid = status == 302 and response["Location"] == f"{url}?e=1"
            past_dates = label in ("year 9999", "December 9999", "31 December 9999")
            must_redirect = label not in ("month 13", "day 32") and (
                field == model_admin.date_hierarchy or not past_dates
            )
            if status >= 500 or (must_redirect and not invalid) or status not in (200, 302):
                failures.append(f"GET {url}?{query} ({label}): {status}")
    assert checked > 50, "the walk found almost no date fields"
    assert not failures, "\n".join(failures)


def test_every_admin_action_refuses_selected_ids_no_row_can_have(admin_client, admin_user, ids):
    """Every action of every changelist, POSTed with a selected id that is text, past
    the column or has a NUL beside a real one: no 5xx, a redirect to the list with the
    message naming the value, and nothing written."""
    admin_client.raise_request_exception = False
    failures, checked = [], 0
    for model, model_admin, _fields in _admin_lists():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        request = RequestFactory().get(url)
        request.user = admin_user
        for action, bad in itertools.product(
            model_admin.get_actions(request), ("abc", str(HUGE), "a\x00b")
        ):
            selected = [bad] if first is None else [str(first), bad]
            events = HistoryEvent.objects.count()
            rows = model._default_manager.count()
            with transaction.atomic():
                response = admin_client.post(
                    url, {"action": action, "index": "0", "_selected_action": selected}
                )
                after = (HistoryEvent.objects.count(), model._default_manager.count())
                transaction.set_rollback(True)
            checked += 1
            texts = [str(m) for m in get_messages(response.wsgi_request)]
            refused = any("Nothing was done." in t and "not the id of any" in t for t in texts)
            if response.status_code != 302 or not refused or after != (events, rows):
                failures.append(f"POST {url} {action} {bad!r}: {response.status_code} {texts}")
    assert checked > 10, "the walk found almost no actions"
    assert not failures, "\n".join(failures)
