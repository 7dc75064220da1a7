"""REST handlers under {prefix}/api, one module per area."""
