"""Traffic lights (红黄绿灯): the status of each task, sub-item and indicator.

The rules, in order (the README lists them too, each has a test):

* **done** (⚪ 已办结): a coordinator confirmed the completion (办结) and did not reopen it.
* **red** (🔴): a fixed deadline passed without confirmed completion (逾期); or the
  latest report says blocked (遇到困难); or an indicator misses its target at or after
  its due date.
* **yellow** (🟡): the deadline (or an ongoing task's milestone) is within the yellow
  window (30 days by default); or the latest report says at risk; or a reminder went
  unanswered past the follow-up window; or an ongoing task passed its milestone with no
  report since; or an indicator is off target before its due date (behind pace).
* **green** (🟢): none of the above.

A completion claim (申请办结) awaiting confirmation keeps the light it had and is
shown as such; a claim sent back (退回) leaves the light of the reports before it. A task's
light is the worst of its own and its sub-items'; a sub-item's comes from its own dates and
reports (a task-level report does not paint sub-items led by others).

Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.core.history import Record, StatusUpdate, UpdateKind
from bot.core.model import Catalogue, Deadline, Indicator, Policy, SubTask, Task
from bot.core.workdays import WorkCalendar


class Light(StrEnum):
    """A status light, ordered from worst to best by `rank`."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    DONE = "done"
    NONE = "none"  # an indicator with no reading and nothing wrong yet

    @property
    def rank(self) -> int:
        """0 for red (worst) up to 4."""
        return _RANK[self]

    @property
    def icon(self) -> str:
        """The coloured dot shown in chat."""
        return {"red": "🔴", "yellow": "🟡", "green": "🟢", "done": "⚪", "none": "⚫"}[self.value]


#: Each light's rank, worst first (a dict read: /status ranks every task several times).
_RANK = {light: n for n, light in enumerate(Light)}


