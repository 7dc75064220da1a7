"""Quality under load (pure): long or late ticks step quality down one level at a time, calm
brings it back within about two seconds, and stepping back too soon is damped."""

from __future__ import annotations

from sfu.overload import LEVELS, OverloadControl

CALM, HEAVY, LATE = (0.002, 0.0), (0.016, 0.0), (0.004, 0.030)


def run(control: OverloadControl, tick: tuple[float, float], ticks: int) -> list[int]:
    return [control.update(*tick) and control.level or control.level for _ in range(ticks)]


def test_calm_rooms_keep_full_quality() -> None:
    control = OverloadControl()
    assert set(run(control, CALM, 1000)) == {0} and control.quality == LEVELS[0]


def test_long_ticks_step_down_one_level_at_a_time_to_the_floor() -> None:
    control = OverloadControl()
    levels = run(control, HEAVY, 100)
    assert levels[0] == 0 and levels[-1] == len(LEVELS) - 1
    steps = [b - a for a, b in zip(levels, levels[1:]) if b != a]
    assert steps == [1] * (len(LEVELS) - 1)  # never a jump
    first_change = levels.index(1)
    assert first_change <= 2  # two long ticks are enough to react
    gaps = [i for i in range(1, len(levels)) if levels[i] != levels[i - 1]]
    assert all(b - a >= 5 for a, b in zip(gaps, gaps[1:]))  # each step gets time to show its effect
    assert control.quality.complexity == 0 and control.quality.max_sources == LEVELS[-1].max_sources


def test_late_ticks_count_as_overload_too() -> None:
    control = OverloadControl()
    run(control, LATE, 10)
    assert control.level >= 1


def test_full_quality_is_back_within_two_seconds_of_calm() -> None:
    control = OverloadControl()
    run(control, HEAVY, 100)
    levels = run(control, CALM, 100)  # 100 ticks = 2 s
    assert levels[-1] == 0, levels


def test_a_bounce_at_one_level_does_not_slow_the_way_back_from_the_others() -> None:
    """A load that sits right at level 5's edge bounces 5 -> 4 -> 5; once it goes, only leaving
    level 5 waits longer, and full quality is still back within two seconds."""
    control = OverloadControl()
    run(control, HEAVY, 100)
    for _ in range(3):  # at the edge: every step down from 5 is overloaded again at once
        while control.level == len(LEVELS) - 1:
            control.update(*CALM)
        run(control, HEAVY, 6)
    levels = run(control, CALM, 100)
    assert levels[-1] == 0 and levels.index(0) < 100, levels


def test_stepping_back_too_soon_is_damped() -> None:
    """A load that returns right after each step back makes the next step back wait longer."""
    control = OverloadControl()
    run(control, HEAVY, 3)  # level 1
    waits = []
    for _ in range(4):
        calm = 0
        while control.level and calm < 1000:
            control.update(*CALM)
            calm += 1
        waits.append(calm)
        run(control, HEAVY, 8)  # the load is back right after the step back
    assert waits == sorted(waits) and waits[-1] > waits[0], waits
