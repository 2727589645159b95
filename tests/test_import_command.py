"""`manage.py import_articles` and the import service behind it."""

import codecs
import json
import shutil
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from annotations.exporters import get_format
from annotations.exporters.query import export_articles
from annotations.importers import accepted_extensions
from annotations.importers.accounts import FALLBACK_USERNAME
from annotations.models import (
    Annotation,
    Article,
    Evidence,
    HistoryEvent,
    Rating,
    Relation,
    Source,
    Speaker,
)
from tests.factories import make_annotation, make_article, make_source, make_speaker
from tests.import_helpers import stored

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_767f74c7ad0d4c0d.txt"
BROKEN_JSON = "Expecting property name enclosed in double quotes at column 2"  # for "{broken"
SEED_TITLE = "Russia, North Korea ‘Actively Advancing’ Arms Deal For Ukraine War: White House"

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command("import_articles", *[str(a) for a in args], stdout=out, no_color=True)
    return out.getvalue().splitlines()


@pytest.fixture
def seed_copy(tmp_path):
    path = tmp_path / SEED.name
    shutil.copy(SEED, path)
    return path


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- text files ------------------------------------------------------------------------------


def test_seed_file_is_imported_with_one_line_and_a_total(seed_copy):
    """One line per file, then the totals; the article has the seed's title, author and date."""
    assert run(seed_copy) == [
        f'created: {seed_copy} — "{SEED_TITLE}"',
        "1 created, 0 already present, 0 refused",
    ]
    article = Article.objects.get()
    assert article.title == SEED_TITLE
    assert article.author == "Tyler Durden"
    assert article.published_at == datetime(2023, 8, 30, 22, 40, tzinfo=UTC)
    assert article.body.startswith("The White House is again accusing Moscow")
    assert article.status == Article.Status.NEW
    metadata = article.import_metadata
    assert metadata["source_file"] == str(seed_copy)
    assert metadata["format"] == "scraped-page"
    assert metadata["encoding"] == "utf-8"
    assert "error: Content is protected !!" in [d["text"] for d in metadata["dropped_lines"]]


def test_re_running_is_a_no_op_that_says_so(seed_copy):
    """Importing the same text again creates nothing and reports it as already present."""
    run(seed_copy)
    assert run(seed_copy) == [
        f'already present: {seed_copy} — "{SEED_TITLE}"',
        "0 created, 1 already present, 0 refused",
    ]
    assert Article.objects.count() == 1


def test_folders_are_walked_recursively_in_order_and_hidden_files_skipped(tmp_path):
    """Files in folders are imported sorted by path; dotfiles are not looked at."""
    write(tmp_path / "b.txt", "Bee\nThe bee text.")
    write(tmp_path / "a.txt", "Ay\nThe ay text.")
    write(tmp_path / "sub" / "c.txt", "Sea\nThe sea text.")
    write(tmp_path / ".DS_Store", b"\x00\x01binary")
    write(tmp_path / ".git" / "x.txt", "Hidden\nNot imported.")
    lines = run(tmp_path)
    assert lines == [
        f'created: {tmp_path / "a.txt"} — "Ay"',
        f'created: {tmp_path / "b.txt"} — "Bee"',
        f'created: {tmp_path / "sub" / "c.txt"} — "Sea"',
        "3 created, 0 already present, 0 refused",
    ]


