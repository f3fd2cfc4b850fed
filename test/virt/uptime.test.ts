import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uptimeLine } from '../../src/virt/uptime.js';

test('the uptime line reads as `uptime` prints it: minutes, hours, days', () => {
  const now = new Date('2026-12-06T10:27:06Z');
  assert.equal(uptimeLine(now, 125, [0, 0.5, 1.234]), ' 10:27:06 up 2 min,  0 users,  load average: 0.00, 0.50, 1.23');
  assert.equal(uptimeLine(now, 3 * 3600 + 4 * 60, []), ' 10:27:06 up  3:04,  0 users,  load average: 0.00, 0.00, 0.00');
  assert.equal(uptimeLine(now, 2 * 86_400 + 3600, [1, 1, 1]), ' 10:27:06 up 2 days,  1:00,  0 users,  load average: 1.00, 1.00, 1.00');
  assert.equal(uptimeLine(now, 86_400 + 60, [0, 0, 0]), ' 10:27:06 up 1 day, 1 min,  0 users,  load average: 0.00, 0.00, 0.00');
});
