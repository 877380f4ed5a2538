"""The per-channel gate: Slack counts arrivals, so a slow first send must not let the second arrive early."""

import asyncio
import time

from radar_notifier.channels import ChannelGate


async def test_the_next_send_starts_an_interval_after_a_slow_send_ended() -> None:
    gate = ChannelGate(1, 0.2)
    ends: list[float] = []
    starts: list[float] = []

    async def send(duration: float) -> None:
        async with gate:
            starts.append(time.monotonic())
            await asyncio.sleep(duration)
            ends.append(time.monotonic())

    await asyncio.gather(send(0.3), send(0.0), send(0.0))
    assert starts[1] - ends[0] >= 0.19, "the second send started before an interval had passed since the first ended"
    assert starts[2] - ends[1] >= 0.19


async def test_channels_without_an_interval_run_concurrently_up_to_their_slots() -> None:
    gate = ChannelGate(3, 0.0)
    running = 0
    peak = 0

    async def send() -> None:
        nonlocal running, peak
        async with gate:
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.05)
            running -= 1

    await asyncio.gather(*(send() for _ in range(6)))
    assert peak == 3
