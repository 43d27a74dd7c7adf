#!/usr/bin/env node
'use strict';
// Independent WebSocket test peer for C2Fast, built on npm `ws` 8 (tests/peers/package.json).
//
//   node ws_server.js --port 0 [--host 127.0.0.1] [--tls CERT_PEM KEY_PEM] [--api-key KEY]
//                     [--max-size BYTES] [--exit-on-stdin-eof]
//
// Same scenarios, URL syntax and stdout lines as ws_server.py (see README.md next to this file).
// When ready it prints exactly one line "LISTENING <port>" on stdout. Every connection that got
// past the handshake prints "CLIENT_CLOSE[#tag] <code> <reason>" on stdout when it ends.
// Diagnostics go to stderr.

const fs = require('fs');
const http = require('http');
const https = require('https');

let WebSocketServer;
try {
  ({ WebSocketServer } = require('ws'));
} catch (error) {
  process.stderr.write(
    `ws_server.js: npm ws is missing (${error.message}); run: cd tests/peers && npm ci\n`);
  process.exit(3);
}

const CLOSE_WAIT_MS = 10000;
const PONG_WAIT_MS = 5000;

function log(message) {
  process.stderr.write(`ws_server.js: ${message}\n`);
}

function out(line) {
  process.stdout.write(`${line}\n`);
}

function parseArgs(argv) {
  const args = { host: '127.0.0.1', port: 0, tls: null, apiKey: null, maxSize: 64 * 1024 * 1024, exitOnStdinEof: false };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--host': args.host = argv[++i]; break;
      case '--port': args.port = Number(argv[++i]); break;
      case '--tls': args.tls = [argv[++i], argv[++i]]; break;
      case '--api-key': args.apiKey = argv[++i]; break;
      case '--max-size': args.maxSize = Number(argv[++i]); break;
      // Exit when stdin reaches EOF (the parent test process died or closed it).
      case '--exit-on-stdin-eof': args.exitOnStdinEof = true; break;
      default:
        log(`unknown argument ${argv[i]}`);
        process.exit(2);
    }
  }
  return args;
}

// Byte i is i % 251.
function binaryPattern(size) {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buffer[i] = i % 251;
  return buffer;
}

// Character i is chr(32 + i % 95): printable ASCII, so size bytes == size characters.
function textPattern(size) {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buffer[i] = 32 + (i % 95);
  return buffer;
}

function pattern(kind, size) {
  return kind === 'text' ? textPattern(size) : binaryPattern(size);
}

// Split total bytes into `parts` nearly equal sizes (earlier parts one byte larger).
function splitSizes(total, parts) {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  const sizes = [];
  for (let i = 0; i < parts; i++) sizes.push(base + (i < extra ? 1 : 0));
  return sizes;
}

function sendAsync(ws, data, options) {
  return new Promise((resolve, reject) => ws.send(data, options, (err) => (err ? reject(err) : resolve())));
}

function pingAsync(ws, data) {
  return new Promise((resolve, reject) => ws.ping(data, undefined, (err) => (err ? reject(err) : resolve())));
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Per-connection state: pongs received (in arrival order) and a promise that resolves on close.
class Connection {
  constructor(ws, request, url) {
    this.ws = ws;
    this.request = request;
    this.url = url;
    this.pongs = [];
    this.pongWaiters = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    ws.on('pong', (data) => {
      this.pongs.push(Buffer.from(data));
      for (const wake of this.pongWaiters.splice(0)) wake();
    });
    ws.on('error', (error) => log(`${url.pathname}: ${error.message}`));
  }

  async waitForPongs(count, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (this.pongs.length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await Promise.race([new Promise((wake) => this.pongWaiters.push(wake)), delay(remaining), this.closed]);
      if (this.ws.readyState !== this.ws.OPEN && this.pongs.length < count) return false;
    }
    return true;
  }
}

async function scenarioEcho(c) {
  c.ws.on('message', (data, isBinary) => c.ws.send(data, { binary: isBinary }));
  await c.closed;
}

async function scenarioSend(c, q) {
  const kind = q.get('type') || 'binary';
  const sizes = (q.get('sizes') || '0').split(',').filter((s) => s !== '').map(Number);
  for (const size of sizes) await sendAsync(c.ws, pattern(kind, size), { binary: kind !== 'text' });
  await c.closed;
}

async function sendFragmented(c, kind, size, parts, pings, waitPong, pingPayloads) {
  const data = pattern(kind, size);
  const sizes = splitSizes(size, parts);
  let offset = 0;
  for (let index = 0; index < parts; index++) {
    const last = index === parts - 1;
    // ws turns every send after a {fin:false} send into a continuation frame.
    await sendAsync(c.ws, data.subarray(offset, offset + sizes[index]), { binary: kind !== 'text', fin: last });
    offset += sizes[index];
    if (last) break;
    for (let p = 0; p < pings; p++) {
      const payload = Buffer.from(`ping-${pingPayloads.length}`, 'ascii');
      pingPayloads.push(payload);
      await pingAsync(c.ws, payload);
      if (waitPong && !(await c.waitForPongs(pingPayloads.length, PONG_WAIT_MS))) {
        log(`no pong for ${payload} within ${PONG_WAIT_MS} ms (waitpong=1)`);
      }
    }
  }
}

async function scenarioFragmented(c, q) {
  const parts = Math.max(1, Number(q.get('parts') || '3'));
  const pings = Math.max(0, Number(q.get('pings') || '1'));
  const size = Number(q.get('size') || '30');
  const waitPong = q.get('waitpong') === '1';
  const kinds = q.has('type') ? [q.get('type')] : ['text', 'binary'];
  const pingPayloads = [];
  for (const kind of kinds) await sendFragmented(c, kind, size, parts, pings, waitPong, pingPayloads);
  await c.waitForPongs(pingPayloads.length, PONG_WAIT_MS);
  const report = {
    pings: pingPayloads.map((p) => p.toString('latin1')),
    pongs: c.pongs.map((p) => p.toString('latin1')),
  };
  await sendAsync(c.ws, JSON.stringify(report), { binary: false });
  await c.closed;
}

function isValidCloseCode(code) {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999);
}

