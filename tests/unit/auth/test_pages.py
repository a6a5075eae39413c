from __future__ import annotations

from auth.pages import consent_page, describe, language, login_page
from auth.scopes import ScopeSet


def test_describe_in_both_languages() -> None:
    scopes = ScopeSet.parse(
        "patient/Immunization.rs user/Observation.c?category=laboratory openid offline_access"
    )
    assert describe(scopes, "en") == [
        "read, search: Immunization — only the chosen child's record",
        "create: Observation (category=laboratory) — what your account may see",
        "know who you are (your account)",
        "keep access while you are not using the app",
    ]
    assert describe(scopes, "vi")[0] == "xem, tìm kiếm: Immunization — chỉ hồ sơ của trẻ được chọn"


def test_language_defaults_to_vietnamese() -> None:
    assert language(None) == "vi"
    assert language("en-US") == "en"
    assert language("fr") == "vi"


def test_forms_carry_the_request_escaped() -> None:
    page = login_page("vi", {"state": '"><img src=x>'})
    assert '"><img' not in page
    assert 'name="state" value="&quot;&gt;&lt;img src=x&gt;"' in page
    consent = consent_page(
        lang="en",
        params={},
        app_name="A",
        scope=ScopeSet.parse("patient/*.rs"),
        ticket="t",
        patients=("p1", "p2"),
    )
    assert consent.count('type="radio"') == 2
    assert 'value="p1" checked' in consent
    single = consent_page(lang="en", params={}, app_name="A", scope=ScopeSet(), ticket="t", patients=("p1",))
    assert 'type="radio"' not in single
