"""Who may do what, and who sees what: every rule lives in this package, once.

`actions` holds the per-action rules on spans, sources, links and articles (driven by the
groups' Django permissions); `desk` adds collection membership, assignment, blind mode
and adjudication on top. Views, templates, the admin, the commands and the importers all
call these functions.
"""

from .actions import *  # noqa: F403
from .actions import _signed_in  # noqa: F401
from .desk import *  # noqa: F403
