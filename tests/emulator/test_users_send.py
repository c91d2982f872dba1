"""Users send photos and documents; Mini App buttons and launch data."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.error import BadRequest

from bot.emulator.client import EmulatorClient, EmulatorError
from bot.emulator.inprocess import InProcessRequest
from bot.emulator.media import image_size
from bot.emulator.server import DEFAULT_TOKEN, Emulator

TOKEN = DEFAULT_TOKEN
USER = 501
GROUP = -100
PNG_1600x1200 = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x06\x40\x00\x00\x04\xb0" + bytes(range(256)) * 40
)


def jpeg(width: int, height: int) -> bytes:
    """The start of a baseline JPEG: SOI, an APP0 segment, SOF0 with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\x00" * 64


def download(base: str, file_path: str) -> bytes:
    with urllib.request.urlopen(f"{base}/file/bot{TOKEN}/{file_path}", timeout=10) as response:
        data: bytes = response.read()
    return data


def get_file(base: str, file_id: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}/bot{TOKEN}/getFile",
        data=json.dumps({"file_id": file_id}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, object] = json.loads(response.read())["result"]
    return result


def test_a_user_photo_comes_in_sizes_largest_last(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    message = client.send_photo(USER, PNG_1600x1200, caption="现场照片")
    sizes = message["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1280, 960),
        (1600, 1200),
    ]
    assert [s["file_size"] for s in sizes] == sorted({s["file_size"] for s in sizes})
    assert all(s["file_id"] and s["file_unique_id"] for s in sizes)
    assert message["caption"] == "现场照片"
    # the bot downloads the largest: the user's own bytes
    largest = get_file(base, sizes[-1]["file_id"])
    assert largest["file_path"] == "photos/file_0.png"
    assert download(base, str(largest["file_path"])) == PNG_1600x1200
    # a smaller one is an image of its stated size
    small = download(base, str(get_file(base, sizes[0]["file_id"])["file_path"]))
    assert image_size(small) == (90, 68) and len(small) == sizes[0]["file_size"]
    assert client.updates()[-1]["message"]["photo"] == sizes


def test_a_user_document(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    first = client.send(USER, "请看附件")
    message = client.send_document(
        USER, b"%PDF-1.7 ...", "进度报告.pdf", caption="/report 附件", reply_to=first["message_id"]
    )
    document = message["document"]
    assert document["file_name"] == "进度报告.pdf"
    assert document["mime_type"] == "application/pdf"
    assert document["file_size"] == len(b"%PDF-1.7 ...")
    assert message["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert message["reply_to_message"]["message_id"] == first["message_id"]
    path = get_file(base, document["file_id"])["file_path"]
    assert path == "documents/file_0.pdf"
    assert download(base, str(path)) == b"%PDF-1.7 ..."
    with pytest.raises(EmulatorError) as err:
        client.send_document(USER, b"x", "a.txt", caption="长" * 1025)
    assert err.value.status == 400
    with pytest.raises(EmulatorError):
        client.send_photo(USER, b"not an image")


def test_a_file_path_is_needed_to_download(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    file_id = client.send_document(USER, b"secret", "a.txt")["document"]["file_id"]
    with pytest.raises(urllib.error.HTTPError) as missing:
        download(base, file_id)  # a file_id is not a path
    missing.value.close()
    assert missing.value.code == 404
    get_file(base, file_id)
    with pytest.raises(urllib.error.HTTPError) as wrong:
        urllib.request.urlopen(f"{base}/file/bot1:WRONG/documents/file_0.txt", timeout=10)
    wrong.value.close()
    assert wrong.value.code == 401
    assert download(base, "documents/file_0.txt") == b"secret"


def test_group_privacy_applies_to_captions(api: tuple[str, EmulatorClient]) -> None:
    _, client = api
    client.add_user(USER, "张三")
    client.add_group(GROUP, "工作群", [USER])
    client.send_photo(USER, jpeg(640, 480), caption="大家看看", chat_id=GROUP)
    client.send_document(USER, b"x", "表.xlsx", caption="@duban_test_bot 交材料", chat_id=GROUP)
    seen = [u["message"] for u in client.updates()]
    assert [m.get("caption") for m in seen] == ["@duban_test_bot 交材料"]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(TOKEN)
    emulator.add_user(USER, "张三", username="zhangsan")
    emulator.user_start(USER)
    yield emulator
    await emulator.stop()


def bot(emulator: Emulator) -> telegram.Bot:
    return telegram.Bot(TOKEN, request=InProcessRequest(emulator))


async def test_get_file_refuses_files_over_20_mb(emu: Emulator) -> None:
    limit = 20 * 1024 * 1024
    at_limit = emu.user_document(USER, b"\0" * limit, "a.bin")["document"]["file_id"]
    over = emu.user_document(USER, b"\0" * (limit + 1), "b.bin")["document"]["file_id"]
    async with bot(emu) as b:
        assert (await b.get_file(at_limit)).file_size == limit
        with pytest.raises(BadRequest, match=r"(?i)file is too big"):
            await b.get_file(over)


def test_jpeg_size() -> None:
    assert image_size(jpeg(1280, 720)) == (1280, 720)
    assert image_size(b"GIF89a") is None


async def test_web_app_buttons_private_https_only(emu: Emulator) -> None:
    emu.add_group(GROUP, "工作群", [USER])

    def markup(url: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("填报", web_app=WebAppInfo(url))]])

    async with bot(emu) as b:
        sent = await b.send_message(USER, "请填报", reply_markup=markup("https://duban.example/f"))
        assert sent.reply_markup == markup("https://duban.example/f")
        with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
            await b.send_message(GROUP, "请填报", reply_markup=markup("https://duban.example/f"))
        local = "http://127.0.0.1:8080/f"
        with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
            await b.send_message(USER, "请填报", reply_markup=markup(local))
        emu.allow_http_webhooks = True
        assert (await b.send_message(USER, "请填报", reply_markup=markup(local))).text


def verify_init_data(init_data: str, token: str) -> dict[str, str]:
    """Telegram's documented check, written here from the documentation alone:
    data_check_string = the fields but `hash`, "key=value" sorted by key, joined by \\n;
    secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token);
    valid if hex(HMAC_SHA256(key=secret_key, msg=data_check_string)) == hash."""
    fields = dict(urllib.parse.parse_qsl(init_data, strict_parsing=True))
    received = fields.pop("hash")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret_key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret_key, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received):
        raise ValueError("initData does not match its hash")
    return fields


def test_mini_app_init_data_is_signed_as_telegram_documents(
    api: tuple[str, EmulatorClient],
) -> None:
    _, client = api
    client.add_user(USER, "张三", username="zhangsan", language_code="zh-hans")
    init_data = client.webapp_init_data(USER, auth_date=1_700_000_000, query_id="AAHdF6IQ")
    fields = verify_init_data(init_data, TOKEN)
    assert fields["auth_date"] == "1700000000" and fields["query_id"] == "AAHdF6IQ"
    assert json.loads(fields["user"]) == {
        "id": USER,
        "first_name": "张三",
        "username": "zhangsan",
        "language_code": "zh-hans",
    }
    with pytest.raises(ValueError, match="does not match"):
        verify_init_data(init_data, "654321:ANOTHER-BOT")
    forged = init_data.replace("auth_date=1700000000", "auth_date=1800000000")
    with pytest.raises(ValueError, match="does not match"):
        verify_init_data(forged, TOKEN)
    # the launch URL carries it in the fragment, with the version, platform and theme
    url = client.webapp_launch_url("https://duban.example/form?task=2", USER, auth_date=1)
    page, fragment = url.split("#", 1)
    assert page == "https://duban.example/form?task=2"
    launch = dict(urllib.parse.parse_qsl(fragment))
    assert verify_init_data(launch["tgWebAppData"], TOKEN)["auth_date"] == "1"
    assert launch["tgWebAppVersion"] == "7.0" and launch["tgWebAppPlatform"] == "tdesktop"
    assert json.loads(launch["tgWebAppThemeParams"])["bg_color"] == "#ffffff"
    with pytest.raises(EmulatorError) as err:
        client.webapp_init_data(999)
    assert err.value.status == 404