def test_a_file_named_twice_is_imported_once(seed_copy):
    """A file reached twice (its folder and its own name) is imported once."""
    assert run(seed_copy.parent, seed_copy)[-1] == "1 created, 0 already present, 0 refused"


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "The file is empty."),
        ("blank.txt", b"  \n\n\t\n", "The file has no text (only white space)."),
        # Found by the outside tester: invisible characters (no-break space, em space,
        # zero-width space) became an article titled "\u200b".
        (
            "invisible.txt",
            "\u00a0\u2003\u200b\n\u200c\u200d\u2060\ufeff\n\u200b".encode(),
            "The file has no text (only white space).",
        ),
        (
            "binary.txt",
            b"GIF89a\x01\x00\x01\x00\x00\xff\x00",
            "The file looks binary: it contains NUL bytes",
        ),
        # Issue 9: clean Latin-1/Windows-1252 is now read as such (see
        # test_import_service_formats.py); bytes undefined in Windows-1252 are still refused.
        (
            "not-1252.txt",
            b"Titre\nLe caf\x81",
            "The file is not valid UTF-8 (line 2, byte 12: byte 0x81)",
        ),
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\n",
            f"Cannot import “.png” files; accepted: {', '.join(accepted_extensions())}.",
        ),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_store_nothing(tmp_path, name, data, reason):
    """A file that cannot be read as an article is refused with why; nothing is stored for
    it, and the other files in the same run still import."""
    bad = write(tmp_path / "1" / name, data)
    good = write(tmp_path / "2" / "good.txt", "Good\nA good article.")
    lines = run(tmp_path)
    assert lines[0].startswith(f"refused: {bad}: {reason}")
    assert lines[1] == f'created: {good} — "Good"'
    assert lines[2] == "1 created, 0 already present, 1 refused"
    assert list(Article.objects.values_list("title", flat=True)) == ["Good"]


def test_crlf_input_is_normalised(tmp_path):
    """Windows line endings become \\n; the same text with \\n is then already present."""
    write(tmp_path / "crlf.txt", "Title\r\nLine one.\r\n\r\nLine two.\r\n")
    run(tmp_path / "crlf.txt")
    assert Article.objects.get().body == "Line one.\n\nLine two."
    write(tmp_path / "lf.txt", "Title\nLine one.\n\nLine two.\n")
    assert run(tmp_path / "lf.txt")[-1] == "0 created, 1 already present, 0 refused"


