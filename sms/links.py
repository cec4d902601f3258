"""Links in an SMS end where a phone sees them end: a link is always followed by a space or a line break.

A phone's link detector takes every character up to the next space as part of the link, Chinese ones
included: "详见http://x.cn/n/abc拒收请回复R" opens ".../n/abc拒收请回复R", a 404. Every text a client gets is
passed through `separate_links` once it is whole (signature, template, note link, opt-out line), before its
segments are counted, so the count includes the space.
"""
from __future__ import annotations

import re

# a link as a phone finds it: a scheme or www., then the characters a URL may carry unescaped (RFC 3986);
# the match is greedy, so whatever follows it is a character no URL has (Chinese, a quote, a bracket...)
LINK = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)


def separate_links(text: str) -> str:
    """`text` with a space after every link that is followed by anything but white space."""
    def _end(match: re.Match) -> str:
        following = text[match.end():match.end() + 1]
        return match.group(0) + (" " if following and not following.isspace() else "")

    return LINK.sub(_end, text)
