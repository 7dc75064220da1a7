"""Headless Chromium as a participant: it negotiates with the plane, sends, and decodes our STEREO mix."""

from __future__ import annotations

import asyncio
import math

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, require_loopback_only
from playwright.async_api import async_playwright

pytestmark = pytest.mark.slow  # a real browser, like tests/browser

# The page's "microphone" is a 1 kHz oscillator; the remote mix goes through a (muted) <audio>
# element (Chromium needs one) into a channel splitter with one analyser per channel.
OFFER_JS = """async () => {
  const ctx = new AudioContext({sampleRate: 48000});
  const osc = ctx.createOscillator(); osc.frequency.value = 1000;
  const mic = ctx.createMediaStreamDestination(); osc.connect(mic); osc.start();
  const pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc; window.ctx = ctx;
  pc.addTrack(mic.stream.getAudioTracks()[0], mic.stream);
  pc.ontrack = (ev) => {
    const el = document.createElement('audio'); el.muted = true;
    el.srcObject = new MediaStream([ev.track]); el.play(); document.body.appendChild(el);
    const split = ctx.createChannelSplitter(2);
    ctx.createMediaStreamSource(el.srcObject).connect(split);
    window.analysers = [ctx.createAnalyser(), ctx.createAnalyser()];
    split.connect(window.analysers[0], 0); split.connect(window.analysers[1], 1);
  };
  const offer = await pc.createOffer();
  if (!/a=fmtp:111 [^\\r\\n]*stereo=1/.test(offer.sdp))
    offer.sdp = offer.sdp.replace(/(a=fmtp:111 [^\\r\\n]*)/, '$1;stereo=1');  // else Chromium decodes mono
  await pc.setLocalDescription(offer);
  await new Promise(r => { if (pc.iceGatheringState === 'complete') r();
    else pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; });
  return pc.localDescription.sdp;
}"""
LEVELS_JS = """() => window.analysers.map(a => { const b = new Float32Array(a.fftSize);
  a.getFloatTimeDomainData(b); let s = 0; for (const v of b) s += v * v; return Math.sqrt(s / b.length); })"""


async def test_chromium_hears_a_left_source_on_the_left(harness_factory) -> None:
    require_loopback_only()
    h = harness_factory()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            offer = await page.evaluate(OFFER_JS)
            answer = await h.plane.open_session("r", "browser", offer, x=10, y=10, heading=0)
            await page.evaluate(
                "async (sdp) => { await pc.setRemoteDescription({type: 'answer', sdp}); await ctx.resume(); }", answer
            )
            await h.join("r", "bot", tone=440, at=(8, 10, 0))  # 2 m to the browser's left
            for _ in range(100):
                if await page.evaluate("() => pc.connectionState") == "connected":
                    break
                await asyncio.sleep(0.1)
            assert await page.evaluate("() => pc.connectionState") == "connected"
            await asyncio.sleep(2.5)
            levels = [await page.evaluate(LEVELS_JS) for _ in range(5)]
            stats = h.plane.stats()["rooms_detail"]["r"]["sessions"]["browser"]
        finally:
            await browser.close()
    left = sum(lv[0] for lv in levels) / len(levels)
    right = sum(lv[1] for lv in levels) / len(levels)
    assert left > 0.01, levels  # the mix arrives and is audible
    assert 20 * math.log10(left / max(right, 1e-9)) >= 15, levels  # decoded as stereo, source on the left
    assert stats["frames_in"] > 50 and stats["frames_in_per_s"] > 40  # the browser's microphone reaches the plane
