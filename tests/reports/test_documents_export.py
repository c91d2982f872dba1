"""Issue #15: exports and the weekly digest when the bot follows several documents.

The config of two documents is the shipped table (config/tasks.yaml, the primary: its ids
as written, its label `tasks`) and the marked sample tests/fixtures/documents/water.yaml
(`water`, short 节水, 文号 〔2024〕-样例1: ids `water.w01`…, numbers 节水-1…). The workbook is
opened as a coordinator opens it: sheet names, the rows of each document's table, the 文件
column of the other sheets, and `duban export --document` keeping one document only.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from harness import ADMIN, COORD, MakeBot
from openpyxl import load_workbook
from support import at

from bot.cli import main
from bot.core.documents import load_config
from bot.core.history import History, StatusUpdate, UpdateKind
from bot.core.model import Catalogue
from bot.reports.digest import build_digest
from bot.reports.excel import sheet_name
from storage.repo import NewMessage, Store

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "tasks.yaml"
WATER = ROOT / "tests" / "fixtures" / "documents" / "water.yaml"
WATER_TITLE = "【测试样例】高新区节约用水行动实施方案（虚构）"
PRIMARY_TITLE = (
    "石家庄高新区管委会办公室关于进一步弘扬塞罕坝精神 深入推进高新区生态文明建设的落实意见"
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config directory of two documents."""
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / "tasks.yaml")
    shutil.copy(WATER, folder / "water.yaml")
    return folder


