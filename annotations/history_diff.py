"""What a history event changed, in words: a before/after snapshot pair becomes lines such
as "Label: Claim → Denial", "Note changed", "Source added: example.org".

Pure: no queries. Names the snapshots only hold as ids (labels, verdicts, people) come in
a `Names` the caller read once for a whole page of events (history_selectors.names_for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Values longer than this are named as "changed" instead of quoted in full.
SHORT = 60

_STANCES = {"supports": "supports", "refutes": "refutes", "context": "context"}
_RELATION_TYPES = {
    "denies": "denies",
    "responds_to": "responds to",
    "evidence_for": "is evidence for",
}
_STATUSES = {
    "new": "New",
    "in_review": "In review",
    "reviewed": "Reviewed",
    "adjudicated": "Adjudicated",
    "todo": "To do",
    "in_progress": "In progress",
    "done": "Done",
}


@dataclass(frozen=True)
class Names:
    """Names for the ids a snapshot holds; a missing id reads as "#id"."""

    labels: dict[int, str] = field(default_factory=dict)
    ratings: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)

    def label(self, pk) -> str:
        return self.labels.get(pk, f"label #{pk}") if pk is not None else "—"

    def rating(self, pk) -> str:
        return self.ratings.get(pk, f"verdict #{pk}") if pk is not None else "none"

    def user(self, pk) -> str:
        return self.users.get(pk, f"user #{pk}") if pk is not None else "nobody"


NO_NAMES = Names()


def host_of(url: str) -> str:
    """The part of a URL a person recognises: "example.org" for https://www.example.org/x."""
    host = urlsplit(url or "").hostname or ""
    return host.removeprefix("www.") or (url or "")


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    text = str(value)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _text_change(name: str, before: str, after: str) -> str | None:
    """A free-text field: quoted when short, else "changed" / "added" / "removed"."""
    before, after = before or "", after or ""
    if before == after:
        return None
    if not before:
        return f"{name} added" if len(after) > SHORT else f"{name}: {_shown(after)}"
    if not after:
        return f"{name} removed"
    if len(before) > SHORT or len(after) > SHORT:
        return f"{name} changed"
    return f"{name}: {before} → {after}"


def _value_change(name: str, before, after) -> str | None:
    if before == after:
        return None
    return f"{name}: {_shown(before)} → {_shown(after)}"


def _plural(count: int, one: str) -> str:
    return f"{count} {one}{'' if count == 1 else 's'}"


# --- spans -----------------------------------------------------------------------------


def _annotation_update(before: dict, after: dict, names: Names) -> list[str]:
    lines = [
        _value_change(
            "Label", names.label(before.get("label_id")), names.label(after.get("label_id"))
        ),
        _value_change("Speaker", before.get("speaker") or "none", after.get("speaker") or "none"),
        _value_change(
            "Verdict",
            names.rating(before.get("verdict_id")),
            names.rating(after.get("verdict_id")),
        ),
        _text_change(
            "Verdict explanation",
            before.get("verdict_explanation"),
            after.get("verdict_explanation"),
        ),
        _note_change(before.get("note"), after.get("note")),
    ]
    return [line for line in [*_placement_change(before, after), *lines] if line]


def _placement_change(before: dict, after: dict) -> list[str]:
    """Where the span went: a revision could not place it (its offsets kept, indexing the
    old text: `needs_attention`, only in the snapshots of such spans), it was placed
    again (by hand or by a later revision), or it moved with an edited text."""
    was_unplaced, is_unplaced = (
        bool(before.get("needs_attention")),
        bool(after.get("needs_attention")),
    )
    where = f"characters {after.get('start')}–{after.get('end')}"
    if is_unplaced and not was_unplaced:
        return ["Could not be placed on the new text (needs attention)"]
    if is_unplaced:
        return []  # still unplaced: nothing moved
    if was_unplaced:
        return [f"Placed on the current text: {where}, “{_shown(after.get('quote'))}”"]
    lines = []
    if (before.get("start"), before.get("end")) != (after.get("start"), after.get("end")):
        lines.append(f"Moved: characters {before.get('start')}–{before.get('end')} → {where}")
    if before.get("quote") is not None and before.get("quote") != after.get("quote"):
        lines.append(_text_change("Text", f"“{before.get('quote')}”", f"“{after.get('quote')}”"))
    if not lines and any(before.get(k) != after.get(k) for k in ("prefix", "suffix")):
        # A new text of the article changed the words beside it (what anchors it).
        lines.append("The text around it changed; the span kept its place")
    return lines


