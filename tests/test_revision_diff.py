"""The word diff of two texts of an article (annotations.revision_diff): pure."""

from annotations.revision_diff import word_diff


def ops(diff):
    return [(s.op, s.text) for s in diff.segments]


def test_words_added_and_removed():
    diff = word_diff("The bridge is safe.", "The new bridge is not safe.")
    assert ("insert", "new ") in ops(diff) and ("insert", "not ") in ops(diff)
    assert (diff.words_inserted, diff.words_deleted) == (2, 0)
    new_text = "".join(s.text for s in diff.segments if s.op != "delete")
    assert new_text == "The new bridge is not safe."


def test_a_changed_word_is_replaced_whole_never_split():
    diff = word_diff("He was 42 years old.", "He was 43 years old.")
    assert ("delete", "42") in ops(diff) and ("insert", "43") in ops(diff)


def test_the_old_text_is_the_equal_and_deleted_segments():
    old, new = "One two three. Four five.", "One three. Four five six!"
    diff = word_diff(old, new, context=None)
    assert "".join(s.text for s in diff.segments if s.op != "insert") == old
    assert "".join(s.text for s in diff.segments if s.op != "delete") == new


def test_identical_texts_have_no_change():
    diff = word_diff("Same text.", "Same text.")
    assert not diff.changed and diff.words_inserted == diff.words_deleted == 0


def test_markup_is_escaped_in_html():
    diff = word_diff("<b>old</b>", '<b>new</b> <img src=x onerror="alert(1)">')
    html = str(diff.html)
    assert "<img" not in html and "&lt;img" in html and "<ins>" in html and "<del>" in html


def test_long_unchanged_stretches_are_shortened():
    middle = "unchanged words " * 100
    diff = word_diff("Start. " + middle + "End.", "Begin. " + middle + "Finish.", context=40)
    skipped = [s for s in diff.segments if s.op == "skipped"]
    assert len(skipped) == 1
    assert "unchanged characters" in skipped[0].text
    assert sum(len(s.text) for s in diff.segments if s.op == "equal") <= 80 + 2


def test_non_ascii_words():
    diff = word_diff("北京 的 桥 是 安全 的 🎉 café", "北京 的 桥 是 危险 的 🎉 cafe\u0301")
    assert ("insert", "危险") in ops(diff) and ("delete", "安全") in ops(diff)


def test_many_distinct_words_do_not_collide():
    old = " ".join(f"w{i}" for i in range(70_000))  # past the surrogate block of codes
    new = old.replace("w69999", "last")
    diff = word_diff(old, new, context=None)
    assert ("delete", "w69999") in ops(diff) and ("insert", "last") in ops(diff)
    assert diff.words_inserted == diff.words_deleted == 1


def test_punctuation_is_not_counted_as_words():
    """Found by the outside tester: "20 words added, 35 removed" where about 17 and 28
    were: each quotation mark, comma and full stop counted as a word."""
    old = 'The minister said, "taxes will rise next year." Critics disagreed.'
    new = 'The mayor said: "taxes will fall!" Critics disagreed.'
    diff = word_diff(old, new, context=None)
    # minister → mayor, rise next year → fall; the marks around them are not words.
    assert (diff.words_deleted, diff.words_inserted) == (4, 2)
    assert "".join(s.text for s in diff.segments if s.op != "delete") == new


def test_a_devanagari_word_keeps_its_vowel_signs():
    """Python's \\w leaves out vowel signs (category Mc/Mn): "हिन्दी" was four units, so a
    changed word was split and counted as several."""
    diff = word_diff("मंत्री ने हिन्दी में कहा।", "मंत्री ने मराठी में कहा।")
    assert ("delete", "हिन्दी") in ops(diff) and ("insert", "मराठी") in ops(diff)
    assert (diff.words_deleted, diff.words_inserted) == (1, 1)


def test_a_combining_mark_after_a_latin_letter_stays_in_its_word():
    diff = word_diff("Ce\u0301line said yes.", "Ce\u0301line said no.")
    assert ops(diff)[0] == ("equal", "Ce\u0301line said ")
    assert (diff.words_deleted, diff.words_inserted) == (1, 1)
