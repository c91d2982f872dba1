"""Two documents served by one `duban run` process (the shipped 2022 table and the clearly
marked sample `tests/fixtures/documents/water.yaml` in one config directory): /status across
both; one file broken while the other reloads; a file removed archives its document, and
put back restores it with its record."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import ADMIN, COORD, ECO, Env
from support import shipped_with_ids

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def save(path: Path, text: str) -> None:
    """As editors save: a new file renamed over the old one."""
    tmp = path.with_name("." + path.name + ".swp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


def test_two_documents_one_broken_while_the_other_reloads(env: Env) -> None:
    config = env.config.parent
    ids = {"系统管理员（示例）": ADMIN, "督办员（示例）": COORD, "生态环境局联络员（示例）": ECO}
    env.config.write_text(shipped_with_ids(ids), "utf-8")
    water = config / "water.yaml"
    shutil.copy(ROOT / "tests" / "fixtures" / "documents" / "water.yaml", water)
    env.config = config  # the directory is the config
    for user in (ADMIN, COORD, ECO):
        env.client.send(user, "/start")
    env.start_bot("2025-11-03T10:00:00+08:00", 1, "--tick", "0.5")
    env.wait_text(ADMIN, "绑定成功")

    env.client.send(COORD, "/status")
    overview = env.wait_text(COORD, "督办总览")["text"]
    assert "2 份文件" in overview and "节水｜【测试样例】" in overview and "：16 项" in overview

    # water.yaml breaks while tasks.yaml is edited: the edit applies, water keeps its last good
    tasks = config / "tasks.yaml"
    save(water, water.read_text("utf-8").replace("lead: 城市管理局", "lead: 城管局"))
    save(
        tasks,
        tasks.read_text("utf-8").replace("title: 构建绿色城镇体系", "title: 构建绿色低碳城镇体系"),
    )
    failure = env.wait_text(ADMIN, "water.yaml 的修改未生效", timeout=30)["text"]
    assert "城管局" in failure and "上一份有效版本" in failure
    env.wait_text(ADMIN, "分工表已更新", "构建绿色低碳城镇体系", timeout=30)
    env.client.send(COORD, "/status 节水")
    water_view = env.wait_text(COORD, "📄 节水")["text"]
    assert "共 3 项任务" in water_view and "制定年度用水计划" in water_view
    env.client.send(COORD, "/status 2")
    assert "构建绿色低碳城镇体系" in env.wait_text(COORD, "任务 2：")["text"]

    # the contact answers on the sample's task; the record keys it by document
    env.client.send(ECO, "/update 节水-3")
    ask = env.wait_text(ECO, "节水-3")
    env.client.press(ECO, ask["message_id"], data="u:water.w03:r")
    env.wait_text(ECO, "已记录", since=len(env.texts(ECO)) - 1)

    # water.yaml removed: its document is archived, with its record
    water.unlink()
    report = env.wait_text(ADMIN, "分工表已更新", "移除文件 节水", timeout=30)["text"]
    assert "【测试样例】高新区节约用水行动实施方案（虚构）" in report and "3 项任务已归档" in report
    env.client.send(COORD, "/status")
    overview = env.wait_text(COORD, "分工表总览")["text"]
    assert "共 16 项任务" in overview and "节水" not in overview
    env.client.send(COORD, "/status archived")
    archived = env.wait_text(COORD, "推进工业废水循环利用")["text"]
    assert "water.w03" in archived and "1 条" in archived

    # put back: the document returns with its record
    shutil.copy(ROOT / "tests" / "fixtures" / "documents" / "water.yaml", water)
    env.wait_text(ADMIN, "分工表已更新", "新增文件 节水", timeout=30)
    env.client.send(COORD, "/status 节水-3")
    detail = env.wait_text(COORD, "推进工业废水循环利用", "最近记录")["text"]
    assert "存在风险" in detail
