"""The import formats: pure parsers (text in, records out) and the registry that picks one."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from annotations.importers import (
    FORMATS,
    doccano,
    format_for,
    formats_for,
    jsonl,
    plaintext,
    scraped,
)
from annotations.importers.base import ImportRefused
from annotations.importers.checks import record_problem
from annotations.offsets import is_blank

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_767f74c7ad0d4c0d.txt"
SEED_TITLE = "Russia, North Korea ‘Actively Advancing’ Arms Deal For Ukraine War: White House"
FIRST_PARAGRAPH = (
    "The White House is again accusing Moscow of importing North Korean weapons for use in its "
    "military operation in Ukraine, at a moment tensions with Pyongyang are mounting, which has "
    "led to tit-for-tat exchanges of nuclear rhetoric."
)
LAST_PARAGRAPH = (
    "The two countries actually share a small border. More recently, there have been accusations "
    "that Wagner Group, which is now on the outs with Moscow in the wake of the mutiny in June, "
    "purchased large quantities of arms and equipment from the Kim Jong-Un government."
)


@pytest.fixture(scope="module")
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_text):
    [record] = scraped.parse(seed_text, name=SEED.name).records
    return record


# --- scraped pages ---------------------------------------------------------------------------


def test_seed_title_is_the_curly_quoted_line(seed):
    """The title is the second line, in its original typography, not the <div> copy."""
    assert seed.title == SEED_TITLE


def test_seed_author_and_date_come_from_the_closing_lines(seed):
    """'Tyler Durden' / 'Wed, 08/30/2023 – 22:40' become the author and an aware date (UTC)."""
    assert seed.author == "Tyler Durden"
    assert seed.published_at == datetime(2023, 8, 30, 22, 40, tzinfo=UTC)
    assert seed.published_at.utcoffset() is not None


def test_seed_body_starts_and_ends_with_the_article(seed):
    """The first and last paragraphs are exactly the article's."""
    paragraphs = seed.body.split("\n\n")
    assert paragraphs[0] == FIRST_PARAGRAPH
    assert paragraphs[-1] == LAST_PARAGRAPH
    assert len(paragraphs) == 8
    assert seed.body.startswith("The White House is again accusing Moscow")
    assert seed.body.endswith("from the Kim Jong-Un government.")


def test_seed_paragraphs_are_kept_exactly(seed, seed_text):
    """Every paragraph is the file's line, character for character: curly quotes and
    no-break spaces (one of them trailing) included."""
    for paragraph in seed.body.split("\n\n"):
        assert f"\n{paragraph}\n" in seed_text
    assert seed.body.count("\u00a0") == 3
    assert "are\u00a0“actively advancing”" in seed.body
    assert "sell artillery ammunition to Russia.”\u00a0\n\n" in seed.body
    assert "there’s smoking gun evidence" in seed.body


def test_seed_scraper_lines_are_not_body_text(seed):
    """The <div> title lines, the byline, the date and the copy-protection alert are gone,
    and no paragraph break is doubled where a line was removed."""
    for dropped in (
        "<div>",
        "</div>",
        "error: Content is protected",
        "Tyler Durden",
        "08/30/2023",
        SEED_TITLE,
    ):
        assert dropped not in seed.body
    assert "\n\n\n" not in seed.body


def test_seed_metadata_lists_every_removed_line(seed):
    """Nothing is dropped silently: each removed line is listed with its number and why."""
    dropped = {item["line"]: item["reason"] for item in seed.metadata["dropped_lines"]}
    assert dropped == {
        1: "title markup (straight-quoted copy)",
        2: "used as the title",
        8: "repeated title markup",
        22: "used as the author",
        23: "used as the publication date",
        25: "page boilerplate",
    }
    assert seed.metadata["format"] == "scraped-page"


def test_scraped_page_without_byline_or_date_still_imports():
    """No author line and no date line: the whole text is the article."""
    text = "<div>Bridge 'safe'</div>\nBridge ‘safe’\n\nThe minister said so.\n\nKirby said."
    [record] = scraped.parse(text, name="x.txt").records
    assert record.title == "Bridge ‘safe’"
    assert record.author == ""
    assert record.published_at is None
    assert record.body == "The minister said so.\n\nKirby said."


