#!/usr/bin/env python3
"""The vendor's example keep-alive loop (Collective2 "Connecting" page, Python Keep-alive Loop),
made runnable against any endpoint for C2Fast's simulator interop tests.

Differences from the page, all needed to run it here:
- websockets 10.4 (Debian) names the header keyword `extra_headers` (the page's `additional_headers`
  exists only in websockets >= 13);
- `--url`/`--key` instead of constants, `--ca` to trust a test CA for wss://;
- `--no-ack` skips the heartbeat.ack (to see the server close the connection);
- `--heartbeats N` stops cleanly (close 1000) after N heartbeats;
- every event is also printed as one `EVENT {json}` line for tests to parse;
- a rejected upgrade is reported with its status, X-WS-Error header and body (websockets does not read
  the body of a non-101 response, so the same request is repeated with http.client to show it).

Run with /usr/bin/python3 (Debian's python3-websockets).
"""
import argparse
import asyncio
import base64
import http.client
import json
import os
import ssl
import sys
import time
from datetime import datetime, timezone
from urllib.parse import urlparse

import websockets


def event(kind, **fields):
    fields["event"] = kind
    fields["t"] = time.monotonic()
    print("EVENT " + json.dumps(fields), flush=True)


def rejected_body(url, key, ssl_context):
    """Repeats the upgrade request with http.client to read the rejection's headers and body."""
    u = urlparse(url)
    port = u.port or (443 if u.scheme == "wss" else 80)
    if u.scheme == "wss":
        conn = http.client.HTTPSConnection(u.hostname, port, context=ssl_context, timeout=5)
    else:
        conn = http.client.HTTPConnection(u.hostname, port, timeout=5)
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
    }
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn.request("GET", u.path or "/", headers=headers)
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    result = (response.status, response.getheader("X-WS-Error"), body)
    conn.close()
    return result


async def run(args):
    headers = {"Authorization": f"Bearer {args.key}"}
    ssl_context = None
    if args.url.startswith("wss://"):
        ssl_context = ssl.create_default_context(cafile=args.ca) if args.ca else ssl.create_default_context()
    heartbeats = 0
    started = time.monotonic()
    try:
        async with websockets.connect(args.url, extra_headers=headers, ssl=ssl_context, compression=None) as ws:
            # Wait for connection.connected
            msg = json.loads(await ws.recv())
            print(f"Connected: {msg['msg_type']}", flush=True)
            event("first", message=msg)

            try:
                async for raw in ws:
                    msg = json.loads(raw)
                    if msg["msg_type"] == "heartbeat":
                        heartbeats += 1
                        event("heartbeat", n=heartbeats, elapsed=time.monotonic() - started)
                        if not args.no_ack:
                            ack = {
                                "msg_type": "heartbeat.ack",
                                "timestamp": datetime.now(timezone.utc).isoformat()
                            }
                            await ws.send(json.dumps(ack))
                        if args.heartbeats and heartbeats >= args.heartbeats:
                            await ws.close()
                            break
                    else:
                        # Handle other messages
                        print(msg, flush=True)
                        event("message", message=msg)
            except websockets.exceptions.ConnectionClosed:
                pass
        event("closed", code=ws.close_code, reason=ws.close_reason, heartbeats=heartbeats,
              elapsed=time.monotonic() - started)
        return 0
    except websockets.exceptions.InvalidStatusCode as e:
        status, ws_error, body = rejected_body(args.url, args.key, ssl_context)
        event("rejected", status=e.status_code, x_ws_error=ws_error, body=body, recheck_status=status)
        return 3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="wss://api4-general.collective2.com/ws")
    parser.add_argument("--key", default="YOUR_API_KEY")
    parser.add_argument("--ca", help="PEM file of a CA to trust (wss:// against a test server)")
    parser.add_argument("--no-ack", action="store_true", help="never answer heartbeats")
    parser.add_argument("--heartbeats", type=int, default=0, help="close after this many heartbeats (0 = never)")
    parser.add_argument("--timeout", type=float, default=30, help="give up after this many seconds")
    args = parser.parse_args()
    try:
        return asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except asyncio.TimeoutError:
        event("timeout")
        return 4


if __name__ == "__main__":
    sys.exit(main())
