"""manage.py agreement: JSON and CSV output, and clear errors for bad options."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotations.agreement.serialise import CSV_HEADER
from tests.agreement_factories import assign, make_collection
from tests.factories import make_annotation, make_article

pytestmark = pytest.mark.django_db

TEXT = "The minister said the bridge is safe. Moscow denied it."


def run(*args):
    out = io.StringIO()
    call_command("agreement", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def desk(reviewer, other_reviewer):
    article = make_article(TEXT)
    alone = make_article(TEXT + " Alone.")
    collection = make_collection("Election desk", articles=[article, alone])
    assign(collection, article, reviewer, other_reviewer)
    make_annotation(article, 4, 12, author=reviewer)
    make_annotation(article, 4, 12, author=other_reviewer)
    make_annotation(article, 38, 44, author=other_reviewer, label_slug="denial")
    make_annotation(alone, 4, 12, author=reviewer)
    collection.article, collection.alone = article, alone
    return collection


def test_json_output(desk):
    data = json.loads(run("--collection", "election DESK", "--format", "json"))
    assert data["articles"] == 1
    # One exact match of 1 + 2 spans: F1 = 2/3.
    assert data["overall"]["f1_exact"] == pytest.approx(2 / 3)
    assert set(data["overall"]) == {"f1_exact", "f1_overlap", "kappa", "alpha"}
    assert set(data["per_label"]) == {"claim", "denial"}
    assert set(data["per_label"]["claim"]) == {"f1_exact", "f1_overlap", "kappa", "alpha"}
    [pair] = data["pairs"]
    assert pair["reviewers"] == ["oscar", "rita"] and pair["spans"] == [2, 1]
    assert data["skipped"] == [
        {"article": desk.alone.pk, "reviewers": ["rita"], "reason": "needs two reviewers"}
    ]


def test_csv_output_for_chosen_articles(desk):
    output = run("--article", f"{desk.article.pk}", "--format", "csv")
    rows = list(csv.reader(io.StringIO(output)))
    assert tuple(rows[0]) == CSV_HEADER
    assert [row[0] for row in rows[1:]] == ["overall", "label", "label", "pair", "article"]


def test_an_invalid_article_value_names_it(desk):
    with pytest.raises(CommandError, match="--article: “12x” is not an article id"):
        run("--article", f"{desk.article.pk},12x")
    with pytest.raises(CommandError, match="--article: no article 987654 in “Election desk”"):
        run("--collection", "Election desk", "--article", "987654")


def test_an_unknown_collection_is_named(db):
    with pytest.raises(CommandError, match="--collection: there is no collection “Nope”"):
        run("--collection", "Nope")
