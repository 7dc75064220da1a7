"""Run inside a network namespace of the NAT test: a media plane on 127.0.0.1 that advertises
127.0.0.2 (``--public-ip``), and a bot that must reach it there; prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys

from audiocheck import band_db

from bots import BotPeer, ToneSource
from rtc.icegathering import GatherPolicy
from rtc.portpool import PortRange
from sfu import MediaConfig, MediaPlane

PRIVATE, PUBLIC = "127.0.0.1", "127.0.0.2"
PORTS = PortRange(20100, 20109)


async def main() -> dict[str, object]:
    plane = MediaPlane(MediaConfig(gathering=GatherPolicy(addresses=(PRIVATE,), ports=PORTS, public_ip=PUBLIC)))
    listener = BotPeer(None, ice_addresses=(PRIVATE,), keep_samples=True)
    talker = BotPeer(ToneSource(440), ice_addresses=(PRIVATE,))
    try:
        answers = []
        for pid, bot, x in (("listener", listener, 10.0), ("talker", talker, 8.0)):
            answer = await plane.open_session("room", pid, await bot.create_offer(), x=x, y=10.0, heading=0.0)
            answers.append(answer)
            await bot.accept_answer(answer)
            await bot.wait_until_connected(10)
        await asyncio.sleep(3)
        connection = listener.transceiver.receiver.transport.transport._connection
        nominated = connection._nominated[1]
        return {
            "answer_candidates": [line for a in answers for line in a.splitlines() if line.startswith("a=candidate:")],
            "nominated_remote": [nominated.remote_candidate.host, nominated.remote_candidate.port,
                                 nominated.remote_candidate.type],
            "listener": listener.summary(),
            "tone_db": band_db(listener.recorder.samples(last_s=2.0), 440.0),  # (left, right)
        }
    finally:
        await listener.close()
        await talker.close()
        await plane.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
    sys.stdout.flush()
