"""The state as it stood at an earlier instant, worked back from the current state by SQLite
(`Store.record_as_of`, what the weekly digest compares with), is the history folded up to
that instant (`History.as_of(when).record()`), whatever happened since: answers, claims and
decisions, readings, prompts delivered or of unknown fate, clocks moved back, reloads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from record.test_state_property import Bench, actions


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=actions, hours=st.lists(st.integers(-120, 48), min_size=1, max_size=4), pick=st.data())
@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_the_state_as_of_an_instant_is_the_history_folded_up_to_it(
    tmp_path: Path, steps: list[tuple[object, ...]], hours: list[int], pick: st.DataObject
) -> None:
    bench = Bench(tmp_path)
    for action in steps:
        bench.step(action)
    history = bench.store.history()
    instants = [bench.now + dt.timedelta(hours=h) for h in hours]
    recorded = [u.at for u in history.updates] + [s.at for s in history.sent.values()]
    if recorded:  # the very instant of something recorded: it counts as before
        instants.append(pick.draw(st.sampled_from(recorded)))
    for when in instants:
        assert bench.store.record_as_of(when).same_as(history.as_of(when).record()), when
    bench.store.close()
