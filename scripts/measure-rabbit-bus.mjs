#!/usr/bin/env node
/**
 * Measures the bus on this machine (not a test: numbers, no assertions):
 * confirmed casts per second, one at a time and 64 in flight, until every one
 * was consumed; and RPC call round trips (p50/p99), over rabbit:// and, for
 * scale, memory://. Needs `npm run build` and RabbitMQ at 127.0.0.1:5672;
 * uses a virtual host of its own (rabbitmqctl, so as root) and deletes it.
 *   node scripts/measure-rabbit-bus.mjs [casts=20000] [calls=2000]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { RabbitTransport } from '../dist/src/bus/rabbit/transport.js';
import { MemoryTransport } from '../dist/src/bus/memory/transport.js';
import { RpcClient, RpcServer } from '../dist/src/bus/rpc.js';
import pino from 'pino';

const casts = Number(process.argv[2] ?? 20000);
const calls = Number(process.argv[3] ?? 2000);
const ctx = { requestId: 'req-measure', userId: 'u', projectId: 'p', roles: ['member'] };
const args = { instance: { uuid: '6f1c2a3e-0000-4000-8000-000000000000', flavor: { vcpus: 1, memory_mb: 512 } }, filter_properties: {} };

async function castRate(sender, receiver, n, inFlight) {
  const topic = `measure.casts.${inFlight}`;
  let received = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const rpc = new RpcClient(sender, 30_000);
  const server = new RpcServer(receiver, topic, { work: () => { if (++received === n) done(); } }, pino({ level: 'silent' }));
  await server.start();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < n) { next++; await rpc.cast(ctx, topic, 'work', args); }
  }));
  const confirmedMs = performance.now() - started;
  await all;
  const consumedMs = performance.now() - started;
  await server.stop();
  await rpc.close();
  return { confirmed_per_s: Math.round(n / (confirmedMs / 1000)), consumed_per_s: Math.round(n / (consumedMs / 1000)) };
}

async function callLatency(client, server, n) {
  const rpc = new RpcClient(client, 30_000);
  const srv = new RpcServer(server, 'measure.calls', { echo: (_c, a) => a }, pino({ level: 'silent' }));
  await srv.start();
  for (let i = 0; i < 50; i++) await rpc.call(ctx, 'measure.calls', 'echo', args); // warm-up
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await rpc.call(ctx, 'measure.calls', 'echo', args);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  await srv.stop();
  await rpc.close();
  const q = (p) => Number(times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(3));
  return { call_p50_ms: q(0.5), call_p99_ms: q(0.99) };
}

async function measure(name, open) {
  const a = await open();
  const b = await open();
  const result = {
    transport: name,
    sequential: await castRate(a, b, Math.min(casts, 3000), 1),
    in_flight_64: await castRate(a, b, casts, 64),
    ...(await callLatency(a, b, calls)),
  };
  await a.close();
  await b.close();
  return result;
}

const vhost = `kn_measure_${randomBytes(4).toString('hex')}`;
execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost]);
execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
try {
  const memory = new MemoryTransport();
  const results = [
    await measure('rabbit', async () => new RabbitTransport(`rabbit://guest:guest@127.0.0.1:5672/${vhost}`)),
    await measure('memory', async () => memory),
  ];
  for (const r of results) console.log(JSON.stringify(r));
} finally {
  execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost]);
}
