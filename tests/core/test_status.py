"""Traffic lights: one test per rule of the README."""

from __future__ import annotations

from support import at

from bot.core.history import History, Reading, Record, Sent, StatusUpdate, UpdateKind
from bot.core.model import Catalogue
from bot.core.status import Light, indicator_status, reason_text, task_status

_n = iter(range(1, 10_000))


def rec(*args: object, **kwargs: object) -> Record:
    """The current state folded from a history (what storage keeps)."""
    return History(*args, **kwargs).record()  # type: ignore[arg-type]


def upd(task: str, kind: UpdateKind, when: str, sub: str | None = None) -> StatusUpdate:
    return StatusUpdate(next(_n), task, kind, at(when), "eco-1", "eco", subtask_id=sub)


def light(
    cat: Catalogue, task: str, now: str, *updates: StatusUpdate, sent: list[Sent] | None = None
) -> Light:
    history = History(updates, sent=sent or [])
    return task_status(cat, cat.task(task), history.record(), at(now)).light


def test_green_when_far_from_the_deadline_and_nothing_wrong(cat: Catalogue) -> None:
    # t02's sub-item t02-2 is due 2024年底: before that everything is green
    assert light(cat, "t02", "2023-06-01 10:00") is Light.GREEN


def test_yellow_when_due_within_the_window(cat: Catalogue) -> None:
    sub_done = upd("t02", UpdateKind.CLOSED, "2024-12-20 10:00", sub="t02-2")
    st = task_status(cat, cat.task("t02"), rec([sub_done]), at("2025-12-10 10:00"))
    assert st.light is Light.YELLOW
    assert any(r.code == "due_soon" for r in st.reasons)


def test_red_when_overdue_with_the_days(cat: Catalogue) -> None:
    st = task_status(cat, cat.task("t02"), rec(), at("2026-01-10 10:00"))
    assert st.light is Light.RED
    assert any(r.code == "overdue" and r.params["days"] == 10 for r in st.reasons)


def test_a_late_sub_item_turns_its_task_red(cat: Catalogue) -> None:
    # t02-2 is due 2024年底, the task itself 2025年底
    assert light(cat, "t02", "2025-02-01 10:00") is Light.RED
    st = task_status(cat, cat.task("t02"), rec(), at("2025-02-01 10:00"))
    assert reason_text("zh", st.reasons[0]) == "子项「加强移动源排放控制…」逾期 32 天"
    closed_sub = upd("t02", UpdateKind.CLOSED, "2025-01-05 10:00", sub="t02-2")
    assert light(cat, "t02", "2025-02-01 10:00", closed_sub) is Light.GREEN


def test_blocked_is_red_and_at_risk_is_yellow(cat: Catalogue) -> None:
    assert (
        light(cat, "t02", "2023-06-01 10:00", upd("t02", UpdateKind.BLOCKED, "2023-05-30 10:00"))
        is Light.RED
    )
    assert (
        light(cat, "t02", "2023-06-01 10:00", upd("t02", UpdateKind.AT_RISK, "2023-05-30 10:00"))
        is Light.YELLOW
    )
    # a later on-track report clears it
    assert (
        light(
            cat,
            "t02",
            "2023-06-01 10:00",
            upd("t02", UpdateKind.AT_RISK, "2023-05-30 10:00"),
            upd("t02", UpdateKind.ON_TRACK, "2023-05-31 10:00"),
        )
        is Light.GREEN
    )


def test_a_note_does_not_change_the_light(cat: Catalogue) -> None:
    assert (
        light(
            cat,
            "t02",
            "2023-06-01 10:00",
            upd("t02", UpdateKind.AT_RISK, "2023-05-30 10:00"),
            upd("t02", UpdateKind.NOTE, "2023-05-31 10:00"),
        )
        is Light.YELLOW
    )