@pytest.fixture
def catalogue(config: Path) -> Catalogue:
    result = load_config(config)
    assert result.catalogue is not None and not result.errors, result.errors
    assert result.catalogue.several
    return result.catalogue


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with answers on a task of each document, a reading, an extension request
    and evidence on water's tasks, and a reminder of water's delivered and answered."""
    path = tmp_path / "duban.db"
    store = Store.open(path)
    try:
        reminder = NewMessage(
            "reminder:water.w01:2027-06-30:30d:urban-1", "reminder", "urban-1", 3001,
            at("2025-06-02 09:00"), "提醒", task_id="water.w01", bureau_id="urban",
        )  # fmt: skip
        store.outbox_add([reminder], at("2025-06-02 09:00"))
        store.outbox_claim([reminder.key])
        store.outbox_sent([reminder.key], 1, at("2025-06-02 09:00"))
        store.add_update(task_id="water.w01", kind=UpdateKind.ON_TRACK, by="urban-1",
                         at=at("2025-06-02 15:00"), bureau_id="urban", progress=30,
                         note="用水计划已起草")  # fmt: skip
        store.add_update(task_id="t02", kind=UpdateKind.ON_TRACK, by="eco-1",
                         at=at("2025-06-03 10:00"), bureau_id="eco", note="主文件的进展")  # fmt: skip
        store.add_update(task_id="water.w02", subtask_id="water.w02-1", kind=UpdateKind.AT_RISK,
                         by="social-1", at=at("2025-06-04 10:00"), bureau_id="social",
                         note="部分公共机构未启动")  # fmt: skip
        store.add_reading(indicator_id="water.reuse", value=88.5, by="eco-1",
                          at=at("2025-06-05 10:00"), bureau_id="eco")  # fmt: skip
        store.add_extension(task_id="water.w03", subtask_id=None, by="eco-1", bureau_id="eco",
                            at=at("2025-06-05 11:00"), old_text="2027年12月底",
                            new_text="2028年6月底", new_due=at("2028-06-30 00:00").date(),
                            reason="设备采购推迟")  # fmt: skip
        store.add_evidence(task_id="water.w01", subtask_id=None, by_member="urban-1",
                           bureau_id="urban", at=at("2025-06-06 10:00"), file_name="用水计划.pdf",
                           size=1234, sha256="ab" * 32, telegram_file_id="f1", path="x/f1")  # fmt: skip
    finally:
        store.close()
    return path


def _export(
    capsys: pytest.CaptureFixture[str], config: Path, db: Path, out: Path, *extra: str
) -> Any:
    code = main(["export", "--config", str(config), "--db", str(db), "--out", str(out), *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return load_workbook(io.BytesIO(out.read_bytes()))


def _rows(ws: Any, first: int = 1) -> list[tuple[Any, ...]]:
    return [
        r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)
    ]


def _numbers(ws: Any) -> list[Any]:
    """The 序号 of every task row of a 分工表 sheet (section headings have no 工作任务)."""
    return [r[0] for r in _rows(ws, 3) if r[0] is not None and r[1] is not None]


def test_one_table_sheet_per_document_under_its_title_and_number(
    capsys: pytest.CaptureFixture[str], config: Path, db: Path, tmp_path: Path
) -> None:
    book = _export(capsys, config, db, tmp_path / "all.xlsx")
    assert book.sheetnames[:2] == ["分工表-〔2022〕-37", "分工表-节水"]
    assert "分工表" not in book.sheetnames
    primary, water = book["分工表-〔2022〕-37"], book["分工表-节水"]
    assert PRIMARY_TITLE in primary["A1"].value and "〔2022〕-37" in primary["A1"].value
    assert WATER_TITLE in water["A1"].value and "〔2024〕-样例1" in water["A1"].value
    assert water["A3"].value == "一、强化用水总量和强度双控"  # water's own sections

    rows = {r[0]: r for r in _rows(water, 3) if r[1]}
    assert _numbers(water) == ["节水-1", "节水-2", "节水-3"]
    assert rows["节水-1"][1] == "制定年度用水计划"
    assert (rows["节水-1"][6], rows["节水-1"][7]) == ("30%", "用水计划已起草")
    assert rows["节水-1"][3].startswith("城市管理局（牵头）")

    numbers = _numbers(primary)
    assert numbers[:3] == [1, 2, 3] and not any(str(n).startswith("节水") for n in numbers)
    t02 = next(r for r in _rows(primary, 3) if r[0] == 2)
    assert (t02[1], t02[7]) == ("构建绿色城镇体系", "主文件的进展")


def test_the_other_sheets_name_each_rows_document(
    capsys: pytest.CaptureFixture[str], config: Path, db: Path, tmp_path: Path
) -> None:
    book = _export(capsys, config, db, tmp_path / "all.xlsx")
    history = _rows(book["反馈记录"])
    assert history[0][:3] == ("文件", "时间", "任务序号")
    by_note = {r[7]: r for r in history[1:]}
    assert by_note["用水计划已起草"][:4] == (
        "节水",
        "2025-06-02 15:00",
        "节水-1",
        "制定年度用水计划",
    )
    assert by_note["部分公共机构未启动"][2:5] == (
        "节水-2", "开展节水型单位创建", "公共机构全部建成节水型单位。",
    )  # fmt: skip
    assert by_note["主文件的进展"][:3] == ("〔2022〕-37", "2025-06-03 10:00", 2)

    indicators = {r[1]: r for r in _rows(book["指标"])[1:]}
    assert indicators["工业用水重复利用率"][0] == "节水"
    assert indicators["工业用水重复利用率"][8] == 88.5
    assert indicators["细颗粒物（PM2.5）平均浓度"][0] == "〔2022〕-37"

    extension = _rows(book["延期申请"])
    assert extension[0][0] == "文件" and extension[1][:3] == ("节水", 1, "节水-3")
    evidence = _rows(book["佐证材料"])
    assert evidence[0][0] == "文件" and evidence[1][:2] == ("节水", "节水-1")
    assert evidence[1][4] == "用水计划.pdf"

    ranking = _rows(book["回复率排行"])
    assert ranking[0][:3] == ("文件", "名次", "单位")
    assert {r[0] for r in ranking[1:]} == {"全部", "〔2022〕-37", "节水"}
    urban = {r[0]: r for r in ranking[1:] if r[2] == "城市管理局"}
    assert (urban["全部"][3], urban["全部"][4]) == (1, 1)  # sent, answered
    assert (urban["节水"][3], urban["节水"][4]) == (1, 1)
    assert urban["〔2022〕-37"][3] == 0  # the reminder was about water's task
    water_bureaus = {r[2] for r in ranking[1:] if r[0] == "节水"}
    assert "行政服务局" not in water_bureaus  # the water table does not name it


@pytest.mark.parametrize("name", ["water", "节水", "〔2024〕-样例1"])
def test_export_of_one_document_holds_only_that_document(
    capsys: pytest.CaptureFixture[str], config: Path, db: Path, tmp_path: Path, name: str
) -> None:
    book = _export(capsys, config, db, tmp_path / "water.xlsx", "--document", name)
    assert book.sheetnames[0] == "分工表"  # laid out as a single table's
    assert not any(n.startswith("分工表-") for n in book.sheetnames)
    table = book["分工表"]
    assert WATER_TITLE in table["A1"].value and PRIMARY_TITLE not in table["A1"].value
    assert _numbers(table) == ["节水-1", "节水-2", "节水-3"]
    assert [r[6] for r in _rows(book["反馈记录"])[1:]] == ["用水计划已起草", "部分公共机构未启动"]
    assert [r[0] for r in _rows(book["指标"])[1:]] == ["工业用水重复利用率"]
    assert [r[1] for r in _rows(book["延期申请"])[1:]] == ["节水-3"]
    ranking = _rows(book["回复率排行"])
    assert ranking[0][0] == "名次"
    assert "行政服务局" not in {r[1] for r in ranking[1:]}  # the bureaus water names only
    urban = next(r for r in ranking[1:] if r[1] == "城市管理局")
    assert urban[2:4] == (1, 1)


def test_export_of_one_document_is_named_after_it(
    capsys: pytest.CaptureFixture[str], config: Path, db: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code = main(["export", "--config", str(config), "--db", str(db), "--document", "节水"])
    out = capsys.readouterr().out
    assert code == 0
    written = [p.name for p in tmp_path.glob("duban-*.xlsx")]
    assert len(written) == 1 and written[0].startswith("duban-water-") and written[0] in out


def test_an_unknown_document_is_one_line_naming_the_choices(
    capsys: pytest.CaptureFixture[str], config: Path, db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.xlsx"
    code = main(["export", "--config", str(config), "--db", str(db), "--out", str(out),
                 "--document", "大气"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err == "没有文件「大气」。可选：tasks、water（节水）\n"


def test_a_single_table_answers_to_its_own_number_only(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "one.xlsx"
    own = _export(capsys, SHIPPED, db, out, "--document", "〔2022〕-37")
    assert own.sheetnames[0] == "分工表" and "文件" not in _rows(own["反馈记录"])[0]
    code = main(["export", "--config", str(SHIPPED), "--db", str(db), "--out", str(out),
                 "--document", "water"])  # fmt: skip
    assert code == 2 and capsys.readouterr().err.startswith("没有文件「water」")


def test_sheet_names_are_ones_excel_accepts() -> None:
    assert sheet_name("分工表-a/b:c*d?e[f]g\\h") == "分工表-a_b_c_d_e_f_g_h"
    long = sheet_name("分工表-" + "很长的简称" * 10)
    assert len(long) == 31
    assert sheet_name("分工表-x", ["分工表-X"]) == "分工表-x~2"
    assert len(sheet_name("y" * 40, ["y" * 31])) == 31


def test_the_digest_counts_each_document_when_there_are_several(catalogue: Catalogue) -> None:
    history = History(
        [
            StatusUpdate(
                1, "water.w01", UpdateKind.BLOCKED, at("2025-06-04 10:00"), "urban-1", "urban"
            )
        ]
    )
    text = build_digest(catalogue, history, at("2025-06-09 09:00"), since=at("2025-06-02 09:00"))
    lines = text.split("\n")
    assert "督办周报" in lines[0] and lines[1].startswith("任务")  # header, overall counts
    primary, water = lines[2], lines[3]  # then one line per document, the primary first
    assert primary.startswith(
        f"〔2022〕-37｜{PRIMARY_TITLE}：{len(catalogue.tasks_in('tasks'))} 项 🔴"
    )
    assert water == f"节水｜{WATER_TITLE}：3 项 🔴1 🟡0 🟢2 ✅0"

    single = load_config(SHIPPED).catalogue
    assert single is not None
    alone = build_digest(single, History(), at("2025-06-09 09:00"), since=at("2025-06-02 09:00"))
    assert "｜" + PRIMARY_TITLE not in alone and "项 🔴" not in alone


SECOND = """\
version: 1
language: zh
document:
  id: air
  short: 大气
  title: 【测试样例】大气专项（虚构）
  issuer: 【测试样例】办公室
  number: 〔2025〕-样例2
  date: 2025-01-01
