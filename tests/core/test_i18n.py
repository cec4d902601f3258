"""The translation catalogues: complete for Chinese, compiled, placeholders intact, and used by the app.

A new user-facing string fails `test_every_source_string_has_a_chinese_translation` until it is
translated. To fix it, from the repository root:

    pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o translations/messages.pot \
        --ignore-dirs=".venv tests benchmarks migrations" .
    pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
    # translate the new entries in translations/zh/LC_MESSAGES/messages.po (leave the English msgstr empty)
    pybabel compile -d translations
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
IGNORED_DIRS = {".venv", "tests", "benchmarks", "migrations"}
KEYWORDS = ("_", "_l", "gettext", "lazy_gettext", "ngettext", "N_")
LOCALES = sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file())

FIX = (
    "Update and translate the catalogue, from the repository root:\n"
    "  pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o translations/messages.pot "
    '--ignore-dirs=".venv tests benchmarks migrations" .\n'
    "  pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete\n"
    "  (translate the new entries in translations/zh/LC_MESSAGES/messages.po)\n"
    "  pybabel compile -d translations"
)

PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _po(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def _mo(locale: str):
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing; run `pybabel compile -d translations`"
    with open(path, "rb") as f:
        return read_mo(f)


def _strings(value) -> tuple[str, ...]:
    """A msgid or msgstr as a tuple: plural messages have several forms."""
    if isinstance(value, (tuple, list)):
        return tuple(v or "" for v in value)
    return (value or "",)


def _translated(message) -> bool:
    return not message.fuzzy and all(_strings(message.string))


def _source_messages() -> dict[tuple[str | tuple[str, ...], str | None], str]:
    """Every message the source marks for translation, as `pybabel extract` finds it.

    Returns (msgid, context) -> "file:line" of its first use.
    """
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(KEYWORDS)}

    def directory_filter(dirpath: str) -> bool:
        return Path(dirpath).name not in IGNORED_DIRS

    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords, directory_filter=directory_filter):
        found.setdefault((message, context), f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def source_messages():
    return _source_messages()


def test_extraction_finds_the_user_interface(source_messages):
    ids = {msgid for msgid, _ in source_messages}
    # one string from a template, one from a Python module (_l) and one marked with N_
    assert {"Clients", "Administrator", "the file is empty"} <= ids


def test_every_source_string_has_a_chinese_translation(source_messages):
    catalogue = _po("zh")
    missing = []
    for (msgid, context), where in sorted(source_messages.items(), key=lambda item: item[1]):
        message = catalogue.get(msgid, context=context)
        if message is None or not _translated(message):
            missing.append(f"  {where}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} user-facing string(s) have no Chinese translation "
        f"(missing, empty or fuzzy in translations/zh/LC_MESSAGES/messages.po):\n"
        + "\n".join(missing) + "\n" + FIX
    )


def test_the_chinese_catalogue_has_no_fuzzy_entries():
    fuzzy = [m.id for m in _po("zh") if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries are not compiled; check and unflag them: {fuzzy}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_the_po_file(locale):
    po, mo = _po(locale), _mo(locale)
    stale = []
    for message in po:
        if not message.id or not _translated(message):
            continue
        compiled = mo.get(message.id, context=message.context)
        if compiled is None or _strings(compiled.string) != _strings(message.string):
            stale.append(message.id)
    translated_in_po = {(m.id if isinstance(m.id, str) else m.id[0], m.context)
                        for m in po if m.id and _translated(m)}
    extra = [m.id for m in mo if m.id and any(_strings(m.string))
             and ((m.id if isinstance(m.id, str) else m.id[0]), m.context) not in translated_in_po]
    assert not stale and not extra, (
        f"translations/{locale}/LC_MESSAGES/messages.mo is out of date "
        f"(differs on {stale[:5]}, has no longer translated {extra[:5]}); "
        "run `pybabel compile -d translations`"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale):
    wrong = []
    for message in _po(locale):
        if not message.id or not any(_strings(message.string)):
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_strings(message.id))))
        for form in _strings(message.string):
            if form and set(PLACEHOLDER.findall(form)) != wanted:
                wrong.append(f"  {message.id!r} -> {form!r}")
    assert not wrong, (
        f"translations in translations/{locale}/LC_MESSAGES/messages.po must keep exactly the "
        f"%(name)s placeholders of their msgid:\n" + "\n".join(wrong)
    )


def test_chinese_catalogue_header():
    catalogue = _po("zh")
    assert str(catalogue.locale) == "zh"
    assert catalogue.num_plurals == 1
    assert catalogue.plural_expr == "0"


def _fresh(app, call, *args, **kwargs):
    """Makes one request in its own app context, as in production.

    The `app` fixture keeps one app context open for the whole test, and test-client requests reuse it, so
    `g` (where Flask-Babel caches the locale it chose) would carry the first request's language to the next.
    """
    with app.app_context():
        return call(*args, **kwargs)


def _home(app, client) -> str:
    return _fresh(app, client.get, "/").get_data(as_text=True)


def test_a_user_switches_between_chinese_and_english(app, client, auth, make_staff):
    make_staff("admin", email="admin@example.com", name="王经理")
    assert _fresh(app, auth.login, "admin@example.com").status_code == 302

    assert _fresh(app, auth.post, "/language/en").status_code == 302
    html = _home(app, client)
    assert '<html lang="en">' in html
    assert '<a href="/clients">Clients</a>' in html
    assert "Welcome, 王经理" in html
    assert "审计日志" not in html

    assert _fresh(app, auth.post, "/language/zh").status_code == 302
    html = _home(app, client)
    assert '<html lang="zh-CN">' in html
    assert '<a href="/clients">客户</a>' in html
    assert "欢迎，王经理" in html
    assert '<a href="/audit">审计日志</a>' in html
    assert ">Clients<" not in html and "Welcome" not in html

    assert _fresh(app, auth.post, "/language/en").status_code == 302
    html = _home(app, client)
    assert '<a href="/clients">Clients</a>' in html
    assert "客户服务部" not in html

    from core.extensions import db
    from staff.models import Staff

    staff = db.session.execute(db.select(Staff).filter_by(email="admin@example.com")).scalar_one()
    db.session.refresh(staff)
    assert staff.locale == "en"  # the choice is remembered for the next sign-in


def test_a_failed_sign_in_is_reported_in_chinese(app, client, auth, make_staff):
    make_staff("admin", email="admin@example.com")
    response = _fresh(app, auth.login, "admin@example.com", password="wrong-password")
    assert response.status_code == 200
    # Chinese is the default when the browser asks for no language
    assert "邮箱或密码错误。" in response.get_data(as_text=True)


@pytest.mark.parametrize("header, heading", [("zh-CN,zh;q=0.9", "登录"), ("zh-Hans-CN", "登录"), ("en-US,en;q=0.8", "Sign in"),
                                             ("fr-FR", "登录")])
def test_a_browser_gets_its_language_by_the_primary_tag(client, header, heading):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f"<h1>{heading}" in page