def _note_change(before: str | None, after: str | None) -> str | None:
    # The note is internal and often long: say that it changed, not what it says.
    before, after = before or "", after or ""
    if before == after:
        return None
    if not before:
        return "Note added"
    if not after:
        return "Note removed"
    return "Note changed"


def _annotation_lines(action: str, before: dict, after: dict, names: Names) -> list[str]:
    if action == "create":
        lines = [
            f"Label: {names.label(after.get('label_id'))}",
            f"Text: “{_shown(after.get('quote'))}”",
        ]
        if after.get("speaker"):
            lines.append(f"Speaker: {after['speaker']}")
        if after.get("note"):
            lines.append("Note added")
        return lines
    if action in ("delete", "restore"):
        snapshot = before if action == "delete" else after
        verb = "Deleted" if action == "delete" else "Restored"
        label = names.label(snapshot.get("label_id"))
        lines = [f"{verb}: {label} “{_shown(snapshot.get('quote'))}”"]
        extras = []
        if snapshot.get("sources"):
            extras.append(_plural(len(snapshot["sources"]), "source"))
        if snapshot.get("relations"):
            extras.append(_plural(len(snapshot["relations"]), "link"))
        if extras:
            lines.append("With " + " and ".join(extras))
        return lines
    return _annotation_update(before, after, names) or ["No visible change"]


# --- a span's sources, shared source records, links, speakers -------------------------------


def _source_lines(action: str, before: dict, after: dict, names: Names) -> list[str]:
    snapshot = after or before
    if action in ("create", "restore"):
        line = f"Source added: {host_of(snapshot.get('url', ''))}"
        stance = _STANCES.get(snapshot.get("stance"), snapshot.get("stance"))
        return [f"{line} ({stance})" if stance else line]
    if action == "delete":
        return [f"Source removed: {host_of(before.get('url', ''))}"]
    lines = [
        _value_change("Source", host_of(before.get("url", "")), host_of(after.get("url", ""))),
        _value_change(
            "Stance",
            _STANCES.get(before.get("stance"), before.get("stance")),
            _STANCES.get(after.get("stance"), after.get("stance")),
        ),
        _text_change("Quoted passage", before.get("quoted_passage"), after.get("quoted_passage")),
        _text_change("Title", before.get("title"), after.get("title")),
        _text_change("Publisher", before.get("publisher"), after.get("publisher")),
        _value_change("Accessed on", before.get("accessed_on"), after.get("accessed_on")),
    ]
    found = [line for line in lines if line]
    return found or [f"Source changed: {host_of(snapshot.get('url', ''))}"]


def _source_record_lines(action: str, before: dict, after: dict, names: Names) -> list[str]:
    snapshot = after or before
    if action == "create":
        return [f"Source record created: {host_of(snapshot.get('url', ''))}"]
    if action == "delete":
        return [f"Source record removed: {host_of(snapshot.get('url', ''))}"]
    lines = [
        _text_change("Title", before.get("title"), after.get("title")),
        _text_change("Publisher", before.get("publisher"), after.get("publisher")),
        _value_change("Accessed on", before.get("accessed_on"), after.get("accessed_on")),
    ]
    return [line for line in lines if line] or ["No visible change"]


def _relation_lines(action: str, before: dict, after: dict, names: Names) -> list[str]:
    snapshot = after or before
    link = (
        f"#{snapshot.get('from_span_id')} "
        f"{_RELATION_TYPES.get(snapshot.get('type'), snapshot.get('type'))} "
        f"#{snapshot.get('to_span_id')}"
    )
    if action == "delete":
        return [f"Link removed: {link}"]
    return [f"Link added: {link}"]


def _speaker_lines(action: str, before: dict, after: dict, names: Names) -> list[str]:
    if action == "create":
        return [f"Speaker added: {after.get('name', '')}"]
    if action == "merge":
        moved = after.get("merged_spans")
        line = f"Speaker merged: {before.get('name', '')} → {after.get('name', '')}"
        return [line, f"{_plural(moved, 'span')} moved"] if moved is not None else [line]
    if action == "delete":
        return [f"Speaker removed: {before.get('name', '')}"]
    return _generic_update(before, after, names) or ["No visible change"]


# --- articles, assignments, collections -----------------------------------------------------

