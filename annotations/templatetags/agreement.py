"""Agreement figures in templates: the review page's link and the numbers' formatting
(an undefined figure is a dash whose tooltip says why)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from .. import permissions
from ..agreement.loading import has_two_reviewers

register = template.Library()

# Why a figure is None (see annotations.agreement for the rules).
UNDEFINED = {
    "f1": "Neither side made a span: F1 is undefined.",
    "precision": "The second reviewer made no span: precision is undefined.",
    "recall": "The first reviewer made no span: recall is undefined.",
    "kappa": "Every token has one and the same value for everyone (or there is no token): "
    "there is no chance agreement to correct for, so kappa is undefined.",
    "alpha": "Only one value occurs across the tokens: alpha is undefined.",
}


@register.simple_tag
def agreement_url(article, user) -> str:
    """The article's Agreement page, for an editor (global, or of one of the article's
    collections: see access.can_view_article_agreement), once two reviewers count on it.
    No query for anyone else, one for an editor."""
    # Whether the user edits here is known from the page's access check (no query).
    if not (permissions._signed_in(user) and permissions.article_access(user, article).edits):
        return ""
    if not has_two_reviewers(article):
        return ""
    return reverse("article-agreement", args=[article.pk])


@register.simple_tag
def figure(value, kind: str):
    """A figure to three decimals, or "—" with the reason it is undefined."""
    if value is None:
        why = UNDEFINED[kind]
        return format_html(
            '<span class="figure figure-undefined" title="{}">—<span class="visually-hidden"> '
            "({})</span></span>",
            why,
            why,
        )
    return format_html('<span class="figure">{}</span>', f"{value:.3f}")
