"""A big valid table, for measuring validation and for code that needs many tasks.

`big_table_yaml(10_000)` is far larger than any real 分工表 (the shipped one has 16 tasks):
about ten sub-items per three tasks, 200 bureaus with aliases and contacts, sections of
100 tasks, indicators. Deterministic for a given seed.
"""

from __future__ import annotations

import random

_DEADLINES = (
    "2022年底",
    "2023年6月底",
    "2024年3月15日",
    "2025年底",
    "持续推进",
    "持续推进，2025年底取得阶段成效",
)
_VERBS = ("推进", "完善", "加强", "落实", "健全", "深化", "开展", "实施")
_THINGS = ("污染治理", "节能改造", "规划编制", "监督检查", "基础设施建设", "制度建设", "宣传活动")


def _text(rng: random.Random, words: int) -> str:
    return "，".join(rng.choice(_VERBS) + rng.choice(_THINGS) for _ in range(words)) + "。"


def big_table_yaml(tasks: int, seed: int = 1) -> str:
    """A valid tasks.yaml with `tasks` tasks (1..99999), the same text for the same seed."""
    if not 1 <= tasks <= 99_999:
        raise ValueError("task numbers run from 1 to 99999")
    rng = random.Random(seed)
    out = [
        "version: 1",
        "language: zh",
        "document:",
        "  title: 压力测试落实意见",
        "  issuer: 某区管委会办公室",
        "  number: 〔2022〕-99",
        "  date: 2022-03-31",
        "policy:",
        "  reminder_offsets_days: [30, 7, 1]",
        "people:",
        "  - {id: admin-1, name: 王管理, roles: [admin, coordinator], telegram_id: 1}",
        "bureaus:",
        *_bureaus(),
        "sections:",
        *(
            f"  - {{id: s{s}, number: '{s + 1}', title: 第{s + 1}部分}}"
            for s in range((tasks + 99) // 100)
        ),
        "tasks:",
    ]
    for n in range(tasks):
        out += _task(rng, n)
    out.append("indicators:")
    for i in range(min(tasks, 50)):
        out += [
            f"  - id: ind{i}",
            f"    name: 指标{i}",
            "    unit: '%'",
            "    direction: at_least",
            f"    target: {50 + i % 50}",
            "    range: [0, 100]",
            "    due: 2025年底",
            f"    owner: b{i % BUREAUS}",
            f"    task: t{i}",
        ]
    return "\n".join(out) + "\n"


BUREAUS = 200


def _bureaus() -> list[str]:
    out: list[str] = []
    for b in range(BUREAUS):
        out += [
            f"  - id: b{b}",
            f"    name: 第{b}局",
            f"    aliases: [第{b}号局, 第 {b} 局办公室]",
            "    contacts:",
            f"      - {{id: c{b}-1, name: 联络员{b}甲, telegram_id: {100_000 + 2 * b}}}",
            f"      - {{id: c{b}-2, name: 联络员{b}乙, phone: '0311-{b:07d}'}}",
        ]
    return out


def _task(rng: random.Random, n: int) -> list[str]:
    """Task n: bureaus by id, alias and name; 3 or 4 sub-items (10 per 3 tasks)."""
    lead = rng.randrange(BUREAUS)
    coop = sorted({rng.randrange(BUREAUS) for _ in range(rng.randrange(4))} - {lead})
    out = [
        f"  - id: t{n}",
        f"    number: {n + 1}",
        f"    section: s{n // 100}",
        f"    title: 任务{n}{rng.choice(_THINGS)}",
        f"    description: {_text(rng, 3)}",
        f"    lead: {'第' + str(lead) + '号局' if n % 2 else 'b' + str(lead)}",
        f"    cooperating: [{', '.join(f'第{c}局' for c in coop)}]",
        f"    deadline: {rng.choice(_DEADLINES)}",
        "    subtasks:",
    ]
    for s in range(3 + (n % 3 == 0)):
        out += [f"      - id: t{n}-{s}", f"        text: {_text(rng, 2)}"]
        if s % 2:
            out.append(f"        lead: b{rng.randrange(BUREAUS)}")
        if s == 2:
            out.append("        deadline: 2022年底")
    return out