_ARTICLE_FIELDS = (
    ("title", "Title"),
    ("author", "Author"),
    ("publisher", "Publisher"),
    ("published_at", "Published"),
    ("source_url", "Original link"),
)


def _article_lines(action: str, before: dict, after: dict, names: Names) -> list[str]:
    if action in ("delete", "restore"):
        snapshot = before if action == "delete" else after
        verb = "Article deleted" if action == "delete" else "Article restored"
        # A deletion keeps every span; a restore says how many came back.
        spans = len(snapshot.get("annotations") or []) or snapshot.get("restored_spans") or 0
        title = f"{verb}: “{_shown(snapshot.get('title'))}”"
        return [title, f"With {_plural(spans, 'span')}"] if spans else [title]
    if action == "create":
        return [f"Article added: “{_shown(after.get('title'))}”"]
    lines = [
        _value_change(
            "Status",
            _STATUSES.get(before.get("status"), before.get("status")),
            _STATUSES.get(after.get("status"), after.get("status")),
        )
        if "status" in before or "status" in after
        else None,
        _value_change(
            "Assignee",
            names.user(before.get("assignee_id")),
            names.user(after.get("assignee_id")),
        )
        if "assignee_id" in before or "assignee_id" in after
        else None,
    ]
    for key, name in _ARTICLE_FIELDS:
        if key in before or key in after:
            lines.append(_text_change(name, before.get(key), after.get(key)))
    if before.get("content_hash") != after.get("content_hash"):
        lines.append("Text changed")
    return [line for line in lines if line] or ["No visible change"]


def _humanize(key: str) -> str:
    name = key.removesuffix("_id").replace("_", " ")
    return name[:1].upper() + name[1:]


def _generic_value(key: str, value, names: Names):
    if key in ("reviewer_id", "assigned_by_id", "user_id", "created_by_id", "adjudicator_id"):
        return names.user(value) if value is not None else None
    if key == "status":
        return _STATUSES.get(value, value)
    return value


_NOT_SHOWN = {"id", "version", "created_at", "updated_at", "assigned_at"}


def _generic_update(before: dict, after: dict, names: Names) -> list[str]:
    lines = []
    for key in sorted(set(before) | set(after)):
        if key in _NOT_SHOWN:
            continue
        old, new = before.get(key), after.get(key)
        if old == new or isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
            continue
        lines.append(
            _value_change(
                _humanize(key), _generic_value(key, old, names), _generic_value(key, new, names)
            )
        )
    return [line for line in lines if line]


def _generic_lines(action: str, before: dict, after: dict, names: Names) -> list[str]:
    """Assignments, collections, and any kind added later: one line per changed field."""
    snapshot = after or before
    what = snapshot.get("name") or snapshot.get("title")
    if action == "create" and snapshot.get("reviewer_id") is not None:
        return [f"Assigned to {names.user(snapshot['reviewer_id'])}"]
    if action == "delete" and snapshot.get("reviewer_id") is not None:
        return [f"Assignment of {names.user(snapshot['reviewer_id'])} removed"]
    if action in ("create", "delete", "restore"):
        verb = {"create": "Created", "delete": "Deleted", "restore": "Restored"}[action]
        return [f"{verb}: {_shown(what)}" if what else verb]
    return _generic_update(before, after, names) or ["No visible change"]


_BY_KIND = {
    "annotation": _annotation_lines,
    "source": _source_lines,
    "source_record": _source_record_lines,
    "relation": _relation_lines,
    "speaker": _speaker_lines,
    "article": _article_lines,
}


def diff_lines(kind: str, action: str, before: dict | None, after: dict | None, names=NO_NAMES):
    """The human lines for one event: what it changed, most important first."""
    lines = _BY_KIND.get(kind, _generic_lines)
    return lines(action, before or {}, after or {}, names)


def event_lines(event, names=NO_NAMES) -> list[str]:
    """diff_lines for a HistoryEvent (or anything with kind, action, before, after)."""
    return diff_lines(event.kind, event.action, event.before, event.after, names)


# How the timeline says where a change was made.
ORIGIN_PHRASES = {
    "review": "from the review page",
    "admin": "from the admin",
    "import": "by import",
    "command": "by command",
    "adjudication": "from adjudication",
    "desk": "from the desk",
}


def origin_phrase(origin: str) -> str:
    if not origin:
        return ""
    return ORIGIN_PHRASES.get(origin, f"from {origin}")
