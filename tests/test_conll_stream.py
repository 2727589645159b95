"""CoNLL IOB2 that streams (annotations/exporters/formats/conll.py): bounded memory on a
large article, strict IOB2, and spans off token boundaries reported, never shifted.

seqeval is not a dependency of the project; its strict IOB2 check runs when it is
installed, and `strict_iob2_problems` below checks the same rules (and the offsets) either
way."""

from __future__ import annotations

import io
import re
import tracemalloc

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations.exporters import ExportOptions, get_format
from annotations.exporters.formats import conll
from annotations.exporters.query import ExportArticle, ExportSpan, export_articles
from tests.test_exporters import RICH_BODY, build_dataset, export_text

TAG = re.compile(r"O|[BI]-[\w-]+")
MISALIGNED = re.compile(r'# misaligned span (\d+) \[(\d+), (\d+)\) (".*")$')


def documents(output: str) -> list[dict]:
    """Each article: its id, its comment lines and its sentences of (token, start, end, tag)."""
    found = []
    for line in output.split("\n"):
        fields = line.split(" ")
        if line.startswith("-DOCSTART-"):
            found.append({"id": int(fields[1]), "comments": [], "sentences": [[]]})
        elif line.startswith("# ") and not (len(fields) == 4 and fields[1].isdigit()):
            if found:
                found[-1]["comments"].append(line)
        elif not line:
            if found and found[-1]["sentences"][-1]:
                found[-1]["sentences"].append([])
        else:
            token, start, end, tag = fields
            found[-1]["sentences"][-1].append((token, int(start), int(end), tag))
    for document in found:
        document["sentences"] = [s for s in document["sentences"] if s]
    return found


def strict_iob2_problems(text: str, sentences) -> list[str]:
    """IOB2 as seqeval's strict mode reads it, plus our offsets: every tag O, B-X or I-X;
    an I-X only right after a B-X or I-X of the same X in the same sentence; each token
    text[start:end], in order, and together every \\S+ run of the text."""
    problems = []
    tokens = []
    for sentence in sentences:
        previous = "O"
        for token, start, end, tag in sentence:
            if not TAG.fullmatch(tag):
                problems.append(f"bad tag {tag!r}")
            if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
                problems.append(f"{tag} after {previous} at {start}")
            if text[start:end] != token:
                problems.append(f"token {token!r} is not text[{start}:{end}]")
            tokens.append((start, end))
            previous = tag
    expected = [m.span() for m in re.finditer(r"\S+", text)]
    if tokens != expected:
        problems.append("the tokens are not the text's \\S+ runs in order")
    return problems


def test_the_checker_can_fail():
    text = "a b"
    assert strict_iob2_problems(text, [[("a", 0, 1, "I-claim"), ("b", 2, 3, "O")]])
    assert strict_iob2_problems(text, [[("a", 0, 1, "B-claim"), ("b", 2, 3, "I-denial")]])
    assert strict_iob2_problems(text, [[("a", 0, 1, "O")]])  # a token missing
    assert strict_iob2_problems(text, [[("a", 0, 1, "O"), ("b", 2, 3, "O")]]) == []


@pytest.fixture
def dataset(db):
    return build_dataset()


def test_the_dataset_is_strict_iob2(dataset):
    from annotations.models import Article

    bodies = dict(Article.objects.values_list("id", "body"))
    found = documents(export_text("conll"))
    assert [d["id"] for d in found] == [9001, 9002, 9003]
    for document in found:
        assert strict_iob2_problems(bodies[document["id"]], document["sentences"]) == []


def test_seqeval_reads_it_in_strict_iob2_mode(dataset):
    seqeval = pytest.importorskip("seqeval")  # not a dependency: run when installed
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2

    tags = [[t[3] for t in s] for d in documents(export_text("conll")) for s in d["sentences"]]
    assert seqeval and f1_score(tags, tags, mode="strict", scheme=IOB2) == 1.0


def test_the_file_opens_with_its_tokenisation(dataset):
    first = export_text("conll").split("\n", 1)[0]
    assert first.startswith("# Factcheck CoNLL IOB2: token start end tag.")
    assert "\\S+" in first and "code-point offsets" in first


def test_a_span_off_token_boundaries_is_reported_not_shifted(dataset):
    """“the bridge is safe” starts inside the token “the and «no x̂ deal was signed» inside
    «no: each is a comment line with its id, offsets and quote, its tokens keep the tag
    they would have without it, and the count is in the notes."""
    options = ExportOptions()
    output = export_text("conll", notes=options.notes)
    rich = documents(output)[0]
    reported = [MISALIGNED.match(line).groups() for line in rich["comments"]]
    assert reported == [
        ("7001", "21", "39", '"the bridge is safe"'),
        ("7004", "83", "104", '"no x\u0302 deal was signed"'),
    ]
    assert RICH_BODY[21:39] == "the bridge is safe"
    tags = {token: tag for s in rich["sentences"] for token, _, _, tag in s}
    assert tags["is"] == tags["safe”"] == "O"  # not stretched to the claim's tokens
    assert tags["«no"] == tags["deal"] == "O"
    assert options.notes.misaligned == 3  # and "the budget is balanced" before its "."
    assert "3 spans did not fall on token boundaries" in options.notes.sentences()[0]


def test_an_aligned_span_is_tagged(dataset):
    rich = documents(export_text("conll"))[0]
    tags = [(t[0], t[3]) for s in rich["sentences"] for t in s if t[3] != "O"]
    assert tags[:2] == [("😀", "B-unverified-allegation"), ("Ana", "I-unverified-allegation")]
    assert ("北京", "B-denial") in tags and ("it", "I-denial") in tags


