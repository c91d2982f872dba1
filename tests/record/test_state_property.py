"""Any sequence of answers, claims, returns, confirmations, readings, deliveries, clock moves
and reloads leaves the current state (kept on every write, and in the running bot's memory)
equal to the state rebuilt from the history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from catalogue.valid_table import VALID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import at, table

from bot.core.history import Record
from bot.core.model import Catalogue
from bot.core.protocol import Answer, ClaimAction
from bot.core.render import Rendered
from bot.core.workdays import WorkCalendar
from bot.reload import apply, validate
from bot.service import answers, claims
from bot.service.base import Edit, Identity, World
from storage.repo import NewMessage, Store

CAT = table(VALID)
WITHOUT_T01 = VALID[: VALID.index("  - id: t01\n")] + VALID[VALID.index("  - id: t02\n") :]
WITHOUT_T01 = WITHOUT_T01.replace("    task: t01\n", "    task: t02\n")
ECO = Identity(2001, CAT.contact("eco-1"))
ECON = Identity(2002, CAT.contact("econ-1"))
COORD = Identity(1002, None, CAT.person("coord-1"))
CHATS = {"eco-1": 2001, "econ-1": 2002, "coord-1": 1002, "admin-1": 1001}
PRESSED = Edit(2001, 1, Rendered("x"))

actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("status"),
            st.sampled_from([ECO, ECON]),
            st.sampled_from(["t01", "t02"]),
            st.sampled_from(list(Answer)),
        ),
        st.tuples(
            st.just("text"),
            st.sampled_from([ECO, ECON]),
            st.sampled_from(["进度40%", "资金已到位", "2", "1", "说明"]),
        ),
        st.tuples(st.just("which"), st.sampled_from([ECO, ECON]), st.sampled_from(["t01", "t02"])),
        st.tuples(st.just("decide"), st.sampled_from(list(ClaimAction)), st.integers(0, 5)),
        st.tuples(st.just("reading"), st.sampled_from(["47.5", "暂无数据，下月发布", "-1", "30"])),
        st.tuples(
            st.just("prompt"),
            st.sampled_from(["eco-1", "econ-1"]),
            st.sampled_from(["reminder", "reading"]),
            st.sampled_from(["sent", "unknown"]),
            st.integers(-30, 0),
        ),
        st.tuples(st.just("clock"), st.integers(-48, 72)),
        st.tuples(st.just("reload"), st.booleans()),
    ),
    min_size=1,
    max_size=30,
)


class Bench:
    """A store, a clock and a table, driven through the application layer."""

    def __init__(self, tmp: Path) -> None:
        self.store = Store.open(":memory:", track=True)
        self.memory = Record()
        self.now = at("2025-06-02 10:00")
        self.cat: Catalogue = CAT
        self.version = 0
        self.config = tmp / "tasks.yaml"
        self.uid = 0
        self.prompts = 0

    def world(self) -> World:
        return World(self.cat, self.now, WorkCalendar(self.cat.calendar), CHATS)

    def next_uid(self) -> int:
        self.uid += 1
        return self.uid

    def sync(self) -> None:
        while self.store.deltas:
            self.store.deltas.popleft().apply(self.memory)

    def step(self, action: tuple[object, ...]) -> None:
        kind, *args = action
        getattr(self, f"do_{kind}")(*args)
        self.sync()

    def do_status(self, who: Identity, task: str, answer: Answer) -> None:
        answers.pick_status(self.store, self.world(), self.memory, who, task_id=task,
                            answer=answer, pressed=PRESSED, update_id=self.next_uid())  # fmt: skip

    def do_text(self, who: Identity, text: str) -> None:
        answers.text_message(self.store, self.world(), self.memory, who, chat_id=who.user_id,
                             message_id=self.next_uid(), text=text, reply_to=None,
                             update_id=self.uid)  # fmt: skip

    def do_which(self, who: Identity, task: str) -> None:
        answers.which_task(self.store, self.world(), who, task_id=task, pressed=PRESSED,
                           update_id=self.next_uid())  # fmt: skip

    def do_decide(self, action: ClaimAction, pick: int) -> None:
        claims_open = [c for s in self.memory.items.values() if (c := s.claim) is not None]
        if not claims_open:
            return
        claim = claims_open[pick % len(claims_open)]
        claims.handle_claim(self.store, self.world(), self.memory, COORD, action=action,
                            claim_id=claim.id, pressed=PRESSED, update_id=self.next_uid())  # fmt: skip
        if action is ClaimAction.RETURN:
            self.do_text(COORD, "请补充材料")

    def do_reading(self, value: str) -> None:
        answers.report(self.store, self.world(), ECO, ind=self.cat.indicator("pm25"),
                       value=value, update_id=self.next_uid())  # fmt: skip

    def do_prompt(self, member: str, kind: str, state: str, hours: int) -> None:
        """A prompt goes out (its time `hours` from now: the clock may have been moved)."""
        self.prompts += 1
        when = self.now + dt.timedelta(hours=hours)
        reading = kind == "reading"
        bureau = "eco" if member == "eco-1" else "econ"
        message = NewMessage(
            f"{kind}:{self.prompts}:{member}", kind, member, CHATS[member], when, "提醒",
            task_id=None if reading else "t02", indicator_id="pm25" if reading else None,
            bureau_id=bureau,
        )  # fmt: skip
        self.store.outbox_add([message], when)
        self.store.outbox_claim([message.key])
        if state == "sent":
            self.store.outbox_sent([message.key], self.prompts, when)
        else:
            self.store.outbox_unknown([message.key], "TimedOut", when)

    def do_clock(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)

    def do_reload(self, without_t01: bool) -> None:
        self.config.write_text(WITHOUT_T01 if without_t01 else VALID, "utf-8")
        out = apply(self.store, validate(self.config), self.cat, self.version, self.memory.copy(),
                    self.now, confirmed=True)  # fmt: skip
        if out.applied and out.catalogue is not None:
            self.cat, self.version = out.catalogue, out.version


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=actions)
@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_current_state_equals_the_state_rebuilt_from_history(
    tmp_path: Path, steps: list[tuple[object, ...]]
) -> None:
    bench = Bench(tmp_path)
    for action in steps:
        bench.step(action)
    stored = bench.store.record()
    rebuilt = bench.store.history().record()
    assert stored.same_as(rebuilt)
    assert bench.memory.same_as(stored)
    again = bench.store.rebuild()  # `duban rebuild` changes nothing that was right
    assert again.same_as(stored) and bench.store.record().same_as(stored)
    bench.store.close()
