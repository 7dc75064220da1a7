"""Frame counting from RTP headers: DTX gaps are delivered timeline, sequence gaps are loss, duplicates
count once, wrap-around and reordering change nothing."""

from __future__ import annotations

import pytest

from bench.framecount import Arrival, count_frames

F = 960  # RTP timestamp units per 20 ms frame


def steady(count: int, seq0: int = 100, ts0: int = 5000, t0: float = 0.0) -> list[Arrival]:
    """A packet every 20 ms."""
    return [((seq0 + i) & 0xFFFF, (ts0 + i * F) & 0xFFFFFFFF, t0 + 0.02 * i) for i in range(count)]


def test_a_steady_stream_is_fifty_frames_per_second() -> None:
    count = count_frames(steady(100), 0.0, 2.0)
    assert (count.packets, count.lost, count.duplicates, count.dtx_frames) == (100, 0, 0, 0)
    assert count.frames_per_second == pytest.approx(50.0)


def test_dtx_gaps_count_as_delivered() -> None:
    # a refresh packet every 21st frame: contiguous sequence numbers, the timestamp jumps 21 frames
    arrivals = [(7 + i, 1000 + 21 * F * i, 0.42 * i) for i in range(11)]
    count = count_frames(arrivals, 0.0, 4.2)
    assert count.packets == 10 and count.lost == 0  # the 11th arrives at 4.2, outside [0, 4.2)
    assert count.dtx_frames == 10 * 20
    assert count.frames_per_second == pytest.approx(50.0)


def test_talk_spurt_after_dtx_is_counted_whole() -> None:
    talk = steady(50, seq0=10, ts0=0, t0=0.0)
    silence_then_talk = [(60, 49 * F + 21 * F, 0.98 + 0.42)] + steady(29, seq0=61, ts0=49 * F + 22 * F, t0=1.42)
    count = count_frames(talk + silence_then_talk, 0.0, 2.0)
    assert count.lost == 0 and count.dtx_frames == 20
    assert count.frames_per_second == pytest.approx(50.0)


def test_missing_sequence_numbers_are_lost_not_delivered() -> None:
    arrivals = [a for a in steady(100) if not 40 <= a[0] - 100 < 45]
    count = count_frames(arrivals, 0.0, 2.0)
    assert count.lost == 5 and count.dtx_frames == 0
    assert count.frames == 95
    assert count.frames_per_second == pytest.approx(47.5)


def test_duplicates_count_once() -> None:
    arrivals = steady(50)
    arrivals += [(a[0], a[1], a[2] + 0.001) for a in arrivals[10:20]]
    count = count_frames(sorted(arrivals, key=lambda a: a[2]), 0.0, 1.0)
    assert count.duplicates == 10 and count.frames == 50 and count.lost == 0


def test_reordered_packets_count_where_they_belong() -> None:
    arrivals = steady(50)
    arrivals[20], arrivals[21] = arrivals[21], arrivals[20]
    count = count_frames(arrivals, 0.0, 1.0)
    assert (count.frames, count.lost, count.duplicates, count.dtx_frames) == (50, 0, 0, 0)


def test_sequence_and_timestamp_wrap_around() -> None:
    count = count_frames(steady(100, seq0=0xFFFF - 30, ts0=0xFFFFFFFF - 10 * F), 0.0, 2.0)
    assert (count.frames, count.lost, count.dtx_frames) == (100, 0, 0)
    dtx = [((0xFFFF - 1 + i) & 0xFFFF, (0xFFFFFFFF - F + 21 * F * i) & 0xFFFFFFFF, 0.42 * i) for i in range(6)]
    assert count_frames(dtx, 0.0, 2.1).dtx_frames == 5 * 20


def test_only_the_window_counts() -> None:
    count = count_frames(steady(200), 1.0, 3.0)  # packets at 0 .. 3.98 s
    assert count.packets == 100 and count.frames_per_second == pytest.approx(50.0)
    # the DTX frames of a gap are spread over it: a window ending mid-gap gets its share
    half = count_frames([(1, 0, 0.0), (2, 21 * F, 0.42)], 0.0, 0.21)
    assert half.packets == 1 and half.dtx_frames == 10