def test_scraped_sentence_above_a_date_is_not_an_author():
    """A short sentence above the date line stays in the article; the date is still read."""
    text = "<div>T</div>\nT\n\nThe minister spoke.\n\nMoscow denied it.\nMon, 01/02/2023 - 09:05\n"
    [record] = scraped.parse(text).records
    assert record.author == ""
    assert record.published_at == datetime(2023, 1, 2, 9, 5, tzinfo=UTC)
    assert record.body.endswith("Moscow denied it.")


def test_scraped_page_without_a_second_title_line_uses_the_div_title():
    """When the typographic title line is missing, the <div> title is used (entities decoded)
    and the next line is body text."""
    text = "<div>Fish &amp; chips</div>\nFirst paragraph.\n"
    [record] = scraped.parse(text).records
    assert record.title == "Fish & chips"
    assert record.body == "First paragraph."


def test_scraped_crlf_and_lf_give_the_same_article(seed_text, seed):
    """Windows line endings are normalised before parsing."""
    [record] = scraped.parse(seed_text.replace("\n", "\r\n")).records
    assert record.body == seed.body
    assert record.author == seed.author


def test_scraped_page_with_only_a_title_is_refused():
    """A scrape with a title but no article text is refused, saying so."""
    with pytest.raises(ImportRefused, match="no article text"):
        scraped.parse("<div>Title</div>\nTitle\n\nerror: Content is protected !!\n")


# --- plain text ------------------------------------------------------------------------------


def test_plain_text_first_short_line_is_the_title():
    """The first non-empty line is the title; the rest, as written, is the article."""
    [record] = plaintext.parse(
        "\n\n  Bridge safe  \n\nThe minister said.\n  Indented line.\n\n"
    ).records
    assert record.title == "Bridge safe"
    assert record.body == "The minister said.\n  Indented line."


def test_plain_text_long_first_line_is_the_article_and_the_file_names_it():
    """A first line of 200+ characters is a paragraph: the whole file is the article and the
    file name becomes the title."""
    long_line = "word " * 60
    [record] = plaintext.parse(f"{long_line}\nMore.", name="news/bridge_is-safe.txt").records
    assert record.title == "bridge is safe"
    assert record.body == f"{long_line}\nMore."


def test_plain_text_one_line_is_title_and_article():
    """A one-line file is both the title and the article."""
    [record] = plaintext.parse("Just one line.\n").records
    assert record.title == "Just one line."
    assert record.body == "Just one line."


def test_plain_text_markup_is_literal_text():
    """Markup is not interpreted or stripped: it is what the file says."""
    [record] = plaintext.parse("Title\n<script>alert('x')</script> &amp; <b>bold</b>").records
    assert record.body == "<script>alert('x')</script> &amp; <b>bold</b>"


def test_plain_text_is_canonicalised():
    """CRLF becomes \\n, control characters go, text is NFC."""
    [record] = plaintext.parse("Title\r\nCafe\u0301\x07 ok\r\n").records
    assert record.body == "Café ok"


def test_plain_text_of_only_white_space_is_refused():
    """A file of only white space (no-break spaces included) is refused as having no text."""
    with pytest.raises(ImportRefused, match="no text"):
        plaintext.parse(" \n\t\n\u00a0\n")


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c\u200d", "\u2060 \u2003", "\u00ad\u00a0"])
def test_invisible_characters_are_blank_as_white_space_is(invisible):
    """offsets.is_blank, the one rule: format characters (Cf) count as white space."""
    assert is_blank(invisible)
    assert not is_blank(invisible + "x") and not is_blank("\u200bWord")
    with pytest.raises(ImportRefused, match=r"^The file has no text \(only white space\)\.$"):
        plaintext.parse(f"{invisible}\n\n{invisible}\n")


def test_invisible_lines_around_a_plain_text_are_trimmed_like_blank_ones():
    [record] = plaintext.parse("\u200b\nTitle\nThe text.\n\u2060\n").records
    assert (record.title, record.body) == ("Title", "The text.")


def test_a_scraped_page_of_invisible_lines_after_its_title_has_no_text():
    with pytest.raises(ImportRefused, match=r"^The scraped page has a title but no article text"):
        scraped.parse("<div>Title</div>\nTitle\n\u200b\n\u2060")


