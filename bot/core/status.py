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
shown as such. A task's light is the worst of its own and its sub-items'.

Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.history import History, StatusUpdate, UpdateKind
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
        return list(Light).index(self)

    @property
    def icon(self) -> str:
        """The coloured dot shown in chat."""
        return {"red": "🔴", "yellow": "🟡", "green": "🟢", "done": "⚪", "none": "⚫"}[self.value]


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
    return min(lights, key=lambda x: x.rank) if lights else Light.GREEN


def _unanswered(
    catalogue: Catalogue,
    history: History,
    subject: str,
    bureaus: tuple[str, ...],
    policy: Policy,
    calendar: WorkCalendar,
    now: dt.datetime,
) -> bool:
    """The latest prompt about a subject got no answer within the follow-up window."""
    last = history.last_prompt(subject, bureaus)
    if last is None:
        return False
    tz = catalogue.tz
    sent_day = last.at.astimezone(tz).date()
    window_end = calendar.add_workdays(sent_day, policy.followup_after_workdays)
    if now.astimezone(tz).date() <= window_end:
        return False
    return not history.answered(subject, last.bureau_id, last.at)


def _item(
    catalogue: Catalogue,
    task: Task,
    sub: SubTask | None,
    history: History,
    now: dt.datetime,
    calendar: WorkCalendar,
) -> ItemStatus:
    policy = catalogue.policy.for_task(task.policy)
    sub_id = sub.id if sub else None
    deadline = (sub.deadline if sub and sub.deadline else None) or task.deadline
    today = now.astimezone(catalogue.tz).date()
    days_left = (deadline.due - today).days if deadline.due else None
    last = history.latest(task.id, sub_id)
    report = history.latest_report(task.id, sub_id)
    progress = history.progress(task.id, sub_id)
    claim = history.pending_claim(task.id) if sub is None else None
    if history.closed(task.id) or (sub_id and history.closed(task.id, sub_id)):
        return ItemStatus(
            task.id, sub_id, Light.DONE, (), deadline, days_left, progress, last, None
        )
    reasons: list[tuple[Light, Reason]] = []
    if days_left is not None and not deadline.is_ongoing and days_left < 0:
        reasons.append((Light.RED, Reason("overdue", {"days": -days_left})))
    if report is not None and report.kind is UpdateKind.BLOCKED:
        reasons.append((Light.RED, Reason("blocked")))
    if report is not None and report.kind is UpdateKind.AT_RISK:
        reasons.append((Light.YELLOW, Reason("at_risk")))
    if days_left is not None and 0 <= days_left <= policy.yellow_window_days:
        reasons.append((Light.YELLOW, Reason("due_soon", {"days": days_left})))
    if deadline.is_ongoing and deadline.due is not None and days_left is not None:
        milestone_passed = days_left < 0
        reported_since = report is not None and report.at.astimezone(catalogue.tz).date() > (
            deadline.due
        )
        if milestone_passed and not reported_since:
            reasons.append((Light.YELLOW, Reason("milestone_passed", {"days": -days_left})))
    bureaus = (sub.lead,) if sub and sub.lead else catalogue.bureaus_of(task)
    if sub is None and _unanswered(catalogue, history, task.id, bureaus, policy, calendar, now):
        reasons.append((Light.YELLOW, Reason("no_answer")))
    if claim is not None:
        reasons.append((Light.GREEN, Reason("claimed")))
    light = _worst([lvl for lvl, _ in reasons])
    ordered = tuple(r for _, r in sorted(reasons, key=lambda x: x[0].rank))
    return ItemStatus(task.id, sub_id, light, ordered, deadline, days_left, progress, last, claim)


def task_status(
    catalogue: Catalogue,
    task: Task,
    history: History,
    now: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> ItemStatus:
    """A task's light: the worst of its own and its sub-items' (done if confirmed)."""
    cal = calendar or WorkCalendar(catalogue.calendar)
    own = _item(catalogue, task, None, history, now, cal)
    if own.light is Light.DONE:
        return own
    subs = tuple(_item(catalogue, task, s, history, now, cal) for s in task.subtasks)
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
    return ItemStatus(
        own.task_id,
        None,
        worst,
        tuple(r for _, r in ranked),
        own.deadline,
        own.days_left,
        own.progress,
        own.last,
        own.claim,
        subs,
    )


def table_status(
    catalogue: Catalogue,
    history: History,
    now: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> list[ItemStatus]:
    """Every task's status, in catalogue order."""
    cal = calendar or WorkCalendar(catalogue.calendar)
    return [task_status(catalogue, t, history, now, cal) for t in catalogue.tasks]


def indicator_status(
    catalogue: Catalogue, indicator: Indicator, history: History, now: dt.datetime
) -> IndicatorStatus:
    """An indicator's light from its latest reading, its target and its due date."""
    today = now.astimezone(catalogue.tz).date()
    due = indicator.due.due
    days_left = (due - today).days if due else None
    latest = history.latest_reading(indicator.id)
    goal = indicator.target_value()
    if indicator.direction.value == "reduce_by_pct" and goal is None:
        # Without a baseline the reading is taken as the reduction achieved, in percent.
        meets = None if latest is None else latest.value >= indicator.target
    else:
        meets = None if latest is None else indicator.meets(latest.value)
    reasons: tuple[Reason, ...] = ()
    if latest is None:
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
        latest.value if latest else None,
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