@dataclass(frozen=True)
class Reason:
    """Why a light is what it is: an i18n key (`reason.<code>`) and its parameters."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemStatus:
    """The light of a task or sub-item, with reasons and what is known."""

    task_id: str
    subtask_id: str | None
    light: Light
    reasons: tuple[Reason, ...]
    deadline: Deadline
    days_left: int | None  # negative when overdue
    progress: int | None
    last: StatusUpdate | None
    claim: StatusUpdate | None
    subtasks: tuple[ItemStatus, ...] = ()
    follows_task: bool = False  # a sub-item with no report of its own: 按任务整体


@dataclass(frozen=True)
class IndicatorStatus:
    """The light of an indicator."""

    indicator_id: str
    light: Light
    reasons: tuple[Reason, ...]
    latest: float | None
    latest_at: dt.datetime | None
    goal: float | None
    days_left: int | None


def reason_text(lang: str, reason: Reason) -> str:
    """A reason in words (`reason.<code>` texts; a sub-item's reason names the sub-item)."""
    from bot.core.i18n import t

    if reason.code == "sub":
        inner = reason.params["reason"]
        assert isinstance(inner, Reason)
        return t(lang, "reason.sub", sub=reason.params["sub"], reason=reason_text(lang, inner))
    return t(lang, f"reason.{reason.code}", **reason.params)


def _worst(lights: list[Light]) -> Light:
    return min(lights, key=_RANK.__getitem__) if lights else Light.GREEN


def _rank_of(reason: tuple[Light, Reason]) -> int:
    return _RANK[reason[0]]


# Reasons without parameters, made once (a table's status makes thousands).
_BLOCKED = ((Light.RED, Reason("blocked")),)
_AT_RISK = ((Light.YELLOW, Reason("at_risk")),)
_NO_ANSWER = (Light.YELLOW, Reason("no_answer"))
_CLAIMED = (Light.GREEN, Reason("claimed"))


def _unanswered(
    catalogue: Catalogue,
    record: Record,
    subject: str,
    bureaus: tuple[str, ...],
    policy: Policy,
    calendar: WorkCalendar,
    now: dt.datetime,
) -> bool:
    """The latest prompt about a subject got no answer within the follow-up window."""
    last = record.last_prompt(subject, bureaus)
    if last is None or last.answered_at is not None:
        return False
    tz = catalogue.tz
    window_end = calendar.add_workdays(
        last.at.astimezone(tz).date(), policy.followup_after_workdays
    )
    return now.astimezone(tz).date() > window_end


def _date_reasons(
    deadline: Deadline, days_left: int | None, policy: Policy, report: StatusUpdate | None, tz: Any
) -> list[tuple[Light, Reason]]:
    """Reasons that come from the calendar: overdue, due soon, a milestone passed unreported."""
    out: list[tuple[Light, Reason]] = []
    if days_left is None:
        return out
    if not deadline.is_ongoing and days_left < 0:
        out.append((Light.RED, Reason("overdue", {"days": -days_left})))
    if 0 <= days_left <= policy.yellow_window_days:
        out.append((Light.YELLOW, Reason("due_soon", {"days": days_left})))
    if deadline.is_ongoing and deadline.due is not None and days_left < 0:
        reported_since = report is not None and report.at.astimezone(tz).date() > deadline.due
        if not reported_since:
            out.append((Light.YELLOW, Reason("milestone_passed", {"days": -days_left})))
    return out


def _report_reasons(report: StatusUpdate | None) -> tuple[tuple[Light, Reason], ...]:
    """Reasons that come from the latest report (遇到困难 red, 存在风险 yellow)."""
    if report is not None and report.kind is UpdateKind.BLOCKED:
        return _BLOCKED
    if report is not None and report.kind is UpdateKind.AT_RISK:
        return _AT_RISK
    return ()


def _item(
    catalogue: Catalogue,
    task: Task,
    sub: SubTask | None,
    record: Record,
    now: dt.datetime,
    calendar: WorkCalendar,
) -> ItemStatus:
    policy = catalogue.policy.for_task(task.policy)
    sub_id = sub.id if sub else None
    deadline = (sub.deadline if sub and sub.deadline else None) or task.deadline
    today = now.astimezone(catalogue.tz).date()
    days_left = (deadline.due - today).days if deadline.due else None
    own = record.item(task.id, sub_id)
    if record.closed(task.id, sub_id):
        return ItemStatus(
            task.id, sub_id, Light.DONE, (), deadline, days_left, own.progress, own.last, None
        )
    reasons = _date_reasons(deadline, days_left, policy, own.report, catalogue.tz)
    reasons += _report_reasons(own.report)
    if sub is None:
        bureaus = catalogue.bureaus_of(task)
        if _unanswered(catalogue, record, task.id, bureaus, policy, calendar, now):
            reasons.append(_NO_ANSWER)
    if own.claim is not None:
        reasons.append(_CLAIMED)
    light = _worst([lvl for lvl, _ in reasons])
    if len(reasons) > 1:
        reasons.sort(key=_rank_of)
    ordered = tuple(r for _, r in reasons)
    return ItemStatus(
        task.id,
        sub_id,
        light,
        ordered,
        deadline,
        days_left,
        own.progress,
        own.last,
        own.claim,
        follows_task=sub is not None and own.last is None,
    )


def task_status(
    catalogue: Catalogue,
    task: Task,
    record: Record,
    now: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> ItemStatus:
    """A task's light: the worst of its own and its sub-items' (done if confirmed).

    A sub-item's light comes from its own dates and its own reports; a task-level report is
    the task's, and a sub-item nobody reported on says so (`follows_task`, 按任务整体).
    """
    cal = calendar or WorkCalendar(catalogue.calendar)
    # A light depends on the table, the calendar, the day, and the task's own items and
    # prompts: kept on the record until one of them changes (a table of 1,000 tasks is
    # asked for often and changes one task at a time).
    key = (catalogue, task, cal.overrides, now.astimezone(catalogue.tz).date())
    version = record.version(task.id)
    kept = record.memo.get(task.id)
    if kept is not None and kept[1] == version and _same(kept[0], key):
        status = kept[2]
        assert isinstance(status, ItemStatus)
        return status
    status = _task_status(catalogue, task, record, now, cal)
    record.memo[task.id] = (key, version, status)
    return status


def _same(kept: object, key: tuple[object, ...]) -> bool:
    """The same table and task (the very objects), calendar and day."""
    assert isinstance(kept, tuple)
    return kept[0] is key[0] and kept[1] is key[1] and kept[2] == key[2] and kept[3] == key[3]


def _task_status(
    catalogue: Catalogue, task: Task, record: Record, now: dt.datetime, cal: WorkCalendar
) -> ItemStatus:
    own = _item(catalogue, task, None, record, now, cal)
    if own.light is Light.DONE:
        return own
    subs = tuple(_item(catalogue, task, s, record, now, cal) for s in task.subtasks)
    worst = _worst([own.light, *(s.light for s in subs if s.light is not Light.DONE)])
    # A sub-item worse than the task names itself in the reason, worst first.
    ranked: list[tuple[int, Reason]] = [(own.light.rank, r) for r in own.reasons]
    for sub, st in zip(task.subtasks, subs, strict=True):
        if st.light is Light.DONE or st.light.rank >= own.light.rank:
            continue
        for r in st.reasons:
            if r not in own.reasons:
                ranked.append((st.light.rank, Reason("sub", {"sub": sub.text[:16], "reason": r})))
    ranked.sort(key=lambda x: x[0])
    return replace(own, light=worst, reasons=tuple(r for _, r in ranked), subtasks=subs)


def table_status(
    catalogue: Catalogue,
    record: Record,
    now: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> list[ItemStatus]:
    """Every task's status, in catalogue order."""
    cal = calendar or WorkCalendar(catalogue.calendar)
    if record.memo.get("") != (catalogue,):  # another table: forget the lights of the last
        record.memo.clear()
        record.memo[""] = (catalogue,)
    return [task_status(catalogue, t, record, now, cal) for t in catalogue.tasks]


def is_overdue(status: ItemStatus) -> bool:
    """Past a fixed deadline (its own or a sub-item's) and not closed: 逾期."""
    return any(_is_overdue_reason(r) for r in status.reasons)


def _is_overdue_reason(reason: Reason) -> bool:
    if reason.code == "overdue":
        return True
    inner = reason.params.get("reason") if reason.code == "sub" else None
    return isinstance(inner, Reason) and _is_overdue_reason(inner)


def indicator_status(
    catalogue: Catalogue, indicator: Indicator, record: Record, now: dt.datetime
) -> IndicatorStatus:
    """An indicator's light from its latest reading, its target and its due date."""
    today = now.astimezone(catalogue.tz).date()
    due = indicator.due.due
    days_left = (due - today).days if due else None
    latest = record.latest_reading(indicator.id)
    value = latest.value if latest is not None else None
    goal = indicator.target_value()
    if indicator.direction.value == "reduce_by_pct" and goal is None:
        # Without a baseline the reading is taken as the reduction achieved, in percent.
        meets = None if value is None else value >= indicator.target
    else:
        meets = None if value is None else indicator.meets(value)
    reasons: tuple[Reason, ...] = ()
    if latest is None or value is None:
        light = Light.NONE
        if days_left is not None and days_left < 0:
            light, reasons = Light.RED, (Reason("no_reading"),)
    elif meets is None or meets:
        light, reasons = Light.GREEN, ()
    elif days_left is not None and days_left < 0:
        light, reasons = Light.RED, (Reason("off_target"),)
    else:
        light, reasons = Light.YELLOW, (Reason("behind_pace"),)
    return IndicatorStatus(
        indicator.id,
        light,
        tuple(reasons),
        value,
        latest.at if latest else None,
        goal,
        days_left,
    )


def counts(statuses: list[ItemStatus]) -> dict[Light, int]:
    """How many tasks have each light."""
    out = dict.fromkeys((Light.RED, Light.YELLOW, Light.GREEN, Light.DONE), 0)
    for s in statuses:
        out[s.light] = out.get(s.light, 0) + 1
    return out
