"""The speaker suggestion: who the span's own sentence says spoke (annotations/speaker_guess)."""

from pathlib import Path

import pytest

from annotations.offsets import canonical_text
from annotations.speaker_guess import suggest_speaker

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_767f74c7ad0d4c0d.txt"


def guess(text: str, inside: str, known=()) -> str | None:
    """The suggestion for a span over the first occurrence of `inside` in `text`."""
    start = text.index(inside)
    return suggest_speaker(text, start, start + len(inside), known)


@pytest.fixture(scope="module")
def seed():
    return canonical_text(SEED.read_text(encoding="utf-8"))


# --- the seed article: John Kirby's quotes -------------------------------------------------


def test_a_quote_followed_by_kirby_said(seed):
    """“We urge the DPRK …,” Kirby said. → John Kirby, as the paragraph before names him
    in full ("national security spokesman John Kirby")."""
    assert guess(seed, "We urge the DPRK to cease its arms negotiations") == "John Kirby"


def test_a_known_speaker_is_suggested_by_their_full_name(seed):
    """Once John Kirby is a speaker on the article, “…,” Kirby said. suggests John Kirby."""
    assert guess(seed, "We urge the DPRK", ["John Kirby"]) == "John Kirby"
    assert guess(seed, "high-level discussions may continue", ["John Kirby"]) == "John Kirby"


def test_the_attribution_after_a_quote_is_found_past_a_comma(seed):
    """“Following these negotiations, …,” Kirby said, alleging … → John Kirby."""
    assert guess(seed, "high-level discussions may continue in coming months") == "John Kirby"


def test_a_known_name_in_the_sentence_without_a_said(seed):
    """'Kirby referenced new intelligence which he said shows … “actively advancing”': no
    attribution names anyone ('he said'), but the known speaker stands in the sentence."""
    assert guess(seed, "actively advancing") is None
    assert guess(seed, "actively advancing", ["John Kirby"]) == "John Kirby"
    assert guess(seed, "stopped short of saying", ["John Kirby"]) == "John Kirby"


@pytest.mark.parametrize(
    "inside",
    [
        "to try to convince Pyongyang to sell artillery ammunition",  # "He further claimed"
        "purchased large quantities of arms",
        "train shipments between the two countries",
        "Presidents Putin and Kim Jong Un recently exchanged cordial letters",
    ],
)
def test_seed_sentences_that_name_no_speaker(seed, inside):
    assert guess(seed, inside) is None


# --- attribution patterns --------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence,inside,speaker",
    [
        ("Kirby also said the deal was close.", "deal", "Kirby"),
        ("Emmanuel Macron has repeatedly denied any deal.", "deal", "Emmanuel Macron"),
        ("Ursula von der Leyen told reporters the deal was done.", "deal", "Ursula von der Leyen"),
        ("Charles de Gaulle said France would not yield.", "France", "Charles de Gaulle"),
        ("J. R. Smith added that nothing had changed.", "nothing", "J. R. Smith"),
        ("Kim Jong-Un claimed the tests would go on.", "tests", "Kim Jong-Un"),
        ("Émile Zola insisted the captain was innocent.", "captain", "Émile Zola"),
        ("Mr Smith insisted that the figures were correct.", "figures", "Mr Smith"),
        ("Dr. Anthony Fauci says the virus is spreading.", "virus", "Anthony Fauci"),
        ("The White House said the report was false.", "report", "White House"),
        ("Moscow denied it.", "it", "Moscow"),
        ("“It is false,” said Maria Zakharova.", "false", "Maria Zakharova"),
        ("It was a fine day, said Jones.", "fine day", "Jones"),
        (
            "The talks are advancing, said White House spokesman John Kirby on Wednesday.",
            "talks",
            "John Kirby",
        ),
        ("According to Dr. Anthony Fauci, the virus is spreading.", "virus", "Anthony Fauci"),
        ("The ship sank, according to Reuters.", "ship", "Reuters"),
        (
            "“We did nothing wrong,” Dmitry Peskov, the Kremlin's spokesman, said on Monday.",
            "nothing wrong",
            "Dmitry Peskov",
        ),
        ("Putin's spokesman Dmitry Peskov denied the report.", "report", "Dmitry Peskov"),
        ('"We are ready," Smith said.', "ready", "Smith"),
    ],
)
def test_attributions(sentence, inside, speaker):
    assert guess(sentence, inside) == speaker


