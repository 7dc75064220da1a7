"""Media plane settings: ICE servers and gathering, Opus output and buffering, all with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import RTCConfiguration

from rtc.icegathering import GatherPolicy
from rtc.iceservers import IceServer

from .mixencoder import APPLICATIONS


@dataclass(frozen=True)
class MediaConfig:
    """Everything tunable in the media plane; validated on construction (ValueError)."""

    ice_servers: tuple[IceServer, ...] = ()  # none by default; NEVER an implicit public STUN server
    gathering: GatherPolicy = GatherPolicy()  # host candidates: addresses, UDP port range, public IP
    bitrate: int = 64000  # outbound Opus bitrate, bit/s (stereo, constrained VBR)
    fec: bool = True  # Opus in-band FEC in our encoder (only used by SILK/hybrid modes)
    expected_loss_percent: int = 5  # tells libopus how much redundancy FEC should carry
    opus_complexity: int = 5  # libopus 0..10: 10 = 190 us, 5 = 152 us, 2 = 96 us, 0 = 71 us per stereo frame
    opus_application: str = "audio"  # "audio" keeps the stereo image (CELT); "voip" narrows it (hybrid)
    max_delay_frames: int = 6  # per-source backlog bound (x 20 ms); beyond it the buffer sheds in one step
    max_added_delay_frames: int = 3  # frames of delay a source's buffer may add after late packets
    outbound_queue_frames: int = 3  # per-listener packets waiting for aiortc's sender
    silent_peer_timeout: float = 10.0  # seconds without inbound audio before SILENT_PEER
    connect_timeout: float = 20.0  # seconds from the offer to "connected" before ICE_FAILED
    max_late_ticks: int = 10  # clock further behind than this: skip to now (else catch up at 2x)
    mix_workers: int = 2  # threads that run mix + Opus encode (the mixer's numba kernels and libopus drop the GIL)
    max_sources: int | None = None  # passed to mixer.Mixer (loudest-N when overloaded)
    loop_lag_interval: float = 0.05  # event-loop lag probe period, seconds
    direct_send: bool = True  # the room writes RTP to the sockets itself (False: aiortc's sender task per packet)
    direct_receive: bool = True  # host sockets hand Opus straight to the buffer (False: aiortc's receive path)

    def __post_init__(self) -> None:
        if not 6000 <= self.bitrate <= 510000:
            raise ValueError(f"bitrate must be 6000..510000 bit/s, got {self.bitrate}")
        if not 0 <= self.opus_complexity <= 10:
            raise ValueError("opus_complexity must be 0..10")
        if self.opus_application not in APPLICATIONS:
            raise ValueError(f"opus_application must be one of {APPLICATIONS}")
        if not 0 <= self.expected_loss_percent <= 100:
            raise ValueError("expected_loss_percent must be 0..100")
        if not 0 <= self.max_added_delay_frames < self.max_delay_frames <= 50:
            raise ValueError("need 0 <= max_added_delay_frames < max_delay_frames <= 50")
        if not 1 <= self.outbound_queue_frames <= 50:
            raise ValueError("outbound_queue_frames must be 1..50")
        if not self.silent_peer_timeout > 0:
            raise ValueError("silent_peer_timeout must be > 0")
        if not self.connect_timeout > 0:
            raise ValueError("connect_timeout must be > 0")
        if self.max_late_ticks < 1:
            raise ValueError("max_late_ticks must be >= 1")
        if not 1 <= self.mix_workers <= 64:
            raise ValueError("mix_workers must be 1..64")
        if not 0.001 <= self.loop_lag_interval <= 10:
            raise ValueError("loop_lag_interval must be 0.001..10 s")

    def rtc_configuration(self) -> RTCConfiguration:
        """aiortc configuration with exactly the configured ICE servers (an empty list, not None)."""
        return RTCConfiguration(iceServers=[s.to_rtc() for s in self.ice_servers])