def test_a_doccano_line_of_invisible_text_is_refused_by_number():
    text = (
        json.dumps({"text": "\u200b\u200c", "label": []})
        + "\n"
        + json.dumps({"text": "A real text.", "label": []})
    )
    result = doccano.parse(text)
    assert result.refused == [(1, "the line has no “text”")]
    assert [record.body for record in result.records] == ["A real text."]


# --- native JSONL ----------------------------------------------------------------------------

BODY = "Kirby said “the talks are advancing” 😀 on Wednesday.\nMoscow denied it."


def _line(**overrides) -> str:
    record = {
        "id": 41,
        "title": "Talks",
        "text": BODY,
        "author": "Jane Doe",
        "published_at": "2023-08-30T22:40:00+00:00",
        "source_url": "https://example.org/a",
        "publisher": "Example",
        "status": "in_review",
        "offset_unit": "python_code_point",
        "spans": [
            {
                "id": 3,
                "start": 11,
                "end": 36,
                "label": "claim",
                "text": "“the talks are advancing”",
                "speaker": "Kirby",
                "note": "check",
                "annotator": "rita",
                "created_at": "2024-01-02T03:04:05+00:00",
                "sources": [
                    {
                        "url": "https://example.org/src",
                        "title": "Src",
                        "publisher": "Pub",
                        "stance": "refutes",
                        "quoted_passage": "q",
                        "accessed_on": "2024-01-03",
                    }
                ],
            }
        ],
    }
    record.update(overrides)
    return json.dumps(record, ensure_ascii=False)


def test_jsonl_line_becomes_an_article_with_spans_and_sources():
    """Every field of the native format is read, offsets as Python code points."""
    result = jsonl.parse(_line() + "\n")
    assert result.refused == []
    [record] = result.records
    assert (record.title, record.body, record.author) == ("Talks", BODY, "Jane Doe")
    assert record.published_at == datetime(2023, 8, 30, 22, 40, tzinfo=UTC)
    assert (record.source_url, record.publisher, record.status) == (
        "https://example.org/a",
        "Example",
        "in_review",
    )
    assert record.metadata["original_id"] == 41
    assert record.line == 1
    [span] = record.spans
    assert BODY[span.start : span.end] == "“the talks are advancing”"
    assert (span.label, span.speaker, span.note, span.annotator) == (
        "claim",
        "Kirby",
        "check",
        "rita",
    )
    assert span.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    [source] = span.sources
    assert (source.url, source.stance, source.accessed_on) == (
        "https://example.org/src",
        "refutes",
        date(2024, 1, 3),
    )


def test_jsonl_bad_lines_are_refused_with_their_numbers_and_the_rest_parse():
    """A bad line is refused with its number and why; blank lines are skipped."""
    lines = [
        _line(),
        "{not json",
        "",
        "[1, 2]",
        _line(text="   "),
        _line(spans=[{"start": 0, "end": 5, "label": "claim", "text": "Moscow"}]),
        _line(published_at="yesterday"),
        _line(offset_unit="utf16_code_unit"),
        _line(title="Second", text="Another text.", spans=[]),
    ]
    result = jsonl.parse("\n".join(lines))
    assert [r.line for r in result.records] == [1, 9]
    reasons = dict(result.refused)
    assert set(reasons) == {2, 4, 5, 6, 7, 8}
    assert reasons[2].startswith("not valid JSON")
    assert reasons[4] == "each line must be a JSON object (one article)"
    assert reasons[5] == "the article has no “text”"
    assert reasons[6].startswith("span 1: [0, 5) The selected text does not match")
    assert "published_at" in reasons[7]
    assert "utf16_code_unit" in reasons[8]


def test_jsonl_offsets_past_the_text_are_refused():
    """A span that ends after the text refuses its line, with check_span's reason."""
    result = jsonl.parse(_line(spans=[{"start": 0, "end": 999, "label": "claim"}]))
    assert result.records == []
    assert "ends after the text" in result.refused[0][1]


def test_jsonl_line_separators_inside_strings_do_not_split_lines():
    """U+2028 is legal inside a JSON string; it must not end the record."""
    result = jsonl.parse(
        _line(text="One\u2028two", spans=[]) + "\r\n" + _line(title="B", text="b", spans=[])
    )
    assert [r.body for r in result.records] == ["One\u2028two", "b"]


