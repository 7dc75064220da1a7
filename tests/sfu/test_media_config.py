"""MediaConfig refuses settings the media plane cannot run with, before any session starts."""

import pytest

from sfu.mediaconfig import MediaConfig


@pytest.mark.parametrize("field, value", [
    ("bitrate", 5999), ("bitrate", 510001), ("opus_complexity", 11), ("opus_application", "music"),
    ("expected_loss_percent", 101), ("max_delay_frames", 0), ("max_added_delay_frames", 6), ("max_added_delay_frames", -1), ("outbound_queue_frames", 0),
    ("silent_peer_timeout", 0.0), ("connect_timeout", -1.0), ("max_late_ticks", 0), ("mix_workers", 0),
    ("loop_lag_interval", 0.0),
])
def test_out_of_range_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field.split("_")[0]):
        MediaConfig(**{field: value})  # type: ignore[arg-type]

