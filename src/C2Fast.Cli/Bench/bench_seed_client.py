#!/usr/bin/env python3
"""The vendor's example keep-alive loop (Collective2 "Connecting" page, Python Keep-alive Loop), as shipped
with `c2fast bench` to measure it against the other clients.

Adapted only as needed to count messages and stop (the loop itself is the page's: one `json.loads` per message,
`heartbeat.ack` with the current UTC time for each heartbeat):
- websockets 10.4 (Debian python3-websockets) names the header keyword `extra_headers` (the page's
  `additional_headers` exists only in websockets >= 13); `--ca` trusts the simulator's CA for wss://;
- "Handle other messages" reads seq_id and counts instead of printing each message;
- prints `READY` after connection.connected, and after `--messages N` messages one line
  `RESULT {json}` (counts, the steady-state window from message N/10 to the last, peak RSS), then closes.

Run with Debian's python3 (/usr/bin/python3).
"""
import argparse
import asyncio
import json
import resource
import ssl
import sys
import time
from datetime import datetime, timezone

import websockets


async def run(args):
    headers = {"Authorization": f"Bearer {args.key}"}
    ssl_context = None
    if args.url.startswith("wss://"):
        ssl_context = ssl.create_default_context(cafile=args.ca) if args.ca else ssl.create_default_context()
    count = 0
    heartbeats = 0
    checksum = 0
    window_at = max(1, args.messages // 10)
    window_start = None
    async with websockets.connect(args.url, extra_headers=headers, ssl=ssl_context, compression=None) as ws:
        # Wait for connection.connected
        msg = json.loads(await ws.recv())
        if msg["msg_type"] != "connection.connected":
            raise RuntimeError("expected connection.connected, got " + msg["msg_type"])
        print("READY", flush=True)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_start = usage.ru_utime + usage.ru_stime

        async for raw in ws:
            msg = json.loads(raw)
            if msg["msg_type"] == "heartbeat":
                heartbeats += 1
                ack = {
                    "msg_type": "heartbeat.ack",
                    "timestamp": datetime.now(timezone.utc).isoformat()
                }
                await ws.send(json.dumps(ack))
            else:
                # Handle other messages
                checksum += msg.get("seq_id") or 0
            count += 1
            if count == window_at:
                window_start = time.monotonic()
            if count >= args.messages:
                break
        window_end = time.monotonic()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result = {
            "client": "python",
            "status": "ok" if count >= args.messages else f"connection ended after {count} of {args.messages} messages",
            "messages": count,
            "heartbeats": heartbeats,
            "bytes": 0,
            "windowSeconds": (window_end - window_start) if window_start is not None else 0,
            "windowMessages": (count - window_at) if window_start is not None else 0,
            "windowBytes": 0,
            "peakWorkingSetBytes": usage.ru_maxrss * 1024,
            "cpuSeconds": usage.ru_utime + usage.ru_stime - cpu_start,
        }
        print("RESULT " + json.dumps(result), flush=True)
    return 0 if count >= args.messages else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", help="PEM file of a CA to trust (wss:// against the simulator)")
    parser.add_argument("--messages", type=int, required=True, help="stop after this many messages")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    args = parser.parse_args()
    try:
        return asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except asyncio.TimeoutError:
        print("python bench client: timed out", file=sys.stderr, flush=True)
        return 4


if __name__ == "__main__":
    sys.exit(main())