sections:
  - id: a1
    number: 一
    title: 大气专项
tasks:
  - id: a01
    number: 1
    section: a1
    title: 治理扬尘
    lead: 生态环境局
    cooperating: [经济发展局]
    deadline: 2027年底
"""


async def test_export_in_chat_takes_a_document(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-06-09 10:00"))
    (bot.config.parent / "air.yaml").write_text(SECOND, encoding="utf-8")
    bot.runtime.config_path = bot.config.parent
    rendered = await bot.duban.reload("test", explicit=True)
    assert bot.runtime.catalogue.several, rendered.text
    await bot.start_users(COORD, ADMIN)

    await bot.say(COORD, "/export 大气")
    sent = bot.messages(COORD)[-1]
    assert sent["document"]["file_name"] == "duban-air-2025-06-09.xlsx"
    assert sent["caption"].startswith("大气 分工表进展")
    book = load_workbook(io.BytesIO(bot.client.file(sent["document"]["file_id"])))
    assert book.sheetnames[0] == "分工表" and _numbers(book["分工表"]) == ["大气-1"]

    await bot.say(COORD, "/export")
    whole = load_workbook(
        io.BytesIO(bot.client.file(bot.messages(COORD)[-1]["document"]["file_id"]))
    )
    assert [n for n in whole.sheetnames if n.startswith("分工表-")] == [
        "分工表-〔2022〕-37",
        "分工表-大气",
    ]

    await bot.say(COORD, "/export 节水")
    answer = bot.texts(COORD)[-1]
    assert "没有文件「节水」" in answer and "air（大气）" in answer and "/export 大气" in answer
