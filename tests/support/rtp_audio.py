"""Plain-RTP AudioBridge participants in Python: Opus (PyAV's libopus) over RTP on
loopback, a sine tone out, what comes back decoded and analysed with numpy's FFT."""

from __future__ import annotations

import asyncio
import struct
import time
from dataclasses import dataclass, field

import av
import numpy as np

RATE = 48_000
FRAME = 960  # 20 ms
PT = 111
AMPLITUDE = 0.3


def encode_tone(freq: float, seconds: int = 1) -> list[bytes]:
    """``seconds`` of a sine as 20 ms Opus packets (a whole number of cycles, so the
    packets loop without a click)."""
    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate = RATE
    enc.layout = "mono"
    enc.format = "s16"
    enc.bit_rate = 32_000
    enc.open()
    t = np.arange(RATE * seconds) / RATE
    pcm = (np.sin(2 * np.pi * freq * t) * AMPLITUDE * 32767).astype(np.int16)
    out = []
    for i in range(0, len(pcm), FRAME):
        frame = av.AudioFrame.from_ndarray(pcm[i : i + FRAME].reshape(1, -1), "s16", "mono")
        frame.sample_rate = RATE
        frame.pts = i
        out += [bytes(p) for p in enc.encode(frame)]
    out += [bytes(p) for p in enc.encode(None)]
    return out[: RATE * seconds // FRAME]


_SILENCE: list[bytes] = []


def silence() -> list[bytes]:
    if not _SILENCE:
        _SILENCE.extend(encode_tone(0.0))
    return _SILENCE


@dataclass
class Received:
    at: float  # monotonic arrival
    seq: int
    pcm: np.ndarray  # float, mono, 48 kHz


class RtpPeer(asyncio.DatagramProtocol):
    """One UDP socket: sends a looped tone to Janus, keeps what Janus sends."""

    def __init__(self, packets: list[bytes] | None, received: list | None = None):
        # a listener sends silence: Janus starts sending to a plain-RTP peer only once
        # it has heard from it
        self.packets = packets or silence()
        self.transport = None
        self.remote: tuple[str, int] | None = None
        self.received: list[Received] = [] if received is None else received
        self.ssrc = int.from_bytes(np.random.bytes(4), "big")
        self._dec = av.CodecContext.create("libopus", "r")
        self._dec.sample_rate = RATE
        self._dec.layout = "mono"
        self._task: asyncio.Task | None = None

    @classmethod
    async def open(
        cls, packets: list[bytes] | None = None, received: list | None = None
    ) -> RtpPeer:
        loop = asyncio.get_running_loop()
        _, peer = await loop.create_datagram_endpoint(
            lambda: cls(packets, received), local_addr=("127.0.0.1", 0)
        )
        return peer

    @property
    def port(self) -> int:
        return self.transport.get_extra_info("sockname")[1]

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if len(data) < 12:
            return
        b0, _, seq = struct.unpack("!BBH", data[:4])
        off = 12 + 4 * (b0 & 0x0F)
        if b0 & 0x10:  # header extension
            (words,) = struct.unpack("!H", data[off + 2 : off + 4])
            off += 4 + 4 * words
        try:
            frames = self._dec.decode(av.Packet(data[off:]))
        except av.error.FFmpegError:
            return
        pcm = [f.to_ndarray().astype(np.float32).reshape(-1) / 32768.0 for f in frames]
        if pcm:
            self.received.append(Received(time.monotonic(), seq, np.concatenate(pcm)))

    def start_sending(self, remote: tuple[str, int]) -> None:
        self.remote = remote
        if self._task is None:
            self._task = asyncio.create_task(self._send())

    async def _send(self) -> None:
        seq, ts, start, n = 0, 0, time.monotonic(), 0
        while True:
            payload = self.packets[n % len(self.packets)]
            header = struct.pack("!BBHII", 0x80, PT, seq & 0xFFFF, ts & 0xFFFFFFFF, self.ssrc)
            if self.remote:
                self.transport.sendto(header + payload, self.remote)
            seq, ts, n = seq + 1, ts + FRAME, n + 1
            delay = start + n * 0.02 - time.monotonic()
            if delay < -0.2:  # starved (a loaded machine): restart the cadence
                start, n = time.monotonic(), 0
            await asyncio.sleep(max(delay, 0))

    def close(self) -> None:
        if self._task:
            self._task.cancel()
        if self.transport:
            self.transport.close()


# ---- analysis ---------------------------------------------------------------------------

THRESHOLD = 0.03  # a tone is present above this amplitude (sent at 0.3)


def tone_levels(pcm: np.ndarray, freqs: list[float]) -> dict[float, float]:
    """The amplitude of each frequency in ``pcm`` (Hann-windowed FFT)."""
    win = np.hanning(len(pcm))
    spec = np.abs(np.fft.rfft(pcm * win)) * 2 / win.sum()
    res = RATE / len(pcm)
    return {f: float(spec[int(round(f / res))]) for f in freqs}


@dataclass
class Windows:
    """100 ms windows of what a peer received between two instants."""

    levels: list[dict[float, float]] = field(default_factory=list)

    def heard(self, freq: float) -> list[bool]:
        return [lv[freq] > THRESHOLD for lv in self.levels]

    def share(self, freq: float) -> float:
        h = self.heard(freq)
        return sum(h) / len(h) if h else 0.0


def windows(received: list[Received], since: float, until: float, freqs: list[float]) -> Windows:
    got = [r for r in received if since <= r.at < until]
    got.sort(key=lambda r: r.at)
    if not got:
        return Windows()
    pcm = np.concatenate([r.pcm for r in got])
    size = RATE // 10
    return Windows(
        [tone_levels(pcm[i : i + size], freqs) for i in range(0, len(pcm) - size + 1, size)]
    )


def switch_gap_s(received: list[Received], old: float, new: float) -> float:
    """Silence at a switch from ``old`` to ``new``, in audio time: the RTP sequence
    numbers Janus stamped between the last packet holding ``old`` and the first of
    ``new`` (held for 100 ms). Sequence numbers, not arrival times, so a stall of
    the test process itself is not counted as the channel going silent."""
    got = sorted(received, key=lambda r: r.at)
    marks = []
    for r in got:
        lv = tone_levels(np.concatenate([r.pcm, r.pcm]), [old, new])
        marks.append((r.seq, lv[old] > THRESHOLD, lv[new] > THRESHOLD))
    start = next((i for i in range(len(marks) - 4) if all(m[2] for m in marks[i : i + 5])), None)
    if start is None:
        return float("inf")
    last_old = next((m[0] for m in reversed(marks[: start + 1]) if m[1]), None)
    if last_old is None:
        return float("inf")
    return max(0, ((marks[start][0] - last_old) & 0xFFFF) - 1) * 0.02
