"""/healthz for load balancers and uptime checks: is this app able to serve?"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """200 "ok" when the database answers a SELECT 1, else 503; nothing else is told.

    The connection is bounded by connect_timeout and the pool's timeout (settings), so a
    dead database is reported within seconds rather than hanging the health check.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The reason goes to the log for operators, never into the response.
        logger.warning("Health check: the database did not answer (%s)", type(error).__name__)
        return HttpResponse("unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