def test_utf16_file_with_byte_order_mark_decodes(tmp_path):
    """A UTF-16 file (as Windows Notepad saves it) imports as the same text."""
    text = "Café “news”\r\nKirby said 😀 東京.\r\n"
    write(tmp_path / "u16.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    run(tmp_path / "u16.txt")
    article = Article.objects.get()
    assert (article.title, article.body) == ("Café “news”", "Kirby said 😀 東京.")
    assert article.import_metadata["encoding"] == "utf-16-le"


def test_markup_stays_literal_text(tmp_path):
    """<script> in a text file is text: stored as written, not stripped or interpreted."""
    write(tmp_path / "x.txt", "Markup\n<script>alert('x')</script> & <b>bold</b>")
    run(tmp_path / "x.txt")
    assert Article.objects.get().body == "<script>alert('x')</script> & <b>bold</b>"


def test_missing_path_fails_before_importing_anything(seed_copy, tmp_path):
    """A path that does not exist is an error (non-zero exit), and nothing is imported."""
    with pytest.raises(CommandError, match=r"No such file or folder: .*nope"):
        run(seed_copy, tmp_path / "nope")
    assert not Article.objects.exists()


def test_unknown_user_is_an_error(seed_copy):
    """--user naming nobody is an error before anything is imported."""
    with pytest.raises(CommandError, match="No user named “ghost”"):
        run(seed_copy, "--user", "ghost")
    assert not Article.objects.exists()


def test_user_option_is_recorded(seed_copy, editor):
    """--user is recorded as who imported the article."""
    run(seed_copy, "--user", editor.username)
    assert Article.objects.get().import_metadata["imported_by"] == editor.username


# --- JSONL -----------------------------------------------------------------------------------


def _annotated_articles(reviewer):
    first = make_article(
        "Kirby said “the talks are advancing” 😀 on Wednesday.\nMoscow denied it.",
        title="Talks",
        author="Jane Doe",
        publisher="Example",
        source_url="https://example.org/talks",
        published_at=datetime(2023, 8, 30, 22, 40, tzinfo=UTC),
        status=Article.Status.IN_REVIEW,
    )
    kirby = make_speaker("Kirby", role="White House spokesman", url="https://example.org/kirby")
    claim = make_annotation(
        first,
        11,
        36,
        author=reviewer,
        speaker=kirby,
        note="check this",
        verdict=Rating.objects.get(scale__name="Default", slug="mostly-false"),
        verdict_explanation="The deal was not signed.",
        verdict_by=reviewer,
        verdict_at=datetime(2023, 9, 1, 8, 0, tzinfo=UTC),
    )
    make_source(
        claim,
        "https://example.org/a",
        title="A",
        publisher="AP",
        quoted_passage="q",
        accessed_on=date(2024, 1, 3),
        stance=Evidence.Stance.REFUTES,
    )
    make_source(claim, "https://example.org/b")
    denial = make_annotation(first, 53, 70, author=reviewer, label_slug="denial")
    make_source(denial, "https://example.org/a", stance=Evidence.Stance.SUPPORTS)
    Relation.objects.create(from_span=denial, to_span=claim, type=Relation.Type.DENIES)
    second = make_article("Nothing flagged here.", title="Quiet")
    return first, second


def _snapshot():
    """Everything a round trip must keep, without database ids."""
    return [
        (
            a.title,
            a.body,
            a.author,
            a.published_at,
            a.source_url,
            a.publisher,
            a.status,
            [
                (
                    s.start,
                    s.end,
                    s.label.slug,
                    s.quote,
                    s.prefix,
                    s.suffix,
                    (s.speaker.name, s.speaker.kind, s.speaker.role, s.speaker.url)
                    if s.speaker
                    else None,
                    s.note,
                    s.author.username,
                    s.created_at,
                    (
                        s.verdict and (s.verdict.scale.name, s.verdict.slug),
                        s.verdict_explanation,
                        s.verdict_by and s.verdict_by.username,
                        s.verdict_at,
                    ),
                    [
                        (
                            src.url,
                            src.title,
                            src.publisher,
                            src.stance,
                            src.quoted_passage,
                            src.accessed_on,
                        )
                        for src in s.sources.all()
                    ],
                    [(r.to_span.quote, r.type) for r in s.relations_out.all()],
                )
                for s in a.annotations.all()
            ],
        )
        for a in Article.objects.order_by("title")
    ]


def test_export_imports_back_with_spans_and_sources(tmp_path, reviewer, editor):
    """Round trip: the native JSONL export, imported into an empty database, recreates the
    articles, their spans (offsets, labels, quotes, annotators, times), their speakers
    (with role and URL), verdicts, sources (one record cited by two spans) and links."""
    _annotated_articles(reviewer)
    before = _snapshot()
    exported = "".join(get_format("jsonl").stream(export_articles()))
    Article.objects.all().delete()
    Source.objects.all().delete()
    Speaker.objects.all().delete()

    path = write(tmp_path / "export.jsonl", exported)
    lines = run(path, "--user", editor.username)
    assert lines == [
        f'created: {path} — 2 articles: "Talks", "Quiet"',
        "2 created, 0 already present, 0 refused",
    ]
    assert _snapshot() == before
    assert Source.objects.count() == 2  # https://example.org/a is one record, cited twice
    # Each imported article's arrival is in the history, brought in by the editor with
    # its spans counted; the spans get no event each (importers/rows._record_arrivals).
    events = HistoryEvent.objects.filter(
        action=HistoryEvent.Action.CREATE, kind=HistoryEvent.Kind.ARTICLE, actor=editor
    )
    assert sorted((e.after["title"], e.after["imported_spans"]) for e in events) == sorted(
        (a.title, a.annotations.count()) for a in Article.objects.all()
    )
    assert not HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ANNOTATION).exists()
    # And importing the export again changes nothing.
    assert run(path)[-1] == "0 created, 2 already present, 0 refused"


def _jsonl(*records) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"


def _record(text, spans=(), **fields):
    return {"title": fields.pop("title", text), "text": text, "spans": list(spans), **fields}


