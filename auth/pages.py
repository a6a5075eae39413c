"""The few server-rendered pages of the authorization endpoint (sign-in, consent with a patient picker,
errors), in Vietnamese and English. Plain HTML and one inline stylesheet; every value is escaped."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from auth.scopes import Context, Interaction, ScopeSet

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Đăng nhập — Sổ tiêm chủng điện tử",
        "sign_in": "Đăng nhập",
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "bad_login": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "slow_down": "Quá nhiều lần thử. Vui lòng đợi một phút rồi thử lại.",
        "consent": "Cho phép truy cập",
        "wants": "Ứng dụng {app} muốn được:",
        "pick": "Chọn trẻ mà ứng dụng được xem hồ sơ:",
        "allow": "Cho phép",
        "deny": "Từ chối",
        "error": "Không thể tiếp tục",
        "other": "English",
        "expired": "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
        "patient": "chỉ hồ sơ của trẻ được chọn",
        "user": "những gì tài khoản của bạn được phép",
        "system": "toàn hệ thống",
        "c": "tạo",
        "r": "xem",
        "u": "sửa",
        "d": "xoá",
        "s": "tìm kiếm",
        "all": "mọi loại dữ liệu",
        "identity": "biết bạn là ai (tài khoản của bạn)",
        "offline": "giữ quyền truy cập cả khi bạn không mở ứng dụng",
    },
    "en": {
        "title": "Sign in — Immunization Registry",
        "sign_in": "Sign in",
        "username": "Username",
        "password": "Password",
        "bad_login": "Wrong username or password.",
        "slow_down": "Too many attempts. Please wait a minute and try again.",
        "consent": "Allow access",
        "wants": "The app {app} asks to:",
        "pick": "Choose the child whose record the app may see:",
        "allow": "Allow",
        "deny": "Deny",
        "error": "Cannot continue",
        "other": "Tiếng Việt",
        "expired": "Your sign-in has expired. Please sign in again.",
        "patient": "only the chosen child's record",
        "user": "what your account may see",
        "system": "the whole system",
        "c": "create",
        "r": "read",
        "u": "update",
        "d": "delete",
        "s": "search",
        "all": "every kind of record",
        "identity": "know who you are (your account)",
        "offline": "keep access while you are not using the app",
    },
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "label{display:block;margin:.8rem 0 .2rem}"
    "input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{padding:.6rem 1.2rem;margin:1rem .5rem 0 0}.error{color:#a00}li{margin:.3rem 0}"
)


def language(requested: str | None) -> str:
    return "en" if (requested or "").lower().startswith("en") else "vi"


def _page(lang: str, heading: str, body: str, switch: str = "") -> str:
    t = TEXT[lang]
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(t['title'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(heading)}</h1>{body}{switch}</body></html>"
    )


def _hidden(params: Mapping[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items())


def login_page(lang: str, params: Mapping[str, str], error: str | None = None, switch_url: str = "") -> str:
    t = TEXT[lang]
    message = f'<p class="error" role="alert">{escape(t[error])}</p>' if error else ""
    switch = f'<p><a href="{escape(switch_url)}">{escape(t["other"])}</a></p>' if switch_url else ""
    form = (
        f'{message}<form method="post" action="/auth/authorize">{_hidden(params)}'
        f'<input type="hidden" name="step" value="login"><input type="hidden" name="lang" value="{lang}">'
        f'<label for="username">{escape(t["username"])}</label>'
        f'<input type="text" id="username" name="username" autocomplete="username" required>'
        f'<label for="password">{escape(t["password"])}</label>'
        f'<input type="password" id="password" name="password" autocomplete="current-password" required>'
        f'<button type="submit">{escape(t["sign_in"])}</button></form>'
    )
    return _page(lang, t["sign_in"], form, switch)


def consent_page(
    *,
    lang: str,
    params: Mapping[str, str],
    app_name: str,
    scope: ScopeSet,
    ticket: str,
    patients: tuple[str, ...],
) -> str:
    t = TEXT[lang]
    items = "".join(f"<li>{escape(line)}</li>" for line in describe(scope, lang))
    picker = ""
    if len(patients) > 1:
        choices = "".join(
            f'<label><input type="radio" name="patient" value="{escape(p)}"{" checked" if i == 0 else ""}>'
            f" Patient/{escape(p)}</label>"
            for i, p in enumerate(patients)
        )
        picker = f"<fieldset><legend>{escape(t['pick'])}</legend>{choices}</fieldset>"
    form = (
        f"<p>{escape(t['wants'].format(app=app_name))}</p><ul>{items}</ul>"
        f'<form method="post" action="/auth/authorize">{_hidden(params)}'
        f'<input type="hidden" name="step" value="consent"><input type="hidden" name="lang" value="{lang}">'
        f'<input type="hidden" name="ticket" value="{escape(ticket)}">{picker}'
        f'<button type="submit" name="decision" value="allow">{escape(t["allow"])}</button>'
        f'<button type="submit" name="decision" value="deny">{escape(t["deny"])}</button></form>'
    )
    return _page(lang, t["consent"], form)


def error_page(lang: str, description: str) -> str:
    t = TEXT[lang]
    return _page(lang, t["error"], f'<p class="error">{escape(description)}</p>')


def describe(scope: ScopeSet, lang: str) -> list[str]:
    """One line per resource scope, e.g. "xem, tìm kiếm: Immunization — chỉ hồ sơ của trẻ được chọn"."""
    t = TEXT[lang]
    lines = []
    for s in scope.resource_scopes:
        verbs = ", ".join(t[i.value] for i in Interaction if i in s.interactions)
        what = t["all"] if s.resource_type == "*" else s.resource_type
        narrowed = " (" + "&".join(f"{k}={v}" for k, v in s.narrowing) + ")" if s.narrowing else ""
        lines.append(f"{verbs}: {what}{narrowed} — {t[Context(s.context).value]}")
    if scope.has("openid") or scope.has("fhirUser"):
        lines.append(t["identity"])
    if scope.has("offline_access"):
        lines.append(t["offline"])
    return lines
