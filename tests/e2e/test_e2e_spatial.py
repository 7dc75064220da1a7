"""What a listener hears through the real server: bots over the WebSocket protocol, real WebRTC
and Opus over the machine's interface, the real mixer."""

from __future__ import annotations

import asyncio
import math

import numpy as np
from audiocheck import band_db, total_db
from world import MakeWorld

from mixer import Acoustics
from mixer.acoustics import distance_gain


async def test_sides_distance_and_own_voice(world: MakeWorld) -> None:
    w = world()
    me = await w.bot(tone=1250, at=(10, 10), heading=0)  # facing +y
    await w.bot(tone=440, at=(8, 10))  # 2 m to my left
    await w.bot(tone=660, at=(12, 10))  # 2 m to my right
    await w.bot(tone=880, at=(10, 22))  # 12 m straight ahead
    await asyncio.sleep(1.5)
    me.peer.recorder.clear()
    await asyncio.sleep(3.0)
    audio = me.peer.recorder.samples(2.5)
    assert audio.shape[0] >= 2.4 * 48000

    l440, r440 = band_db(audio, 440)
    l660, r660 = band_db(audio, 660)
    l880, r880 = band_db(audio, 880)
    l_own, r_own = band_db(audio, 1250)
    print(f"\n440 Hz (left bot) L-R {l440 - r440:.1f} dB; 660 Hz (right bot) R-L {r660 - l660:.1f} dB")
    assert l440 - r440 >= 15
    assert r660 - l660 >= 15

    near, far = total_db(l440, r440), total_db(l880, r880)
    acoustics = Acoustics()
    predicted = 20 * math.log10(float(distance_gain(np.array([12.0]), acoustics)[0])
                                / float(distance_gain(np.array([2.0]), acoustics)[0]))
    print(f"12 m vs 2 m: {far - near:.1f} dB (the room's {acoustics.distance_model} model predicts {predicted:.1f} dB)")
    assert far - near <= -12
    assert abs((far - near) - predicted) <= 2

    own = total_db(l_own, r_own)
    print(f"own voice {own - near:.1f} dB relative to a bot at 2 m")
    assert own - near < -40


async def test_moving_source_crosses_sides_without_clicks(world: MakeWorld) -> None:
    w = world()
    me = await w.bot(at=(10, 10), heading=0)
    src = await w.bot(tone=440, at=(8, 10))
    await asyncio.sleep(1.5)
    me.peer.recorder.clear()
    await asyncio.sleep(1.0)  # steady on the left
    steps = 40  # a half circle of radius 2 m in front of me, 20 moves a second
    for i in range(1, steps + 1):
        a = math.pi * i / steps  # 0 = left, pi/2 = ahead, pi = right
        await src.move(10 - 2 * math.cos(a), 10 + 2 * math.sin(a), 0)
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # steady on the right
    audio = me.peer.recorder.samples().astype(np.float64)
    assert me.peer.recorder.gaps == 0
    second = 48000

    before_l, before_r = band_db(audio[int(0.2 * second):int(0.9 * second)], 440)
    after_l, after_r = band_db(audio[-int(0.7 * second):], 440)
    assert before_l - before_r >= 15, (before_l, before_r)
    assert after_r - after_l >= 15, (after_l, after_r)

    # No click: the largest sample-to-sample step while moving is no bigger than what the
    # steady tone itself (after Opus) has on its loud side.
    steady = audio[int(0.2 * second):int(0.9 * second)]
    reference = np.abs(np.diff(steady[:, 0])).max()
    moving = audio[int(0.9 * second):]
    worst = np.abs(np.diff(moving, axis=0)).max()
    print(f"\nlargest step while moving {worst:.0f} vs steady tone {reference:.0f} (LSB)")
    assert worst <= 1.25 * reference