def test_jsonl_naive_times_are_in_the_site_time_zone():
    """A date-time without an offset is read in settings.TIME_ZONE (UTC here) and made aware."""
    [record] = jsonl.parse(_line(published_at="2023-08-30T22:40:00", spans=[])).records
    assert record.published_at == datetime(2023, 8, 30, 22, 40, tzinfo=UTC)


def test_jsonl_non_canonical_text_says_why_offsets_moved():
    """Offsets into CRLF text do not survive normalisation; the reason says so."""
    text = "a\r\nb claim"
    result = jsonl.parse(
        _line(text=text, spans=[{"start": 5, "end": 10, "label": "claim", "text": "claim"}])
    )
    assert "not in canonical form" in result.refused[0][1]


def test_jsonl_unknown_fields_are_listed_not_lost():
    """Fields the format does not know are named in the metadata, not dropped silently."""
    [record] = jsonl.parse(_line(spans=[], extra=1)).records
    assert record.metadata["ignored_fields"] == ["extra"]


# The other spans of BODY a line links to and from ("Moscow denied it").
DENIAL = {
    "id": 4,
    "start": 53,
    "end": 70,
    "label": "denial",
    "text": "Moscow denied it.",
    "speaker": "Moscow",
    "speaker_details": {"kind": "organization", "role": "", "url": ""},
    "relations": [{"to": 3, "type": "denies"}],
}


def _fact_check_line(claim_overrides=None, denial_overrides=None) -> str:
    """_line() with everything a span can carry: speaker details, a verdict, links."""
    claim = json.loads(_line())["spans"][0]
    claim.update(
        speaker_details={"kind": "person", "role": "spokesman", "url": "https://example.org/k"},
        verdict={
            "scale": "Default",
            "slug": "false",
            "name": "False",
            "value": 1,
            "explanation": " Not so. ",
            "by": "edith",
            "at": "2024-01-04T05:06:07+00:00",
        },
        relations=[],
    )
    claim.update(claim_overrides or {})
    return _line(spans=[claim, {**DENIAL, **(denial_overrides or {})}])


def test_jsonl_reads_speaker_details_verdicts_and_links():
    """The fact-check fields are read: speaker details, the verdict (scale, slug, public
    explanation, who, when; name and value are for readers) and each link, its "to" (a
    span id of the line) turned into the position of that span."""
    result = jsonl.parse(_fact_check_line())
    assert result.refused == []
    claim, denial = result.records[0].spans
    assert (claim.speaker, claim.speaker_details.role, claim.speaker_details.url) == (
        "Kirby",
        "spokesman",
        "https://example.org/k",
    )
    assert (denial.speaker_details.kind, claim.speaker_details.kind) == ("organization", "person")
    verdict = claim.verdict
    assert (verdict.scale, verdict.slug, verdict.explanation, verdict.by) == (
        "Default",
        "false",
        "Not so.",
        "edith",
    )
    assert verdict.at == datetime(2024, 1, 4, 5, 6, 7, tzinfo=UTC)
    assert claim.relations == []
    assert [(r.to, r.type) for r in denial.relations] == [(0, "denies")]