def test_jsonl_bad_lines_are_refused_by_number_and_the_rest_import(tmp_path, reviewer):
    """Each bad line is reported with its number and reason; the good lines are stored."""
    path = write(
        tmp_path / "batch.jsonl",
        _jsonl(
            _record(
                "First article.",
                [{"start": 0, "end": 5, "label": "claim", "text": "First", "annotator": "rita"}],
            ),
            _record(
                "Second article.", [{"start": 0, "end": 6, "label": "rumour", "text": "Second"}]
            ),
            _record("Third article.", [{"start": 0, "end": 5, "label": "claim", "text": "Wrong"}]),
        )
        + "{broken\n"
        + _jsonl(_record("First article.")),
    )
    lines = run(path)
    assert lines == [
        f'created: {path} — "First article." (1 already present, 3 refused)',
        f"refused: {path}, line 2: span 1: unknown label “rumour” (add it in the admin first)",
        f"refused: {path}, line 3: span 1: [0, 5) The selected text does not match the article at "
        "those offsets; reload the page and select it again.",
        f"refused: {path}, line 4: not valid JSON ({BROKEN_JSON})",
        "1 created, 1 already present, 3 refused",
    ]
    article = Article.objects.get()
    assert article.import_metadata["line"] == 1
    assert article.status == Article.Status.IN_REVIEW
    assert article.annotations.get().author == reviewer
    assert Annotation.objects.count() == 1


def test_jsonl_with_no_good_line_is_refused_and_stores_nothing(tmp_path):
    """A JSONL file in which no line can be imported is refused as a whole, each line's
    reason listed, and nothing is stored."""
    path = write(tmp_path / "bad.jsonl", "{broken\n[]\n")
    assert run(path) == [
        f"refused: {path}: No line could be imported.",
        f"refused: {path}, line 1: not valid JSON ({BROKEN_JSON})",
        f"refused: {path}, line 2: each line must be a JSON object (one article)",
        "0 created, 0 already present, 2 refused",
    ]
    assert not Article.objects.exists()


def test_unknown_annotator_is_attributed_to_the_importer_and_remembered(tmp_path, editor):
    """A span by someone with no account here goes to the --user; the original name is kept
    in the article's import metadata, not written into the reviewer's note."""
    path = write(
        tmp_path / "x.jsonl",
        _jsonl(
            _record(
                "Claim here.",
                [{"start": 0, "end": 5, "label": "claim", "annotator": "zoe", "note": "n"}],
            )
        ),
    )
    run(path, "--user", editor.username)
    span = Annotation.objects.get()
    assert span.author == editor
    assert span.note == "n"
    assert span.article.import_metadata["reassigned_spans"] == [
        {
            "span": 1,
            "start": 0,
            "end": 5,
            "label": "claim",
            "annotator": "zoe",
            "attributed_to": editor.username,
        }
    ]


def test_unknown_annotator_without_user_goes_to_an_inactive_fallback_account(tmp_path):
    """Without --user, spans of unknown annotators go to an inactive account that cannot sign in."""
    path = write(
        tmp_path / "x.jsonl",
        _jsonl(
            _record("Claim here.", [{"start": 0, "end": 5, "label": "claim", "annotator": "zoe"}])
        ),
    )
    run(path)
    author = Annotation.objects.get().author
    assert author.username == FALLBACK_USERNAME
    assert not author.is_active
    assert not author.has_usable_password()


