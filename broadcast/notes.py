"""Research notes: Markdown rendered to HTML and then sanitised, so nothing a note holds can run in a browser."""
from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote",
                "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "a", "span", "sup", "sub"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_note(text: str | None) -> str:
    """Safe HTML for a research note: no script, no event handlers, links only to http(s) and mailto."""
    if not text:
        return ""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")