def test_a_quotation_of_two_sentences_is_read_up_to_its_attribution():
    """The span is the first sentence of a quotation whose attribution follows the second."""
    text = "“The talks are advancing. We are watching closely,” Kirby said."
    assert guess(text, "The talks are advancing") == "Kirby"


def test_only_the_spans_own_sentence_counts():
    """A name in the sentence before is not this sentence's speaker."""
    text = "Kirby said the talks were over. The bridge is safe."
    assert guess(text, "The bridge is safe") is None
    assert guess("Moscow denied it.\nThe bridge is safe.", "bridge") is None


@pytest.mark.parametrize(
    "sentence,inside",
    [
        ("He said the bridge is safe.", "bridge"),
        ("Officials said the bridge is safe.", "bridge"),
        ("The bridge is safe.", "bridge"),
        ("Analysts were not surprised.", "surprised"),
        ("The minister, who spoke in Paris, said the tax would go.", "tax"),
        ("The report was told to Reuters on Monday.", "report"),
        ("They said it on Wednesday.", "it"),
    ],
)
def test_sentences_without_a_named_speaker(sentence, inside):
    assert guess(sentence, inside) is None


# --- known speakers ----------------------------------------------------------------------------


def test_a_known_name_comes_before_a_pattern():
    """A known speaker in the sentence is offered first."""
    assert guess("Putin lied, Zelensky said.", "lied", ["Vladimir Putin"]) == "Vladimir Putin"
    assert guess("Putin lied, Zelensky said.", "lied") == "Zelensky"


def test_an_attribution_of_a_known_speaker_wins_over_another_known_name():
    known = ["John Kirby", "Vladimir Putin"]
    assert guess("Putin is stalling, Mr Kirby said.", "stalling", known) == "John Kirby"


def test_known_names_match_any_case_and_whole_words_only():
    assert guess("JOHN KIRBY said it.", "it", ["John Kirby"]) == "John Kirby"
    # "Kirbyville" is not Kirby.
    assert guess("Kirbyville is quiet.", "quiet", ["John Kirby"]) is None


def test_a_possessive_is_about_someone_not_by_them():
    known = ["John Kirby"]
    assert guess("Peskov dismissed Kirby's claims, the Kremlin said.", "claims", known) == (
        "Kremlin"
    )


def test_a_surname_shared_by_two_known_speakers_is_not_guessed():
    known = ["John Smith", "Jane Smith"]
    assert guess("Smith refused the offer.", "offer", known) is None
    assert guess("Smith said no.", "no", known) == "Smith"


def test_a_known_name_inside_the_span_is_the_last_resort():
    """A whole-sentence span: the name in it is still offered."""
    text = "Kirby referenced new intelligence about the talks."
    assert guess(text, text, ["John Kirby"]) == "John Kirby"


# --- whatever the text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "שלום עולם said 東京.",
        "東京で会議が開かれた。彼は言った。",
        "😀 said 😀.",
        "a" * 10,
        "Said",
        "“",
        "Mr. Dr. Prof.",
        "von der said",
    ],
)
def test_hard_text_never_raises(text):
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            result = suggest_speaker(text, start, end, ["Kirby", "", "  "])
            assert result is None or (isinstance(result, str) and result.strip())


def test_bad_offsets_give_none():
    assert suggest_speaker("Kirby said it.", 5, 5, []) is None
    assert suggest_speaker("Kirby said it.", -1, 3, []) is None
    assert suggest_speaker("Kirby said it.", 0, 99, []) is None


def test_a_span_deep_in_a_long_line_reads_only_its_sentence():
    filler = "The bridge is safe. " * 5000
    text = filler + "“It is over,” Kirby said. " + filler
    assert guess(text, "It is over") == "Kirby"


def test_a_bare_surname_is_completed_from_earlier_in_the_article():
    body = (
        "White House spokesman John Kirby spoke on Wednesday.\n\n"
        "“We urge the DPRK to stop,” Kirby said."
    )
    start = body.index("We urge")
    assert suggest_speaker(body, start, start + 20, []) == "John Kirby"


def test_a_bare_surname_stays_when_no_longer_name_ends_with_it():
    body = "Officials met on Monday.\n\n“We urge the DPRK to stop,” Kirby said."
    start = body.index("We urge")
    assert suggest_speaker(body, start, start + 20, []) == "Kirby"
