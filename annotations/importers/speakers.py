"""The speakers an import names: found by name, created in bulk when new.

A name is one speaker corpus-wide, compared case-insensitively and with its spaces
collapsed (services.speakers.clean_name), so "John Kirby" in a file is the John Kirby
already here. The details a file gives (kind, role, URL) fill a speaker that is new; a
speaker already here is never changed by an import: an editor may have corrected it.

Names are matched in Python as well as in SQL: SQLite's LOWER() folds ASCII only, so
"Émile Zola" is not LOWER()-equal to "émile zola" there, and a match left to the
database alone would lose the speaker of such a span.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.functions import Lower

from .. import history, offsets
from ..models import HistoryEvent, Speaker
from ..services.speakers import clean_name
from .base import ImportRefused, SpanRecord, SpeakerDetails

# Names per lookup query (each name is two parameters).
_NAMES_PER_QUERY = 400


class _Wanted:
    __slots__ = ("details", "given", "name")

    def __init__(self, name: str):
        self.name = name  # the cleaned name, as a new speaker is stored
        self.details: SpeakerDetails | None = None  # the first the file gives
        self.given: set[str] = set()  # the names as the file spells them


def speakers_for(spans: Iterable[SpanRecord], *, actor) -> dict[str, Speaker]:
    """{name as a span gives it: its speaker} for every span with a speaker; the new ones
    created in bulk, with a history record each."""
    wanted: dict[str, _Wanted] = {}
    entry_of: dict[str, _Wanted | None] = {}  # by the name as given: a file repeats its names
    for span in spans:
        if not span.speaker:
            continue
        try:
            entry = entry_of[span.speaker]
        except KeyError:
            entry = entry_of[span.speaker] = _entry(wanted, span.speaker)
        if entry is not None and entry.details is None and span.speaker_details is not None:
            entry.details = span.speaker_details
    if not wanted:
        return {}
    found = _stored(wanted)
    missing = [key for key in wanted if key not in found]
    if missing:
        found.update(_create([wanted[key] for key in missing], actor=actor))
    return {given: found[key] for key, entry in wanted.items() for given in entry.given}


def _entry(wanted: dict[str, _Wanted], given: str) -> _Wanted | None:
    """The entry of the speaker a span names as `given` (None for a blank name)."""
    name = clean_name(given)  # its length was checked with the record
    if not name:
        return None
    entry = wanted.get(name.lower())
    if entry is None:
        entry = wanted[name.lower()] = _Wanted(name)
    entry.given.add(given)
    return entry


def _stored(wanted: dict[str, _Wanted]) -> dict[str, Speaker]:
    """The speakers already stored under these names, by lower-cased name."""
    found: dict[str, Speaker] = {}
    keys = list(wanted)
    for i in range(0, len(keys), _NAMES_PER_QUERY):
        group = keys[i : i + _NAMES_PER_QUERY]
        names = [wanted[key].name for key in group]
        rows = Speaker.objects.annotate(lname=Lower("name")).filter(
            Q(lname__in=group) | Q(name__in=names)
        )
        for speaker in rows:
            key = speaker.name.lower()
            if key in wanted:
                found.setdefault(key, speaker)
    return found


def _create(entries: list[_Wanted], *, actor) -> dict[str, Speaker]:
    actor_id = history.actor_id_of(actor)
    Speaker.objects.bulk_create(
        [_new_speaker(entry, actor_id) for entry in entries],
        batch_size=500,
        # Another import or a reviewer may store one of these names meanwhile: theirs is
        # read back below and used.
        ignore_conflicts=True,
    )
    stored = _stored({entry.name.lower(): entry for entry in entries})
    # Missing before, there now: ours (a speaker stored by someone else in the same
    # moment would be recorded twice, never lost).
    created = list(stored.values())
    for entry in entries:
        key = entry.name.lower()
        if key not in stored:  # stored meanwhile under a case only the database folds
            speaker = Speaker.objects.filter(name__iexact=entry.name).first()
            if speaker is None:
                raise ImportRefused(
                    f"The speaker “{entry.name}” could not be stored or found; nothing "
                    "was imported. Try again."
                )
            stored[key] = speaker
    HistoryEvent.objects.bulk_create(
        [
            HistoryEvent(
                **history.event_values(
                    kind=HistoryEvent.Kind.SPEAKER,
                    obj_id=speaker.pk,
                    annotation_id=None,
                    article_id=None,
                    action=HistoryEvent.Action.CREATE,
                    actor_id=actor_id,
                    before=None,
                    after=history.snapshot_speaker(speaker),
                )
            )
            for speaker in created
        ],
        batch_size=500,
    )
    return stored


def _new_speaker(entry: _Wanted, actor_id: int | None) -> Speaker:
    details = entry.details or SpeakerDetails()
    return Speaker(
        name=entry.name,
        kind=details.kind or Speaker.Kind.PERSON,
        role=" ".join(offsets.canonical_text(details.role).split()),
        url=details.url,
        created_by_id=actor_id,
    )
