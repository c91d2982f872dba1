"""Mini App launch data as Telegram makes it: the signed `initData` and the URL fragment.

Telegram opens a Mini App with launch parameters in the URL fragment
(`#tgWebAppData=<url-encoded initData>&tgWebAppVersion=...&tgWebAppPlatform=...&
tgWebAppThemeParams=...`). `initData` is a query string (`query_id`, `user` as JSON,
`auth_date`, `hash`) signed with the bot's token, as documented at
https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:

* data-check-string: every field except `hash`, as `key=value`, sorted by key, joined by "\\n";
* secret key: HMAC-SHA256 of the bot token with the key "WebAppData";
* hash: the hex HMAC-SHA256 of the data-check-string with the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from typing import Any

# What Telegram Desktop's light theme sends (tgWebAppThemeParams), enough for a page to render.
DEFAULT_THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def data_check_string(fields: dict[str, str]) -> str:
    """Every field except `hash` as key=value, sorted by key, joined by newlines."""
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign(token: str, fields: dict[str, str]) -> str:
    """The `hash` Telegram puts in initData for these fields."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def init_data(token: str, user: dict[str, Any], auth_date: int, query_id: str | None = None) -> str:
    """The URL-encoded initData for `user` (a User object: id, first_name, username?,
    language_code?), signed with `token`."""
    fields: dict[str, str] = {}
    if query_id:
        fields["query_id"] = query_id
    fields["user"] = _compact(user)
    fields["auth_date"] = str(int(auth_date))
    fields["hash"] = sign(token, fields)
    return urllib.parse.urlencode(fields, quote_via=urllib.parse.quote)


def launch_fragment(
    data: str,
    *,
    version: str = "7.0",
    platform: str = "tdesktop",
    theme: dict[str, str] | None = None,
) -> str:
    """The fragment (with its '#') Telegram appends to a Mini App's URL for `data`
    (an initData string)."""
    params = {
        "tgWebAppData": data,
        "tgWebAppVersion": version,
        "tgWebAppPlatform": platform,
        "tgWebAppThemeParams": _compact(theme if theme is not None else DEFAULT_THEME),
    }
    return "#" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def launch_url(url: str, data: str, **options: Any) -> str:
    """The Mini App's URL as Telegram opens it: `url` with the launch fragment."""
    return url.split("#", 1)[0] + launch_fragment(data, **options)
