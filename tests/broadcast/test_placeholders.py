"""Body templates: unknown placeholders are refused at save time; rendering never evaluates anything."""
import pytest

from broadcast.placeholders import check_template, placeholders_in, render

VALUES = {"name": "张伟", "staff_name": "李经理", "staff_phone": "+8613800000000", "contract": "rb2510",
          "direction": "做多", "entry": "3150-3170", "stop": "3098", "target": "3260/3320",
          "note_link": "https://x.example/n/abc"}


def messages(problems):
    return [str(p) for p in problems]


def test_a_good_suggestion_template_renders():
    body = "{name}您好：{contract} 建议{direction}，入场{entry}，止损{stop}，目标{target}。{note_link}"
    assert check_template(body, is_suggestion=True) == []
    assert render(body, VALUES) == ("张伟您好：rb2510 建议做多，入场3150-3170，止损3098，目标3260/3320。"
                                    "https://x.example/n/abc")


@pytest.mark.parametrize("body, fragment", [
    ("{nmae}您好", "unknown placeholder {nmae}"),
    ("{name.__class__}", "unknown placeholder {name.__class__}"),
    ("{0}", "unknown placeholder {0}"),
    ("价格 {", "a lone {"),
    ("价格 }", "a lone }"),
    ("   ", "empty"),
])
def test_bad_templates_name_what_to_fix(body, fragment):
    assert any(fragment in m for m in messages(check_template(body, is_suggestion=True)))


def test_suggestion_placeholders_in_a_commentary_are_refused():
    problems = messages(check_template("{name}：今日{contract}观点", is_suggestion=False))
    assert problems == ["{contract} is filled only for a trade suggestion"]


def test_literal_braces_and_order_of_placeholders():
    assert render("{{注意}} {name}", VALUES) == "{注意} 张伟"
    assert placeholders_in("{stop} {name} {stop}") == ["stop", "name"]


def test_render_refuses_a_missing_value():
    with pytest.raises(KeyError):
        render("{name}", {})


def test_values_are_not_expanded_again():
    assert render("{name}", {"name": "{staff_phone}"}) == "{staff_phone}"


def test_the_analyst_placeholder_names_the_analyst_and_their_qualification():
    from broadcast.placeholders import analyst_text

    assert check_template("{name}：今日观点。{analyst}", is_suggestion=False) == []
    assert render("{analyst}", {**VALUES, "analyst": analyst_text("王首席", "Z0012345")}) == \
        "分析师王首席（投资咨询从业资格号Z0012345）"
    assert analyst_text("Wang", "Z0012345", "en") == "analyst Wang (investment consulting licence Z0012345)"


def test_the_compose_page_lists_every_placeholder(client, auth, make_staff):
    from broadcast.placeholders import ALLOWED

    make_staff("chief_analyst", email="chief@example.com")
    auth.login("chief@example.com")
    page = client.get("/broadcasts/new").get_data(as_text=True)
    listed = page[page.index("{name}"):][:300]
    assert all("{%s}" % name in listed for name in ALLOWED) and "{analyst}" in listed
