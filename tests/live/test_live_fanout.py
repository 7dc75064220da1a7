"""The fan-out measurement runs end to end against a real `hubbub serve` process (small and
quick here; the 200-client figures are in docs/bench/fanout.json, not asserted in a timed test)."""

from __future__ import annotations

import math

from bench.fanout import measure


async def test_fanout_quick_variant_completes_and_reports() -> None:
    result = await measure(clients=8, rate=20.0, duration=1.0, warmup=0.5)
    assert result.clients == 8 and result.client_processes == 2
    assert result.disconnected_clients == 0 and result.errors_received == 0
    assert result.moves_sent > 100
    assert result.delay_samples > 100 and not math.isnan(result.delay_p99_ms)
    assert 0 < result.delay_p50_ms <= result.delay_p99_ms <= result.delay_max_ms
    # batching: at most 20 positions messages per second per member, each carrying several moves
    assert 5 < result.positions_messages_per_client_per_s <= 21
    assert result.mean_entries_per_batch > 1
    assert result.server_cpu_percent_of_one_core > 0