def test_a_database_failure_rolls_the_whole_file_back(tmp_path, monkeypatch):
    """Each file is one transaction: if storing its sources fails (after its articles and
    spans went in), those are not kept either, and the next file still imports."""
    bad = write(
        tmp_path / "1.jsonl",
        _jsonl(
            _record(
                "Claim here.",
                [
                    {
                        "start": 0,
                        "end": 5,
                        "label": "claim",
                        "sources": [{"url": "https://example.org/"}],
                    }
                ],
            )
        ),
    )
    good = write(tmp_path / "2.txt", "Fine\nA fine article.")

    from annotations.importers import rows

    insert_rows = rows.insert_rows

    def fail_on_citations(model, columns, values):
        if model is Evidence:
            raise IntegrityError("simulated failure")
        insert_rows(model, columns, values)

    monkeypatch.setattr(rows, "insert_rows", fail_on_citations)
    lines = run(tmp_path)
    assert (
        lines[0]
        # Issue 9: the database's own message (raw SQL on PostgreSQL) is logged, not shown.
        == f"refused: {bad}: The database refused the file (another import may have stored "
        "the same articles a moment ago); nothing of it was stored. Import it again."
    )
    assert lines[1] == f'created: {good} — "Fine"'
    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]
    assert not Annotation.objects.exists()


CLAIM_TEXT = "Kirby said the talks are advancing. Moscow denied it."


def _claim(**fields):
    return {"id": 1, "start": 11, "end": 34, "label": "claim", "annotator": "rita", **fields}


def _denial(**fields):
    return {"id": 2, "start": 36, "end": 52, "label": "denial", "annotator": "rita", **fields}


def test_a_verdict_is_found_by_scale_and_slug_and_an_unknown_one_refuses_its_line(
    tmp_path, reviewer
):
    """A known verdict is stored with its explanation, author and time (a verdict without
    a scale is on the default scale); one whose scale or slug is not here refuses its
    line, by number, with the reason; it is never dropped silently."""
    at = "2024-02-03T04:05:06+00:00"
    path = write(
        tmp_path / "verdicts.jsonl",
        _jsonl(
            _record(
                CLAIM_TEXT,
                [
                    _claim(
                        verdict={"slug": "mixed", "explanation": "Partly.", "by": "rita", "at": at}
                    )
                ],
            ),
            _record(
                "Second. " + CLAIM_TEXT,
                [_claim(start=19, end=42, verdict={"scale": "Default", "slug": "pants-on-fire"})],
            ),
            _record(
                "Third. " + CLAIM_TEXT,
                [_claim(start=18, end=41, verdict={"scale": "Strict", "slug": "false"})],
            ),
        ),
    )
    lines = run(path)
    assert lines[1:3] == [
        f"refused: {path}, line 2: span 1: unknown verdict “pants-on-fire” on the rating scale "
        "“Default” (add it in the admin first)",
        f"refused: {path}, line 3: span 1: unknown verdict “false” on the rating scale “Strict” "
        "(add it in the admin first)",
    ]
    span = Annotation.objects.select_related("verdict__scale").get()
    assert (span.verdict.scale.name, span.verdict.slug, span.verdict_explanation) == (
        "Default",
        "mixed",
        "Partly.",
    )
    assert (span.verdict_by, span.verdict_at) == (
        reviewer,
        datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
    )


def test_a_verdict_on_a_label_that_takes_none_refuses_its_line(tmp_path, reviewer):
    """Only spans whose label takes a verdict (claims) are rated, as on the review page."""
    path = write(
        tmp_path / "x.jsonl",
        _jsonl(_record(CLAIM_TEXT, [_denial(verdict={"slug": "false"})])),
    )
    assert "line 1: span 1: a “denial” span carries no verdict" in run(path)[1]
    assert not Annotation.objects.exists()


def test_a_verdict_by_someone_without_an_account_is_kept_without_its_author(tmp_path, editor):
    """The verdict is stored, verdict_by left empty (not the importer: they did not give
    it), and the name kept in the import metadata."""
    path = write(
        tmp_path / "x.jsonl",
        _jsonl(_record(CLAIM_TEXT, [_claim(verdict={"slug": "true", "by": "zoe"})])),
    )
    run(path, "--user", editor.username)
    span = Annotation.objects.get()
    assert (span.verdict.slug, span.verdict_by) == ("true", None)
    assert span.article.import_metadata["unattributed_verdicts"] == [
        {"span": 1, "start": 11, "end": 34, "label": "claim", "verdict_by": "zoe"}
    ]


