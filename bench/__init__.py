"""Benchmarks and load tools, kept out of the shipped server packages: `hubbub bench <name>`.

`bench.mixer` (the spatial mixer per tick), `bench.media` (the media plane with real bot peers),
`bench.fanout` (position fan-out to many WebSocket clients of a real server) and `bench.capacity`
(participants per server process: light pre-encoded Opus clients against a real server). Plotting and
BLAS pinning need the optional `[bench]` extra (matplotlib, threadpoolctl).
"""