async function scenarioClose(c, q) {
  const code = q.get('code') || '1000';
  const reason = q.get('reason') || '';
  const delayMs = Number(q.get('delay') || '0');
  if (delayMs > 0) await delay(delayMs);
  if (code === 'none') {
    c.ws.close();
  } else if (isValidCloseCode(Number(code))) {
    c.ws.close(Number(code), reason);
  } else {
    // ws refuses invalid codes; write the close frame raw (server frames are unmasked). If the
    // client answers with a close frame, ws then sends its own close frame too.
    const payload = Buffer.concat([Buffer.from([(Number(code) >> 8) & 0xff, Number(code) & 0xff]),
      Buffer.from(reason, 'utf8')]);
    c.ws._socket.write(Buffer.concat([Buffer.from([0x88, payload.length]), payload]));
  }
  await Promise.race([c.closed, delay(CLOSE_WAIT_MS)]);
}

async function scenarioWaitClose(c) {
  await c.closed;
}

async function scenarioHeaders(c) {
  const raw = c.request.rawHeaders;
  const headers = [];
  for (let i = 0; i < raw.length; i += 2) headers.push([raw[i], raw[i + 1]]);
  await sendAsync(c.ws, JSON.stringify({ path: c.request.url, headers }), { binary: false });
  await c.closed;
}

const SCENARIOS = {
  '/echo': scenarioEcho,
  '/send': scenarioSend,
  '/fragmented': scenarioFragmented,
  '/close': scenarioClose,
  '/wait-close': scenarioWaitClose,
  '/headers': scenarioHeaders,
};

function reject(socket, status, code, message) {
  const body = Buffer.from(JSON.stringify({ code, message }), 'utf8');
  const head =
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Error'}\r\n` +
    `X-WS-Error: ${message}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${body.length}\r\n` +
    'Connection: close\r\n\r\n';
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.exitOnStdinEof) {
    process.stdin.on('data', () => {});
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
  const server = args.tls
    ? https.createServer({ cert: fs.readFileSync(args.tls[0]), key: fs.readFileSync(args.tls[1]) })
    : http.createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: args.maxSize });

  server.on('request', (request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
    response.end('WebSocket upgrade required\n');
  });

  server.on('upgrade', (request, socket, head) => {
    socket.on('error', (error) => log(`socket: ${error.message}`));
    const url = new URL(request.url, 'http://peer');
    const q = url.searchParams;
    if (url.pathname === '/reject') {
      reject(socket, Number(q.get('status') || '503'), q.get('code') || 'UNAVAILABLE',
        q.get('message') || 'Rejected by test peer');
      return;
    }
    if (args.apiKey !== null && request.headers.authorization !== `Bearer ${args.apiKey}`) {
      reject(socket, 401, 'UNAUTHORIZED', 'Invalid API key');
      return;
    }
    const scenario = SCENARIOS[url.pathname];
    if (!scenario) {
      reject(socket, 404, 'NOT_FOUND', `Unknown scenario ${url.pathname}`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new Connection(ws, request, url);
      const tag = q.get('tag');
      connection.closed.then(({ code, reason }) => {
        const name = tag === null ? 'CLIENT_CLOSE' : `CLIENT_CLOSE#${tag}`;
        out(`${name} ${code} ${reason.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}`);
      });
      scenario(connection, q).catch((error) => {
        log(`${url.pathname}: scenario failed: ${error.stack || error}`);
        ws.terminate();
      });
    });
  });

  server.on('tlsClientError', (error) => log(`tls: ${error.message}`));
  server.listen(args.port, args.host, () => out(`LISTENING ${server.address().port}`));
}

main();