def test_speaker_details_fill_a_new_speaker_and_never_change_one_already_here(tmp_path, reviewer):
    """A new speaker is created with the file's kind, role and URL; a speaker already here
    (the same name in another case) is used as it is, whatever the file says."""
    kirby = make_speaker("Kirby", role="White House spokesman")
    details = {"kind": "organization", "role": "Something else", "url": "https://x.example/"}
    path = write(
        tmp_path / "x.jsonl",
        _jsonl(
            _record(
                CLAIM_TEXT,
                [
                    _claim(speaker="KIRBY", speaker_details=details),
                    _denial(
                        speaker="Maria  Zakharova",
                        speaker_details={"kind": "person", "role": "Spokeswoman", "url": ""},
                    ),
                ],
            )
        ),
    )
    run(path)
    kirby.refresh_from_db()
    assert (kirby.name, kirby.kind, kirby.role, kirby.url) == (
        "Kirby",
        "person",
        "White House spokesman",
        "",
    )
    zakharova = Speaker.objects.get(name="Maria Zakharova")
    assert (zakharova.kind, zakharova.role) == ("person", "Spokeswoman")
    assert sorted(a.speaker.name for a in Annotation.objects.all()) == ["Kirby", "Maria Zakharova"]
    # Its creation is in the history, as one typed on the review page would be.
    event = HistoryEvent.objects.get(kind=HistoryEvent.Kind.SPEAKER)
    assert (event.object_id, event.after["role"]) == (zakharova.pk, "Spokeswoman")


def test_a_speaker_named_with_accents_is_found_again_in_any_case(tmp_path, reviewer):
    """ "Émile Zola" in a file is the Émile Zola already here, and "ÉMILE ZOLA" too, on
    SQLite as well (whose LOWER() folds ASCII only): no span loses its speaker."""
    zola = make_speaker("Émile Zola")
    path = write(
        tmp_path / "x.jsonl",
        _jsonl(
            _record(CLAIM_TEXT, [_claim(speaker="Émile Zola"), _denial(speaker="émile zola")]),
            _record("Other. " + CLAIM_TEXT, [_claim(start=18, end=41, speaker="Ève Curie")]),
        ),
    )
    assert run(path)[-1] == "2 created, 0 already present, 0 refused"
    speakers = dict(Annotation.objects.values_list("start", "speaker__name"))
    assert speakers == {11: "Émile Zola", 36: "Émile Zola", 18: "Ève Curie"}
    assert Speaker.objects.filter(name="Émile Zola").get() == zola


def test_links_join_the_imported_spans_and_one_to_another_article_refuses_its_line(
    tmp_path, reviewer
):
    """A link's "to" names a span of the same line and is stored between the new spans; a
    "to" that names no span of the article refuses the line with the reason."""
    path = write(
        tmp_path / "links.jsonl",
        _jsonl(
            _record(CLAIM_TEXT, [_claim(), _denial(relations=[{"to": 1, "type": "denies"}])]),
            _record(
                "Again. " + CLAIM_TEXT,
                [_denial(start=43, end=59, relations=[{"to": 1, "type": "denies"}])],
            ),
        ),
    )
    lines = run(path)
    assert lines[1] == (
        f"refused: {path}, line 2: span 1, relation 1: “to” is 1, and no span of this "
        "article has that “id” (a link joins two spans of one article)"
    )
    relation = Relation.objects.select_related("from_span", "to_span").get()
    assert (relation.from_span.quote, relation.to_span.quote, relation.type) == (
        "Moscow denied it",
        "the talks are advancing",
        "denies",
    )


