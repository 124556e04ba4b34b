"""Glass to glass through hls.js in Chromium: the frame on screen against the frame sent now.

Run: `.venv/bin/python -m bench.ll_hls_browser --seconds 30`

One camera (a 320x240 clip with frame numbers drawn) is published over WHIP from this
process, noting when each frame is handed to the sender (bench/ll_hls.py). Debian's
Chromium plays the live playlist with hls.js, one player after the other on the same
publication: `lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5` (the watch page's: parts,
blocking reloads, catching up to PART-HOLD-BACK), then `lowLatencyMode: false` (segments
only, its default three-target hold-back); one at a time, since two decoding players on a
busy 2-core machine slow each other. Twice a second the picture is drawn to a canvas and
its frame number read back; its delay is the moment it was read minus the moment its frame
was sent. Prints p50/p95 and the ratio.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
from playwright.async_api import async_playwright

from bench.ll_hls import numbered_camera, report, run
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.support.clips import read_frame_number

START_PLAYER = """async ([url, lowLatencyMode]) => {
  const { default: Hls } = await import("/vendor/hls.js/hls.min.mjs");
  const video = document.createElement("video");
  video.muted = true;
  document.body.replaceChildren(video);
  const hls = new Hls({ lowLatencyMode, maxLiveSyncPlaybackRate: lowLatencyMode ? 1.5 : 1 });
  hls.loadSource(url);
  hls.attachMedia(video);
  video.play().catch(() => {});
}"""
READ_TOP_ROWS = """() => [...document.querySelectorAll("video")].map((video) => {
  if (!video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = 40;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const rgba = context.getImageData(0, 0, canvas.width, 40).data;
  const gray = [];
  for (let i = 0; i < rgba.length; i += 4) gray.push(rgba[i + 1]);
  return [canvas.width, gray];
})"""


async def main(seconds: float, fragment_s: float) -> None:
    delays: tuple[list[float], list[float]] = ([], [])
    async with numbered_camera(2 * seconds + 60, fragment_s) as camera:
        await asyncio.sleep(3)  # a first segment
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
            )
            for late, low_latency in zip(delays, (True, False), strict=True):
                page = await browser.new_page(base_url=camera.server_url)
                await page.goto("/watch")
                await page.evaluate(START_PLAYER, [camera.live_path + "playlist.m3u8", low_latency])
                await asyncio.sleep(15)  # the player settles at its hold-back
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    pictures = await page.evaluate(READ_TOP_ROWS)
                    now = time.time()
                    if pictures and pictures[0] is not None:
                        width, gray = pictures[0]
                        rows = np.array(gray, dtype=np.uint8).reshape(40, width)
                        number = read_frame_number(rows)
                        if number in camera.sent:
                            late.append(now - camera.sent[number])
                    await asyncio.sleep(0.5)
                await page.close()
            await browser.close()
    report("hls.js lowLatencyMode (parts)", delays[0], "hls.js segments only", delays[1])


if __name__ == "__main__":
    run(main, __doc__, 30.0)
