"""Serve the CLI's self-contained report HTML under the portal's strict CSP.

The report files (``vrkit report …``) carry their CSS in ``<style>`` blocks and ``style``
attributes, which a Content-Security-Policy without ``unsafe-inline`` blocks. :func:`split_styles`
moves them, unchanged, into one stylesheet served from the portal: each ``<style>`` block is
copied as is, and each ``style="…"`` attribute becomes a generated class whose rule carries the
same declarations marked ``!important`` (an inline style outranks every stylesheet rule; so does
``!important`` on a class). The document is otherwise byte for byte the CLI's.
"""

from __future__ import annotations

import hashlib
import html
import re

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_START_TAG = re.compile(
    r"<[a-zA-Z][^\s/>]*(?:\s+[^\s=/>]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*\s*/?>"
)
_STYLE_ATTR = re.compile(r"\sstyle\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
_CLASS_ATTR = re.compile(r"(\sclass\s*=\s*)(\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b", re.IGNORECASE)


def _important(decls: str) -> str:
    out = []
    for d in decls.split(";"):
        d = d.strip()
        if not d or ":" not in d:
            continue
        out.append(d if d.lower().endswith("!important") else d + " !important")
    return ";".join(out)


def split_styles(document: str, css_href: str) -> tuple[str, str]:
    """(document linking ``css_href`` instead of inline CSS, the stylesheet)."""
    if _SCRIPT.search(document):
        raise ValueError("report HTML with <script> cannot be served under the portal's CSP")
    blocks: list[str] = [m.group(1) for m in _STYLE_BLOCK.finditer(document)]
    body = _STYLE_BLOCK.sub("", document)
    classes: dict[str, str] = {}

    def tag(m: re.Match[str]) -> str:
        text = m.group(0)
        s = _STYLE_ATTR.search(text)
        if s is None:
            return text
        decls = html.unescape(s.group(1) if s.group(1) is not None else s.group(2) or "")
        name = "vrs-" + hashlib.sha1(decls.encode()).hexdigest()[:10]
        classes[name] = _important(decls)
        text = text[: s.start()] + text[s.end() :]
        c = _CLASS_ATTR.search(text)
        if c is None:
            return (
                text[:-1].rstrip("/").rstrip()
                + f' class="{name}"'
                + ("/>" if text.endswith("/>") else ">")
            )
        value = c.group(3) if c.group(3) is not None else c.group(4) or ""
        return text[: c.start()] + f'{c.group(1)}"{value} {name}"' + text[c.end() :]

    body = _START_TAG.sub(tag, body)
    link = f'<link rel="stylesheet" href="{html.escape(css_href)}">'
    if re.search(r"</head\s*>", body, re.IGNORECASE):
        body = re.sub(r"</head\s*>", link + "</head>", body, count=1, flags=re.IGNORECASE)
    else:
        body = link + body
    css = "\n".join(blocks) + "\n" + "\n".join(f".{k}{{{v}}}" for k, v in sorted(classes.items()))
    return body, css