def test_a_url_named_twice_on_one_span_is_one_citation_keeping_both_passages(tmp_path, reviewer):
    """Two sources of one span that are the same page (the host in capitals, a tracking
    parameter) become one citation, as the data migration merged such twins: the first
    stance, both passages, the second's differing stance written into its passage."""
    sources = [
        {"url": "https://Example.org/report", "stance": "refutes", "quoted_passage": "No deal."},
        {
            "url": "https://example.org/report?utm_source=x",
            "stance": "context",
            "quoted_passage": "Talks go on.",
        },
    ]
    path = write(tmp_path / "x.jsonl", _jsonl(_record(CLAIM_TEXT, [_claim(sources=sources)])))
    run(path)
    [citation] = Evidence.objects.select_related("source")
    assert (citation.url, citation.stance, citation.quoted_passage) == (
        "https://example.org/report",
        "refutes",
        "No deal.\n\n[context] Talks go on.",
    )


def _many(n: int, word: str) -> str:
    """n articles, each with a claim (with a source and a time) and a denial. The claims of
    one file cite one URL, the file's own (so each file creates one shared record)."""
    return _jsonl(
        *(
            _record(
                f"{word} {i:05}: the minister said the bridge is safe.",
                [
                    {
                        "start": 0,
                        "end": len(word),
                        "label": "claim",
                        "text": word,
                        "annotator": "rita",
                        "created_at": "2024-01-02T03:04:05+00:00",
                        "sources": [
                            {"url": f"https://example.org/{word.lower()}", "stance": "supports"}
                        ],
                    },
                    {
                        "start": len(word) + 12,
                        "end": len(word) + 24,
                        "label": "denial",
                        "annotator": "rita",
                    },
                ],
            )
            for i in range(n)
        )
    )


def test_jsonl_import_uses_the_same_queries_for_100_or_200_articles(
    tmp_path, reviewer, django_assert_max_num_queries
):
    """Bulk writes: the number of queries does not grow with the articles, spans or sources.
    (Both files are large enough to defer the search index: importers/file_store.py.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.importers.file_store import DEFER_SEARCH_INDEX_FROM

    assert DEFER_SEARCH_INDEX_FROM <= 100

    with CaptureQueriesContext(connection) as small:
        assert run(write(tmp_path / "small.jsonl", _many(100, "Article")))[-1].startswith(
            "100 created"
        )
    with CaptureQueriesContext(connection) as large:
        assert run(write(tmp_path / "large.jsonl", _many(200, "Item")))[-1].startswith(
            "200 created"
        )
    assert Annotation.objects.count() == 600
    assert Evidence.objects.count() == 300
    assert Source.objects.count() == 2  # the claims of a file cite one URL: one record each
    assert len(large) == len(small)
    with django_assert_max_num_queries(20):
        run(write(tmp_path / "again.jsonl", _many(200, "Entry")))


def test_imported_articles_are_in_the_history_as_the_services_snapshot_them(tmp_path, editor):
    """Each imported article has one history event, its arrival: what
    history.snapshot_article_fields says of the stored article, with how many spans came
    with it (the importer builds it without loading the article). The spans get none of
    their own; the history reads each one's first version off the span itself."""
    from annotations.history import (
        IMPORTED_SPANS,
        annotation_version_snapshot,
        snapshot_annotation,
        snapshot_article_fields,
    )

    run(write(tmp_path / "a.jsonl", _many(3, "Claim")), "--user", editor.username)
    events = list(HistoryEvent.objects.all())
    assert len(events) == Article.objects.count() == 3
    for event in events:
        article = Article.objects.get(pk=event.object_id)
        assert (event.kind, event.action, event.origin) == ("article", "create", "import")
        assert (event.annotation_id_ref, event.article_id) == (None, article.pk)
        assert (event.actor, event.before) == (editor, None)
        assert event.after == {
            **snapshot_article_fields(article),
            IMPORTED_SPANS: article.annotations.count(),
        }
    for annotation in Annotation.objects.all():
        assert annotation_version_snapshot(annotation.pk, 1) == snapshot_annotation(annotation)


