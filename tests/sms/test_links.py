"""A link in an SMS is always followed by a space or a line break (sms/links.py), or phones open the wrong page."""
from __future__ import annotations

import pytest

from sms.links import separate_links


@pytest.mark.parametrize(("text", "expected"), [
    ("详见http://127.0.0.1:5000/n/6_L0CdTMABQ拒收请回复R", "详见http://127.0.0.1:5000/n/6_L0CdTMABQ 拒收请回复R"),
    ("见 https://x.cn/n/abc。谢谢", "见 https://x.cn/n/abc 。谢谢"),
    ("www.example.com/a，b", "www.example.com/a ，b"),
    ("two http://a.cn/1和http://b.cn/2呢", "two http://a.cn/1 和http://b.cn/2 呢"),
    ("at the end http://a.cn/x", "at the end http://a.cn/x"),
    ("http://a.cn/x\n拒收请回复R", "http://a.cn/x\n拒收请回复R"),
    ("http://a.cn/x Reply STOP", "http://a.cn/x Reply STOP"),
    ("no link here：拒收请回复R", "no link here：拒收请回复R"),
    ("HTTPS://A.CN/X拒收", "HTTPS://A.CN/X 拒收"),
])
def test_a_link_is_followed_by_a_space_or_a_line_break(text, expected):
    assert separate_links(text) == expected
    assert separate_links(expected) == expected  # once is enough: a second pass changes nothing
