"""schema.org ClaimReview as JSON Lines: the reviews of formats/claimreview.py, one a line.

Each line is a standalone JSON-LD object with its own @context (see claimreview.py for
the mapping and what is left out).
"""

from ..base import ExportFormat
from .claimreview import preview, render_lines

FORMAT = ExportFormat(
    name="claimreview-jsonl",
    label="schema.org ClaimReview, one a line",
    description="The same ClaimReviews as JSON Lines: one standalone JSON-LD object a line.",
    extension="claimreview.jsonl",
    media_type="application/jsonl; charset=utf-8",
    offset_unit="none (quotes only)",
    render=render_lines,
    order=41,
    uses_relations=False,
    preview=preview,
)