def test_a_large_file_is_stored_chunk_by_chunk_as_if_at_once(tmp_path, reviewer, monkeypatch):
    """A file is written a few lines at a time: spans still land on their own article, a bad
    line is still reported by number, and a text repeated in a later chunk is stored once and
    reported as already present after the articles created."""
    from annotations.importers import bulk_insert, rows, service

    monkeypatch.setattr(service, "_CHUNK", 2)
    monkeypatch.setattr(rows, "LOOKUP_CHUNK", 2)
    # 4 spans a chunk: a full group and one
    monkeypatch.setattr(bulk_insert, "ROWS_PER_INSERT", 3)
    existing = make_article("Item 00003: the minister said the bridge is safe.", title="Old")
    lines = _many(6, "Item").splitlines()
    text = "\n".join([*lines[:2], "{broken", *lines[2:], lines[0]]) + "\n"
    result = service.import_path(write(tmp_path / "many.jsonl", text))

    assert [ref.title for ref in result.created.shown] == [
        f"Item {i:05}: the minister said the bridge is safe." for i in (0, 1, 2, 4, 5)
    ]
    first = result.created.shown[0]
    assert [ref.title for ref in result.already_present.shown] == ["Old", first.title]
    assert list(result.already_present.ids) == [existing.pk, first.id]
    assert [line for line, _ in result.refused_lines] == [3]
    assert Article.objects.count() == 6
    assert Annotation.objects.filter(article=existing).count() == 0
    spans = Annotation.objects.select_related("article", "label")
    assert sorted(s.label.slug for s in spans) == ["claim"] * 5 + ["denial"] * 5
    for span in spans:
        # The context was taken from the record's text: it matches the article it is on.
        body = span.article.body
        assert (span.prefix, span.quote, span.suffix) == (
            body[max(0, span.start - 32) : span.start],
            body[span.start : span.end],
            body[span.end : span.end + 32],
        )
        # The sources went to the span they came with.
        assert span.sources.count() == (1 if span.label.slug == "claim" else 0)
    # Each new article's arrival event went to its own article, chunk after chunk.
    arrivals = HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ARTICLE)
    assert sorted(arrivals.values_list("object_id", "after__title")) == sorted(
        Article.objects.exclude(pk=existing.pk).values_list("pk", "title")
    )


def test_the_terminal_bar_moves_within_one_large_file(tmp_path, monkeypatch):
    """On a terminal, the bar of a single large JSONL file fills as the file is read,
    chunk by chunk, not only when it ends."""
    import re

    from annotations.management.commands import import_articles as command_module

    monkeypatch.setattr(command_module, "_is_terminal", lambda stream: True)
    lines = [json.dumps({"title": f"Bar {i}", "body": f"Body number {i:04}."}) for i in range(2500)]
    out = StringIO()
    call_command(
        "import_articles", str(write(tmp_path / "one.jsonl", "\n".join(lines))), stdout=out
    )
    bars = [len(m) for m in re.findall(r"\[(#*)-*\] 0/1 files", out.getvalue())]
    assert bars, out.getvalue()
    assert bars == sorted(bars)
    assert [b for b in bars if 0 < b < 30], bars  # part-filled while the file is read
    assert Article.objects.filter(title__startswith="Bar ").count() == 2500


def test_lines_of_only_invisible_characters_are_refused_by_number_and_the_rest_imports(tmp_path):
    """A title or text of white space and zero-width characters (category Cf) is none:
    refused by line, naming which, nothing of it stored, the good line imported."""
    invisible = "\u00a0\u2003\u200b\u200c\u200d\u2060\ufeff"
    path = write(
        tmp_path / "invisible.jsonl",
        _jsonl(
            {"title": "No text", "body": invisible},
            {"title": invisible, "body": "A text without a title."},
            {"title": "Fine", "body": "A fine text beside them."},
        ),
    )
    before = stored()
    lines = run(path)
    assert lines == [
        f'created: {path} — "Fine" (2 refused)',
        f"refused: {path}, line 1: the article has no text",
        f"refused: {path}, line 2: the article has no title",
        "1 created, 0 already present, 2 refused",
    ]
    assert stored() == (before[0] + 1, before[1], before[2] + 1)
    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]
