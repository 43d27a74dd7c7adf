#!/usr/bin/python3
"""Independent WebSocket test peer for C2Fast, built on Debian python3-websockets 10.4 (legacy API).

Run with /usr/bin/python3 (another python3 earlier on PATH may not see Debian's packages):

    /usr/bin/python3 ws_server.py --port 0 [--host 127.0.0.1] [--tls CERT_PEM KEY_PEM]
                                  [--api-key KEY] [--max-size BYTES] [--exit-on-stdin-eof]

When ready it prints exactly one line "LISTENING <port>" on stdout. Scenarios are selected by
the URL path; see README.md next to this file for the list. Every connection that got past the
handshake prints "CLIENT_CLOSE[#tag] <code> <reason>" on stdout when it ends (the close frame
the server received from the client; 1005 = close frame without a code, 1006 = no close frame).
Diagnostics go to stderr.
"""

import argparse
import asyncio
import json
import os
import ssl
import struct
import sys
import threading
import urllib.parse
from http import HTTPStatus

try:
    import websockets
    from websockets.frames import Close, OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT
    from websockets.legacy.server import WebSocketServerProtocol
except ImportError as error:  # pragma: no cover - reported to the test as a clear failure
    print(
        f"ws_server.py: python3-websockets is missing ({error}); "
        "install it with: apt-get install -y --no-install-recommends python3-websockets",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(3)

CLOSE_WAIT_SECONDS = 10.0
PONG_WAIT_SECONDS = 5.0


def exit_on_stdin_eof():
    try:
        while sys.stdin.buffer.read(65536):
            pass
    finally:
        os._exit(0)


def log(message):
    print(f"ws_server.py: {message}", file=sys.stderr, flush=True)


def out(line):
    print(line, flush=True)


def binary_pattern(size):
    """Byte i is i % 251."""
    block = bytes(range(251))
    return (block * (size // 251 + 1))[:size]


def text_pattern(size):
    """Character i is chr(32 + i % 95): printable ASCII, so size bytes == size characters."""
    block = "".join(chr(32 + i) for i in range(95))
    return (block * (size // 95 + 1))[:size]


def pattern(kind, size):
    return text_pattern(size) if kind == "text" else binary_pattern(size)


def split_sizes(total, parts):
    """Split total bytes into `parts` nearly equal sizes (earlier parts one byte larger)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class RecordingProtocol(WebSocketServerProtocol):
    """Records the payload of every pong frame the client sends, in arrival order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received_pongs = []
        self.pong_event = asyncio.Event()

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode == OP_PONG:
            self.received_pongs.append(bytes(frame.data))
            self.pong_event.set()
        return frame


def query_of(path):
    parsed = urllib.parse.urlsplit(path)
    return parsed.path, {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}


async def drain_until_closed(ws):
    """Discard incoming messages until the connection closes (the library answers the close)."""
    try:
        async for _ in ws:
            pass
    except websockets.ConnectionClosed:
        pass


async def wait_for_pongs(ws, count, timeout):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(ws.received_pongs) < count:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        ws.pong_event.clear()
        try:
            await asyncio.wait_for(ws.pong_event.wait(), remaining)
        except asyncio.TimeoutError:
            return False
    return True


async def scenario_echo(ws, query):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def scenario_send(ws, query):
    kind = query.get("type", "binary")
    sizes = [int(s) for s in query.get("sizes", "0").split(",") if s != ""]
    for size in sizes:
        await ws.send(pattern(kind, size))
    await drain_until_closed(ws)


async def send_fragmented(ws, kind, size, parts, pings, wait_pong, ping_payloads):
    data = pattern(kind, size).encode("ascii") if kind == "text" else binary_pattern(size)
    opcode = OP_TEXT if kind == "text" else OP_BINARY
    offset = 0
    for index, part_size in enumerate(split_sizes(size, parts)):
        last = index == parts - 1
        await ws.write_frame(last, opcode if index == 0 else OP_CONT, data[offset:offset + part_size])
        offset += part_size
        if last:
            break
        for _ in range(pings):
            payload = f"ping-{len(ping_payloads)}".encode("ascii")
            ping_payloads.append(payload)
            await ws.write_frame(True, OP_PING, payload)
            if wait_pong and not await wait_for_pongs(ws, len(ping_payloads), PONG_WAIT_SECONDS):
                log(f"no pong for {payload!r} within {PONG_WAIT_SECONDS}s (waitpong=1)")


async def scenario_fragmented(ws, query):
    parts = max(1, int(query.get("parts", "3")))
    pings = max(0, int(query.get("pings", "1")))
    size = int(query.get("size", "30"))
    wait_pong = query.get("waitpong", "0") == "1"
    kinds = [query["type"]] if "type" in query else ["text", "binary"]
    ping_payloads = []
    for kind in kinds:
        await send_fragmented(ws, kind, size, parts, pings, wait_pong, ping_payloads)
    await wait_for_pongs(ws, len(ping_payloads), PONG_WAIT_SECONDS)
    report = {
        "pings": [p.decode("latin-1") for p in ping_payloads],
        "pongs": [p.decode("latin-1") for p in ws.received_pongs],
    }
    await ws.send(json.dumps(report, separators=(",", ":")))
    await drain_until_closed(ws)


async def scenario_close(ws, query):
    code = query.get("code", "1000")
    reason = query.get("reason", "")
    delay_ms = int(query.get("delay", "0"))
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000)
    if code == "none":
        close, payload = Close(1005, ""), b""
    else:
        # Built by hand so that invalid codes can be sent too.
        close, payload = Close(int(code), reason), struct.pack("!H", int(code)) + reason.encode("utf-8")
    await ws.write_close_frame(close, payload)
    try:
        await asyncio.wait_for(ws.wait_closed(), CLOSE_WAIT_SECONDS)
    except asyncio.TimeoutError:
        log("client did not complete the close handshake")


async def scenario_wait_close(ws, query):
    await drain_until_closed(ws)


async def scenario_headers(ws, query):
    report = {"path": ws.path, "headers": [[k, v] for k, v in ws.request_headers.raw_items()]}
    await ws.send(json.dumps(report, separators=(",", ":")))
    await drain_until_closed(ws)


SCENARIOS = {
    "/echo": scenario_echo,
    "/send": scenario_send,
    "/fragmented": scenario_fragmented,
    "/close": scenario_close,
    "/wait-close": scenario_wait_close,
    "/headers": scenario_headers,
}


def rejection(status, code, message):
    body = json.dumps({"code": code, "message": message}, separators=(",", ":")).encode("utf-8")
    headers = [("X-WS-Error", message), ("Content-Type", "application/json")]
    return HTTPStatus(status), headers, body


def make_process_request(api_key):
    def process_request(path, headers):
        route, query = query_of(path)
        if route == "/reject":
            return rejection(
                int(query.get("status", "503")),
                query.get("code", "UNAVAILABLE"),
                query.get("message", "Rejected by test peer"),
            )
        if api_key is not None and headers.get("Authorization") != f"Bearer {api_key}":
            return rejection(401, "UNAUTHORIZED", "Invalid API key")
        if route not in SCENARIOS:
            return rejection(404, "NOT_FOUND", f"Unknown scenario {route}")
        return None

    return process_request


async def handler(ws):
    route, query = query_of(ws.path)
    tag = query.get("tag")
    try:
        await SCENARIOS[route](ws, query)
    except websockets.ConnectionClosed:
        pass
    finally:
        try:
            await asyncio.wait_for(ws.wait_closed(), CLOSE_WAIT_SECONDS)
        except asyncio.TimeoutError:
            pass
        # close_code/close_reason describe the close frame received from the client.
        name = "CLIENT_CLOSE" if tag is None else f"CLIENT_CLOSE#{tag}"
        reason = (ws.close_reason or "").replace("\r", "\\r").replace("\n", "\\n")
        out(f"{name} {ws.close_code} {reason}")


async def main():
    parser = argparse.ArgumentParser(description="C2Fast independent WebSocket test peer (python3-websockets)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", nargs=2, metavar=("CERT_PEM", "KEY_PEM"))
    parser.add_argument("--api-key")
    parser.add_argument("--max-size", type=int, default=64 * 1024 * 1024)
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin reaches EOF (the parent test process died or closed it)")
    args = parser.parse_args()

    if args.exit_on_stdin_eof:
        threading.Thread(target=exit_on_stdin_eof, daemon=True).start()

    ssl_context = None
    if args.tls:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(args.tls[0], args.tls[1])

    server = await websockets.serve(
        handler,
        args.host,
        args.port,
        create_protocol=RecordingProtocol,
        process_request=make_process_request(args.api_key),
        ssl=ssl_context,
        max_size=args.max_size,
        max_queue=None,
        compression=None,
        ping_interval=None,
        close_timeout=CLOSE_WAIT_SECONDS,
    )
    port = server.sockets[0].getsockname()[1]
    out(f"LISTENING {port}")
    await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
