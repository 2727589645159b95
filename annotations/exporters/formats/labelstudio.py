"""Label Studio tasks (JSON): one task per article, one annotation per reviewer.

Import into a project whose labelling config names the tags `label` and `text`:

    <View>
      <Labels name="label" toName="text">
        <Label value="claim"/><Label value="denial"/><Label value="unverified-allegation"/>
      </Labels>
      <Text name="text" value="$text"/>
    </View>

(one <Label> per label slug). Offsets are Unicode code points: Label Studio's Text tag
converts the browser's UTF-16 positions to code points before it stores a region
(`charsToCodePoints` in its editor, "for external usage": label-studio-frontend PR #308,
fixing issue #1008), so Python offsets go in unchanged. Each reviewer's spans form their
own annotation (so Label Studio can compare reviewers); a span's note becomes the region's
meta text. Speakers and sources are not represented: use the native JSONL for those.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..base import CODE_POINTS, ExportFormat, ExportOptions
from ..query import ExportArticle
from ._json import dumps

FROM_NAME = "label"
TO_NAME = "text"


def task(article: ExportArticle) -> dict:
    by_reviewer: dict[str, list[dict]] = {}
    for span in article.spans:
        region = {
            "id": f"span-{span.id}",
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "origin": "manual",
            "value": {
                "start": span.start,
                "end": span.end,
                "text": span.text,
                "labels": [span.label],
            },
        }
        if span.note:
            region["meta"] = {"text": [span.note]}
        by_reviewer.setdefault(span.annotator, []).append(region)
    return {
        "data": {
            "text": article.text,
            "article_id": article.id,
            "title": article.title,
            "offset_unit": CODE_POINTS,
        },
        "annotations": [
            {"result": regions, "created_username": reviewer}
            for reviewer, regions in by_reviewer.items()
        ],
    }


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    yield "[\n"
    separator = ""
    for article in articles:
        yield separator + dumps(task(article))
        separator = ",\n"
    yield "\n]\n"


FORMAT = ExportFormat(
    name="labelstudio",
    label="Label Studio JSON",
    description="Label Studio tasks: the article text with each reviewer's labelled regions.",
    extension="labelstudio.json",
    media_type="application/json",
    offset_unit=CODE_POINTS,
    render=render,
    order=60,
    uses_relations=False,
)