def test_it_reads_only_the_spans_and_their_labels(dataset, django_assert_num_queries):
    """From an export's articles CoNLL asks for the spans with their labels alone: one
    query for the articles and one for their spans, no sources or links; the file is the
    one it writes from fully read articles."""
    conll_format = get_format("conll")
    full = list(export_articles())
    assert any(span.sources for article in full for span in article.spans)
    with django_assert_num_queries(2):
        lean = "".join(conll_format.stream(export_articles(relations=False), ExportOptions()))
    assert lean == "".join(conll_format.stream(full, ExportOptions()))
    assert "B-" in lean


def test_a_misaligned_quote_with_a_line_break_stays_on_its_comment_line():
    text = "alpha beta\ngamma delta"
    span = ExportSpan(1, 3, 14, text[3:14], "claim", "Claim", "", "", "rita", "t")
    article = ExportArticle(5, "t", text, "", None, "", "", "new", [span])
    options = ExportOptions()
    output = "".join(conll.render([article], options))
    [comment] = [line for line in output.split("\n") if line.startswith("# misaligned")]
    assert comment == '# misaligned span 1 [3, 14) "ha beta\\ngam"'
    assert "B-claim" not in output and options.notes.misaligned == 1


@pytest.mark.parametrize("window", [conll.WINDOW, 7])
def test_a_docstart_token_in_the_text_is_escaped_so_readers_see_one_document(monkeypatch, window):
    """Readers end a document at a line starting with -DOCSTART-: a token starting with
    it, after any backslashes, gets one more backslash (its offsets stay the text's), so
    the file has one document and every token unescapes to text[start:end]."""
    monkeypatch.setattr(conll, "WINDOW", window)  # tokens on many windows' edges too
    text = "-DOCSTART- said Kirby: \\-DOCSTART-x and\n-DOCSTART-, then -DOCSTART-- ok"
    span = ExportSpan(1, 0, 15, text[:15], "claim", "Claim", "", "", "rita", "t")
    article = ExportArticle(5, "t", text, "", None, "", "", "new", [span])
    output = "".join(conll.render([article], ExportOptions()))
    lines = output.split("\n")
    assert [line for line in lines if line.startswith("-DOCSTART-")] == ["-DOCSTART- 5 -X- O"]
    assert "\\-DOCSTART- 0 10 B-claim" in lines and "said 11 15 I-claim" in lines
    assert "\\\\-DOCSTART-x 23 35 O" in lines
    assert "\\-DOCSTART-, 40 51 O" in lines
    (document,) = documents(output)
    unescaped = [
        [(re.sub(r"^\\(?=\\*-DOCSTART-)", "", token), *rest) for token, *rest in sentence]
        for sentence in document["sentences"]
    ]
    assert strict_iob2_problems(text, unescaped) == []


def test_boundaries_are_the_tokens_ones():
    text = "a\u00a0bc d"
    assert conll.is_on_token_boundaries(text, 0, 1)
    assert conll.is_on_token_boundaries(text, 2, 4)  # NBSP separates tokens
    assert not conll.is_on_token_boundaries(text, 2, 3)
    assert not conll.is_on_token_boundaries(text, 1, 2)  # white space only
    assert not conll.is_on_token_boundaries(text, 4, 9)  # past the end


def test_the_page_counts_the_misaligned_spans(editor_client, dataset):
    html = editor_client.get(reverse("export"), {"format": "conll"}).content.decode()
    assert "3 spans not on token boundaries will be left untagged" in html


def test_the_command_prints_the_misaligned_count(dataset, tmp_path):
    err = io.StringIO()
    call_command("export_dataset", "--format", "conll", "-o", str(tmp_path / "a"), stderr=err)
    assert "3 spans did not fall on token boundaries" in err.getvalue()


# --- bounded memory ---------------------------------------------------------------------

SIZE = 2 * 1024 * 1024  # 2 MB of text (4 MB in memory: its CJK makes it two bytes a character)
PEAK = 1024 * 1024  # what one chunk, its lines and their join may take, whatever the size


def large_article() -> ExportArticle:
    sentence = "The minister said the bridge is safe, and 北京 officials denied it.\n"
    text = sentence * (SIZE // len(sentence))
    spans = []
    step = len(sentence) * 1000
    for number, start in enumerate(range(0, len(text) - len(sentence), step)):
        begin = start + sentence.index("the bridge")
        end = begin + len("the bridge is safe,")
        spans.append(
            ExportSpan(number, begin, end, text[begin:end], "claim", "Claim", "", "", "r", "t")
        )
    return ExportArticle(1, "big", text, "", None, "", "", "new", spans)


def test_a_large_article_streams_in_bounded_memory():
    """A 2 MB article is written in chunks of about 64 KiB while the memory allocated at
    any moment stays under 1 MiB, a quarter of the text's own 4 MB (one chunk, its lines
    and their join; a list of its ~350,000 tokens alone would take tens of MB, and the
    old whole-article build far more)."""
    article = large_article()
    export_format = get_format("conll")
    tracemalloc.start()
    try:
        chunks = 0
        total = 0
        first_chunk = None
        for chunk in export_format.stream([article], ExportOptions()):
            chunks += 1
            total += len(chunk)
            if first_chunk is None:
                first_chunk = chunk
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert chunks > 50 and total > len(article.text)
    assert peak < PEAK, f"peak {peak:,} bytes"
    assert "B-claim" in first_chunk
