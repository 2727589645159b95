"""Who may do what, and who sees what: every rule lives in this package, once.

`actions` holds the per-action rules on spans, sources, links and articles (driven by the
groups' Django permissions); `desk` adds collection membership, assignment, blind mode
and adjudication on top; `vocabulary` the labels and rating scale a collection offers;
`exports` who may open a stored export; `guards` turns the rules into the 403/404
answers every view gives.
Views, templates, the admin, the commands and the importers all call these functions.
"""

from .actions import *  # noqa: F403
from .actions import _signed_in  # noqa: F401
from .desk import *  # noqa: F403
from .exports import *  # noqa: F403
from .guards import *  # noqa: F403
from .vocabulary import *  # noqa: F403
