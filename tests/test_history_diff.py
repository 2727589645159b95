"""history_diff turns a before/after snapshot pair into lines a person reads: pure, no
database."""

from annotations.history_diff import Names, diff_lines, host_of, origin_phrase

NAMES = Names(labels={1: "Claim", 2: "Denial"}, ratings={7: "False", 8: "True"}, users={3: "rita"})

SPAN = {
    "id": 10,
    "label_id": 1,
    "start": 0,
    "end": 5,
    "quote": "Kirby",
    "speaker": "",
    "speaker_id": None,
    "note": "",
    "verdict_id": None,
    "verdict_explanation": "",
    "author_id": 3,
}


def test_a_label_change_names_both_labels():
    assert diff_lines("annotation", "update", SPAN, {**SPAN, "label_id": 2}, NAMES) == [
        "Label: Claim → Denial"
    ]


def test_a_note_change_says_so_without_quoting_it():
    before = {**SPAN, "note": "first thought"}
    assert diff_lines("annotation", "update", before, {**before, "note": "second"}, NAMES) == [
        "Note changed"
    ]
    assert diff_lines("annotation", "update", SPAN, before, NAMES) == ["Note added"]
    assert diff_lines("annotation", "update", before, SPAN, NAMES) == ["Note removed"]


def test_several_changes_each_get_a_line_in_a_fixed_order():
    after = {**SPAN, "label_id": 2, "speaker": "Kirby", "verdict_id": 7, "note": "x"}
    assert diff_lines("annotation", "update", SPAN, after, NAMES) == [
        "Label: Claim → Denial",
        "Speaker: none → Kirby",
        "Verdict: none → False",
        "Note added",
    ]


def test_an_unknown_id_reads_as_its_number_not_an_error():
    lines = diff_lines("annotation", "update", SPAN, {**SPAN, "label_id": 99}, NAMES)
    assert lines == ["Label: Claim → label #99"]


def test_a_long_explanation_is_named_not_quoted():
    long = "x" * 200
    before = {**SPAN, "verdict_explanation": "short"}
    lines = diff_lines("annotation", "update", before, {**before, "verdict_explanation": long})
    assert lines == ["Verdict explanation changed"]


def test_create_delete_and_restore_of_a_span():
    assert diff_lines("annotation", "create", None, SPAN, NAMES)[:2] == [
        "Label: Claim",
        "Text: “Kirby”",
    ]
    deleted = {**SPAN, "sources": [{"url": "https://a.org"}], "relations": []}
    assert diff_lines("annotation", "delete", deleted, None, NAMES) == [
        "Deleted: Claim “Kirby”",
        "With 1 source",
    ]
    assert diff_lines("annotation", "restore", None, SPAN, NAMES) == ["Restored: Claim “Kirby”"]


def test_sources_are_named_by_their_site():
    source = {"url": "https://www.example.org/report?x=1", "stance": "refutes"}
    assert diff_lines("source", "create", None, source) == ["Source added: example.org (refutes)"]
    assert diff_lines("source", "delete", source, None) == ["Source removed: example.org"]
    assert diff_lines("source", "update", source, {**source, "stance": "supports"}) == [
        "Stance: refutes → supports"
    ]


def test_links_speakers_and_source_records():
    link = {"from_span_id": 1, "to_span_id": 2, "type": "denies"}
    assert diff_lines("relation", "create", None, link) == ["Link added: #1 denies #2"]
    assert diff_lines("relation", "delete", link, None) == ["Link removed: #1 denies #2"]
    assert diff_lines("speaker", "merge", {"name": "J. Kirby"}, {"name": "John Kirby"}) == [
        "Speaker merged: J. Kirby → John Kirby"
    ]
    record = {"url": "https://a.org/x", "title": "Old"}
    assert diff_lines("source_record", "update", record, {**record, "title": "New"}) == [
        "Title: Old → New"
    ]


def test_article_status_and_details():
    before = {"status": "new", "title": "Talks", "assignee_id": None}
    after = {"status": "in_review", "title": "Talks advancing", "assignee_id": 3}
    assert diff_lines("article", "update", before, after, NAMES) == [
        "Status: New → In review",
        "Assignee: nobody → rita",
        "Title: Talks → Talks advancing",
    ]
    whole = {"title": "Talks", "annotations": [SPAN, SPAN]}
    assert diff_lines("article", "delete", whole, None) == [
        "Article deleted: “Talks”",
        "With 2 spans",
    ]


def test_kinds_without_their_own_wording_list_each_changed_field():
    before = {"id": 1, "reviewer_id": 3, "status": "todo"}
    assert diff_lines("assignment", "update", before, {**before, "status": "done"}, NAMES) == [
        "Status: To do → Done"
    ]
    assert diff_lines("assignment", "create", None, before, NAMES) == ["Assigned to rita"]
    assert diff_lines("collection", "create", None, {"name": "Elections"}) == ["Created: Elections"]


def test_origin_phrases():
    assert origin_phrase("review") == "from the review page"
    assert origin_phrase("import") == "by import"
    assert origin_phrase("") == ""
    assert origin_phrase("api") == "from api"


def test_host_of_keeps_something_for_odd_urls():
    assert host_of("https://www.bbc.co.uk/news") == "bbc.co.uk"
    assert host_of("not a url") == "not a url"