def test_jsonl_lines_without_the_fact_check_fields_still_read():
    """A file written before speakers had details, verdicts or links imports: no details,
    no verdict, no links; null is the same as absent."""
    [span] = jsonl.parse(_line()).records[0].spans
    assert (span.speaker_details, span.verdict, span.relations) == (None, None, [])
    nulls = {"speaker_details": None, "verdict": None, "relations": None}
    [span] = (
        jsonl.parse(_line(spans=[{**json.loads(_line())["spans"][0], **nulls}])).records[0].spans
    )
    assert (span.speaker, span.speaker_details, span.verdict, span.relations) == (
        "Kirby",
        None,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("claim", "denial", "reason"),
    [
        (
            {},
            {"relations": [{"to": 99, "type": "denies"}]},
            "span 2, relation 1: “to” is 99, and no span of this article has that “id” "
            "(a link joins two spans of one article)",
        ),
        ({}, {"relations": [{"to": 4, "type": "denies"}]}, "cannot be linked to itself"),
        (
            {},
            {"relations": [{"to": 3, "type": "denies"}, {"to": 3, "type": "responds_to"}]},
            "span 2, relation 2: links to the span 3 a second time",
        ),
        ({}, {"relations": [{"to": 3}]}, "span 2, relation 1: has no “type”"),
        ({}, {"relations": [{"type": "denies"}]}, "“to” must be the “id” of another span"),
        ({}, {"relations": {"to": 3}}, "span 2: “relations” must be a list"),
        ({"id": 4}, {}, "“to” is 3, and no span of this article has that “id”"),
        ({"id": 7}, {"id": 7, "relations": [{"to": 7, "type": "denies"}]}, "several spans"),
        ({"verdict": "false"}, {}, "span 1: “verdict” must be a JSON object or null"),
        ({"verdict": {"slug": "false", "at": "soon"}}, {}, "span 1: verdict: “at” is not"),
        ({"verdict": {"scale": "Default"}}, {}, "names the scale “Default” but no “slug”"),
        ({"speaker": ""}, {}, "span 1: has “speaker_details” but no “speaker”"),
        ({"speaker_details": "person"}, {}, "“speaker_details” must be a JSON object or null"),
    ],
)
def test_jsonl_bad_fact_check_fields_refuse_the_line_with_a_reason(claim, denial, reason):
    """A link to an id that is not in the article (or to itself, twice, untyped), a verdict
    or speaker details of the wrong shape: the line is refused saying which span and why."""
    result = jsonl.parse(_fact_check_line(claim, denial))
    assert result.records == []
    [(line, problem)] = result.refused
    assert line == 1 and reason in problem, problem


# --- checks against the models ------------------------------------------------------------


def test_unknown_label_is_a_problem():
    """A span whose label slug does not exist refuses the line, naming the label."""
    [record] = jsonl.parse(_line()).records
    assert record_problem(record, label_slugs={"claim"}) is None
    assert record_problem(record, label_slugs={"denial"}) == (
        "span 1: unknown label “claim” (add it in the admin first)"
    )


def test_bad_source_url_stance_and_status_are_problems():
    """Non-http(s) source URLs, unknown stances and unknown statuses refuse the line."""
    [record] = jsonl.parse(_line()).records
    record.spans[0].sources[0].url = "javascript:alert(1)"
    assert record_problem(record, label_slugs={"claim"}).startswith(
        "span 1, source 1: Enter an http"
    )
    record.spans[0].sources[0].url = "https://example.org/"
    record.spans[0].sources[0].stance = "maybe"
    assert "unknown stance “maybe”" in record_problem(record, label_slugs={"claim"})
    record.spans[0].sources[0].stance = "supports"
    record.status = "done"
    assert "unknown status “done”" in record_problem(record, label_slugs={"claim"})


def _checked(line: str, **known) -> str | None:
    [record] = jsonl.parse(line).records
    defaults = {
        "label_slugs": {"claim", "denial"},
        "verdict_labels": {"claim"},
        "ratings": {("Default", "false"): 1},
    }
    return record_problem(record, **{**defaults, **known})


def test_fact_check_fields_are_checked_against_what_exists():
    """An unknown verdict (scale and slug), a verdict on a label that takes none, an
    unknown speaker kind, a speaker URL that is not http(s) and an unknown link type each
    refuse the line with a reason; the full line passes."""
    assert _checked(_fact_check_line()) is None
    assert _checked(_fact_check_line(), ratings={("Strict", "false"): 1}) == (
        "span 1: unknown verdict “false” on the rating scale “Default” (add it in the admin first)"
    )
    assert "span 1: a “claim” span carries no verdict" in _checked(
        _fact_check_line(), verdict_labels=set()
    )
    assert (
        _checked(_fact_check_line({"speaker_details": {"kind": "robot"}}))
        == "span 1: unknown speaker kind “robot” (use one of: person, organization)"
    )
    assert _checked(
        _fact_check_line({"speaker_details": {"url": "javascript:alert(1)"}})
    ).startswith("span 1: speaker url: Enter an http")
    assert _checked(_fact_check_line({}, {"relations": [{"to": 3, "type": "hates"}]})) == (
        "span 2, relation 1: unknown type “hates” (use one of: denies, responds_to, evidence_for)"
    )
    # An explanation before a rating was chosen names no rating: nothing to look up.
    unrated = {"verdict": {"scale": None, "slug": None, "explanation": "Checking."}}
    assert _checked(_fact_check_line(unrated), ratings={}, verdict_labels=set()) is None