def test_unanswered_reminder_past_the_follow_up_window_is_yellow(cat: Catalogue) -> None:
    prompt = Sent("r1", "reminder", "eco-1", at("2023-06-01 09:00"), task_id="t02", bureau_id="eco")
    assert (
        light(cat, "t02", "2023-06-05 10:00", sent=[prompt]) is Light.GREEN
    )  # within 3 working days
    assert light(cat, "t02", "2023-06-07 10:00", sent=[prompt]) is Light.YELLOW
    answer = upd("t02", UpdateKind.ON_TRACK, "2023-06-02 10:00")
    assert light(cat, "t02", "2023-06-07 10:00", answer, sent=[prompt]) is Light.GREEN


def test_only_a_confirmed_completion_is_done(cat: Catalogue) -> None:
    claim = upd("t02", UpdateKind.DONE_CLAIMED, "2026-01-03 10:00")
    st = task_status(cat, cat.task("t02"), rec([claim]), at("2026-01-10 10:00"))
    assert st.light is Light.RED and st.claim == claim  # claimed, still overdue until confirmed
    closed = upd("t02", UpdateKind.CLOSED, "2026-01-04 10:00")
    assert light(cat, "t02", "2026-01-10 10:00", claim, closed) is Light.DONE
    reopened = upd("t02", UpdateKind.REOPENED, "2026-01-05 10:00")
    assert light(cat, "t02", "2026-01-10 10:00", claim, closed, reopened) is Light.RED


def test_ongoing_task_is_never_overdue_but_a_passed_milestone_wants_a_report(
    cat: Catalogue,
) -> None:
    st = task_status(cat, cat.task("t01"), rec(), at("2026-03-01 10:00"))
    assert st.light is Light.YELLOW
    assert [r.code for r in st.reasons] == ["milestone_passed"]
    report = upd("t01", UpdateKind.ON_TRACK, "2026-02-01 10:00")
    assert light(cat, "t01", "2026-03-01 10:00", report) is Light.GREEN


def _reading(value: float, when: str) -> Reading:
    return Reading(next(_n), "pm25", value, at(when), "eco-1", "eco")


def test_indicator_lights(cat: Catalogue) -> None:
    pm25 = cat.indicator("pm25")  # at most 49, due 2025年底

    def ind(now: str, *readings: Reading) -> Light:
        return indicator_status(cat, pm25, rec(readings=readings), at(now)).light

    assert ind("2024-01-01 10:00") is Light.NONE
    assert ind("2024-01-01 10:00", _reading(47.5, "2023-12-01 10:00")) is Light.GREEN
    assert (
        ind("2024-01-01 10:00", _reading(52.0, "2023-12-01 10:00")) is Light.YELLOW
    )  # behind pace
    assert ind("2026-02-01 10:00", _reading(52.0, "2026-01-10 10:00")) is Light.RED  # off target
    assert ind("2026-02-01 10:00") is Light.RED  # nothing reported by the due date


def test_reduce_by_pct_without_baseline_reads_the_reduction_achieved(cat: Catalogue) -> None:
    energy = cat.indicator("energy")  # down 10% on 2020, no baseline given
    history = History(readings=[Reading(1, "energy", 6.0, at("2024-06-01 10:00"), "econ-1")])
    assert (
        indicator_status(cat, energy, history.record(), at("2024-07-01 10:00")).light
        is Light.YELLOW
    )
    history = History(readings=[Reading(1, "energy", 10.5, at("2024-06-01 10:00"), "econ-1")])
    assert (
        indicator_status(cat, energy, history.record(), at("2024-07-01 10:00")).light is Light.GREEN
    )


def test_history_as_of_drops_later_records() -> None:
    u1 = StatusUpdate(1, "t02", UpdateKind.AT_RISK, at("2023-01-01 10:00"), "eco-1")
    u2 = StatusUpdate(2, "t02", UpdateKind.ON_TRACK, at("2023-02-01 10:00"), "eco-1")
    assert History([u1, u2]).as_of(at("2023-01-15 00:00")).updates == (u1,)


def test_an_unanswered_indicator_check_in_does_not_mark_its_task(cat: Catalogue) -> None:
    prompt = Sent(
        "reading:pm25:2023-04:eco-1",
        "reading",
        "eco-1",
        at("2023-04-03 09:00"),
        task_id="t02",
        indicator_id="pm25",
        bureau_id="eco",
    )
    assert light(cat, "t02", "2023-04-20 10:00", sent=[prompt]) is Light.GREEN
