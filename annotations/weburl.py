"""Web addresses as a reviewer types them and as we store them (pure functions).

`complete_url` turns what was typed ("www.example.org/x") into an address; `canonical_url`
is the form a URL is stored and compared in, so one page is one source whatever case its
host was typed in or which tracking parameters a share link carried.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# A bare host name at the start: "www.example.org/x", "example.org", "bbc.co.uk/news".
_BARE_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d+)?(?:[/?#]|$)", re.I
)
# Campaign and click identifiers: they say how a reader arrived, not which page it is.
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")  # Google Analytics, Matomo (Piwik)
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
    }
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# The highest TCP port. Django's URLValidator takes any five digits after the host, and
# urllib (so canonical_url) raises ValueError past this one: port_problem says so first.
MAX_PORT = 65535


def complete_url(text: str) -> str:
    """What was typed, with https:// put in front of a bare host ("www.x.org/a")."""
    text = text.strip()
    if text.startswith("//"):
        return "https:" + text
    if "://" not in text and _BARE_HOST.match(text):
        return "https://" + text
    return text


def port_problem(url: str) -> str | None:
    """Why the port `url` names is not one ("the port 99999 is out of range (0–65535)"),
    or None: no port, or one in range. The one rule for it: the import's URL check
    (importers/checks.py) and a typed source's (services/sources.clean_url) ask it."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return None  # urllib cannot read it at all: the URL's own check says why
    _, colon, port = netloc.rpartition("@")[2].rpartition(":")
    # len() first: int() of thousands of digits is refused (and slow).
    if colon and port.isascii() and port.isdigit() and (len(port) > 5 or int(port) > MAX_PORT):
        return f"the port {port[:20]} is out of range (0–{MAX_PORT})"
    return None


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def _page_fragment(fragment: str) -> str:
    """A fragment names a place in a page, so it is dropped; but "#!/…" and "#/…" are
    a client-side route (the page itself, on a single-page site) and are kept."""
    return fragment if fragment.startswith(("!", "/")) else ""


def canonical_url(url: str, *, keep_fragment: bool = False) -> str:
    """Scheme and host lowercased, default port, tracking parameters, a trailing slash
    (but the root's) and the fragment (but a route's) removed; path and other parameters
    kept as given.

    `keep_fragment`: for a cited source, where "#section-3" is the passage cited (two
    citations of one page at different places stay two); an article is the page itself."""
    parts = urlsplit(complete_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port is not None and str(parts.port) != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        credentials = parts.username or ""
        if parts.password:
            credentials += f":{parts.password}"
        host = f"{credentials}@{host}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    # Kept as typed (not re-encoded), only the tracking pieces dropped.
    query = "&".join(
        piece
        for piece in parts.query.split("&")
        if piece and not _is_tracking(unquote_plus(piece.split("=", 1)[0]))
    )
    fragment = parts.fragment if keep_fragment else _page_fragment(parts.fragment)
    return urlunsplit((scheme, host, path, query, fragment))
