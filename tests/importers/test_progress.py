"""The import's progress line: redrawn in place on a terminal, an occasional plain line in a log."""

from __future__ import annotations

import io

from newsdesk.importers.progress import LOG_EVERY, TERMINAL_EVERY, Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_terminal_line_is_redrawn_in_place_and_ends_with_a_line_break() -> None:
    clock, out = FakeClock(), io.StringIO()
    progress = Progress(total=200, what="articles", stream=out, terminal=True, clock=clock)
    clock.now += 10
    progress.update(50)
    progress.update(51)  # within TERMINAL_EVERY of the last drawing: not drawn
    clock.now += TERMINAL_EVERY
    progress.update(100)
    progress.finish()
    drawings = out.getvalue().split("\r")[1:]
    assert len(drawings) == 3
    assert (
        drawings[0]
        == "[######..................]  25% 50/200 articles, 5.0/s, about 30s left\x1b[K"
    )
    assert "100/200 articles" in drawings[1]
    assert out.getvalue().endswith("\x1b[K\n")
    assert out.getvalue().count("\n") == 1


def test_log_gets_a_plain_line_now_and_then() -> None:
    clock, out = FakeClock(), io.StringIO()
    progress = Progress(total=800, what="articles", stream=out, terminal=False, clock=clock)
    for done in range(1, 801):
        clock.now += 0.125  # 8 articles a second, 100 s in all
        progress.update(done)
    progress.finish()
    lines = out.getvalue().splitlines()
    # A line at 0.125 s, then one each LOG_EVERY (10 s) up to 90.125 s, then the last state.
    assert LOG_EVERY == 10
    assert len(lines) == 11
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()
    assert lines[-1] == "[########################] 100% 800/800 articles, 8.0/s"


def test_long_runs_show_minutes_and_hours_left() -> None:
    clock, out = FakeClock(), io.StringIO()
    progress = Progress(total=1_000_000, what="articles", stream=out, terminal=False, clock=clock)
    clock.now += 100
    progress.update(100)
    assert "about 277h45m left" in out.getvalue()
    short = Progress(total=200, what="articles", stream=io.StringIO(), terminal=False, clock=clock)
    clock.now += 100
    short.update(100)
    assert short.line().endswith("100/200 articles, 1.0/s, about 1m40s left")


def test_an_empty_import_prints_nothing() -> None:
    out = io.StringIO()
    progress = Progress(total=0, what="articles", stream=out, terminal=True, clock=FakeClock())
    progress.finish()
    assert out.getvalue() == ""


def test_no_rate_is_shown_before_a_second_has_passed() -> None:
    clock, out = FakeClock(), io.StringIO()
    progress = Progress(total=200, what="articles", stream=out, terminal=False, clock=clock)
    clock.now += 0.03
    progress.update(1)
    assert out.getvalue() == "[........................]   0% 1/200 articles\n"
    clock.now += LOG_EVERY - 0.03
    progress.done = 100
    assert progress.line().endswith("100/200 articles, 10.0/s, about 10s left")
