/** A service's or agent's log lines name each binding once, however many loggers down it sits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { childLogger } from '../src/logger.js';

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk).trim()); done(); } });
  return { logger: pino({ base: { host: 'h1' } }, sink), lines };
}

const count = (line: string, key: string) => line.split(`"${key}":`).length - 1;

test('a binding the parent has with the same value is written once; new or different ones are added', () => {
  const { logger, lines } = capture();
  const agent = childLogger(childLogger(logger, { service: 'l2-agent', host: 'h1' }), { agent: 'neutron-linuxbridge-agent', host: 'h1' });
  agent.info('synced');
  childLogger(logger, { service: 'compute', host: 'h2' }).info('other host');
  assert.equal(lines.length, 2);
  const [synced, other] = lines.map((l) => JSON.parse(l));
  assert.equal(count(lines[0]!, 'host'), 1, lines[0]);
  assert.deepEqual([synced.host, synced.service, synced.agent], ['h1', 'l2-agent', 'neutron-linuxbridge-agent']);
  assert.equal(other.host, 'h2');
  assert.equal(other.service, 'compute');
});
