"""JSON for JSON-LD that may be pasted into `<script type="application/ld+json">`.

An HTML parser ends a script element at the first `</script` whatever JSON thinks of
it, and `<!--` changes how the rest is read; so inside strings `<`, `>` and `&` are
written as \\u003c, \\u003e, \\u0026 (what Django's json_script does), and U+2028/U+2029
as \\u2028/\\u2029 (line terminators to older JavaScript). JSON readers give back the
exact text. In JSON output these characters can only occur inside strings (keys
included), so replacing them everywhere is safe.
"""

from __future__ import annotations

from ._json import dumps as _dumps

_SCRIPT_UNSAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
        "\x85": "\\u0085",
    }
)


def script_safe(json_text: str) -> str:
    """JSON text with every character that could end or confuse a <script> escaped."""
    return json_text.translate(_SCRIPT_UNSAFE)


def dumps(record) -> str:
    """Compact JSON, safe inside an HTML <script> element."""
    return script_safe(_dumps(record))