def test_over_long_fields_are_problems():
    """A value longer than its model field refuses the line (PostgreSQL would fail mid-insert)."""
    [record] = jsonl.parse(_line(author="x" * 301, spans=[])).records
    assert (
        record_problem(record, label_slugs=set()) == "“author” is 301 characters long (at most 300)"
    )


# --- registry --------------------------------------------------------------------------------


def test_registry_picks_by_extension_then_by_content(seed_text):
    """.jsonl is JSONL; a .txt that opens with <div>Title</div> is a scraped page; any other
    .txt is plain text."""
    assert format_for("a.jsonl", "{}").name == "native-jsonl"
    assert format_for("A.NDJSON", "{}").name == "native-jsonl"
    assert format_for("seed.txt", seed_text).name == "scraped-page"
    assert format_for("notes.txt", "Title\nBody").name == "plain-text"


def test_registry_refuses_other_extensions_naming_what_it_accepts():
    """Other file types are refused before reading, with the list of accepted extensions."""
    with pytest.raises(
        ImportRefused,
        match=(
            r"Cannot import “\.pdf” files; accepted: \.csv, \.htm, \.html, \.json, \.jsonl, "
            r"\.jsonld, \.ndjson, \.tsv, \.txt, \.xhtml, \.zip\."
        ),
    ):
        formats_for("report.pdf")
    with pytest.raises(ImportRefused, match="files without an extension"):
        formats_for("README")


def test_every_format_describes_itself():
    """The import page lists each format with a label and a description."""
    for fmt in FORMATS:
        assert fmt.label and fmt.description and fmt.extensions


def test_jsonl_short_fields_follow_the_text_contract_too():
    """NUL (which PostgreSQL refuses) and other control characters are removed from titles,
    notes and the like, as from the body; they are NFC and trimmed."""
    spans = [
        {"start": 0, "end": 5, "label": "claim", "note": " n\x00ote\x07 ", "speaker": "Cafe\u0301"}
    ]
    [record] = jsonl.parse(_line(title="A\x00B", text="Kirby spoke.", spans=spans)).records
    assert record.title == "AB"
    assert (record.spans[0].note, record.spans[0].speaker) == ("note", "Café")


def test_jsonl_parse_chunks_yields_the_records_of_parse_a_few_lines_at_a_time():
    """The importer reads a large file chunk by chunk: the same records and refusals as
    parse(), in order, `size` lines a chunk (blank lines not counted)."""
    lines = [
        _line(id=1),
        "{broken",
        "",
        _line(id=3, text="Other text.", spans=[]),
        _line(id=4, text="Third.", spans=[]),
    ]
    text = "\n".join(lines) + "\n"
    chunks = list(jsonl.parse_chunks(text, size=2))
    assert [([r.line for r in c.records], c.refused) for c in chunks] == [
        ([1], [(2, jsonl.parse("{broken").refused[0][1])]),
        ([4, 5], []),
    ]
    whole = jsonl.parse(text)
    assert [r.line for r in whole.records] == [1, 4, 5]
    assert [r.body for c in chunks for r in c.records] == [r.body for r in whole.records]


def test_the_importer_writes_every_column_of_the_tables_it_inserts_into():
    """Articles, spans, their citations and history are inserted with plain SQL, column by column: a
    field added to one of these models must be added to the importer too."""
    from annotations.importers import rows
    from annotations.models import Annotation, Article, Evidence, HistoryEvent

    for model, columns in (
        (Article, rows.ARTICLE_COLUMNS),
        (Annotation, rows.ANNOTATION_COLUMNS),
        (Evidence, rows.EVIDENCE_COLUMNS),
        (HistoryEvent, rows.HISTORY_COLUMNS),
    ):
        fields = {f.column for f in model._meta.concrete_fields if not f.primary_key}
        assert sorted(columns) == sorted(fields), model.__name__
