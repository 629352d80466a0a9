"""The one escaping layer per platform: every customer-controlled string passes here before a message.

Slack mrkdwn and Teams markdown have no reliable backslash escape, so the characters that would format,
link or mention are replaced by look-alikes that read the same and do nothing: a contact named
"*<!channel>*" shows as typed, bold nowhere, and pings nobody. An underscore inside a word
("first_last@acme.com") formats on neither platform, so it is left as it is.
"""

from __future__ import annotations

import re

# Look-alikes: asterisk operator, modifier low macron, tilde operator, modifier grave accent.
_LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
# `*`, `~` and backticks format (or open code) anywhere; `_` only at a word's edge.
_FORMATTING = re.compile(r"[*~`]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# A line that starts like a heading, quote, list item or rule in Markdown.
_LINE_MARKER = re.compile(r"^(\s*)(#|>|[-+=]|\d+[.)])", re.MULTILINE)
# "<https://...>" and "<a@b.c>" are autolinks in Markdown.
_AUTOLINK = re.compile(r"<(?=[A-Za-z][A-Za-z0-9+.-]{1,31}:|[^\s<>]+@)")


def _lookalikes(text: str) -> str:
    return _FORMATTING.sub(lambda m: _LOOKALIKES[m.group(0)], text)


def slack(text: str) -> str:
    """Data for Slack mrkdwn: `& < >` escaped (no mention, link or broadcast), formatting neutralised."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _lookalikes(text)


def teams(text: str) -> str:
    """Data for a Teams TextBlock: no emphasis, link, autolink, heading, quote or list made of data."""
    text = _lookalikes(text).replace("](", "] (")
    text = _AUTOLINK.sub("\u2039", text)
    return _LINE_MARKER.sub(lambda m: m.group(1) + "\u200b" + m.group(2), text)
