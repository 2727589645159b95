"""What an import says about each file, as plain data: kept on the ImportJob (report,
a JSON list) so the page can show it after the user left and came back, and printed by
the command. Pure functions, no database.

Long lists are cut (a 100,000-line file's articles are counted, not listed); the counts
are always whole.
"""

from __future__ import annotations

from collections.abc import Iterable

LISTED_ARTICLES = 20
LISTED_LINES = 200


def file_entry(result) -> dict:
    """One service.FileResult as a JSON-ready dict."""
    return {
        "name": result.name,
        "format": result.format,
        "encoding": result.encoding,
        "how": result.how,
        "status": result.status,
        "reason": result.reason,
        "created": len(result.created),
        "present": len(result.already_present),
        "revised": len(result.revised),
        "spans": result.spans,
        "lines": result.lines,
        "created_articles": _refs(result.created),
        "present_articles": _refs(result.already_present),
        "revised_articles": _refs(result.revised),
        "refused_lines": [[line, reason] for line, reason in result.refused_lines[:LISTED_LINES]],
        "refused_count": result.refused_lines.total,
    }


def _refs(refs) -> list[dict]:
    return [
        {"id": ref.id, "title": ref.title, **({"note": ref.note} if ref.note else {})}
        for ref in refs.shown[:LISTED_ARTICLES]
    ]


HIDDEN_TITLE = "an article you may not open"
_LISTS = ("created_articles", "present_articles", "revised_articles")


def listed_article_ids(entries: Iterable[dict]) -> set[int]:
    """Every article the entries name."""
    return {ref["id"] for entry in entries for key in _LISTS for ref in entry.get(key, [])}


def hiding_titles(entries: list[dict], shown: set[int]) -> list[dict]:
    """The entries as a viewer sees them: an article outside `shown` (those they may
    open) is named by no title and no link. A file holding the text of an article the
    importer may not open finds it "already present", but says nothing more of it."""
    hidden = listed_article_ids(entries) - shown
    if not hidden:
        return entries
    return [
        {
            **entry,
            **{
                key: [
                    {"id": ref["id"], "title": HIDDEN_TITLE, "hidden": True}
                    if ref["id"] in hidden
                    else ref
                    for ref in entry.get(key, [])
                ]
                for key in _LISTS
            },
        }
        for entry in entries
    ]


def totals(entries: Iterable[dict]) -> dict:
    """Articles created, present, revised and refused over every file (a file refused as
    a whole counts as one refused; a skipped archive member as none)."""
    created = present = revised = refused = skipped = 0
    for entry in entries:
        created += entry["created"]
        present += entry["present"]
        revised += entry["revised"]
        if entry["status"] == "skipped":
            skipped += 1
        else:
            refused += entry["refused_count"] or (1 if entry["reason"] else 0)
    return {
        "created": created,
        "present": present,
        "revised": revised,
        "refused": refused,
        "skipped": skipped,
    }


def summary_line(entry: dict) -> str:
    """One file in words, for the command's output."""
    if entry["status"] in ("refused", "skipped"):
        return f"{entry['status']}: {entry['name']}: {entry['reason']}"
    parts = [f"{entry['created']} created"]
    if entry["present"]:
        parts.append(f"{entry['present']} already present")
    if entry["revised"]:
        parts.append(f"{entry['revised']} revised")
    if entry["refused_count"]:
        parts.append(f"{entry['refused_count']} refused")
    encoding = f" [{entry['encoding']}]" if entry["encoding"] not in ("", "utf-8") else ""
    return f"{entry['status']}: {entry['name']}{encoding} — {', '.join(parts)}"
