/**
 * RabbitMQ restarted under load (issue 10, faults): the api, conductor,
 * scheduler and compute processes run over a RabbitMQ node of the test's own,
 * servers are being created without pause, and the node is stopped and
 * started again in the middle. Every service reconnects by itself; every
 * create the API accepted ends ACTIVE or ERROR (none left in BUILD), every
 * create it refused left no server behind, the cloud is consistent, and boots
 * after the restart succeed. The queues are durable
 * ([oslo_messaging_rabbit] amqp_durable_queues), so a cast the broker
 * confirmed before it went down is still there when it comes back; one it
 * did not confirm fails to its caller.
 */
import { describe, test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { startServiceCloud, type ServiceCloud } from '../helpers/service-cloud.js';
import { assertCloudConsistent } from '../helpers/cloud-consistency.js';
import { bootArguments, bootThroughApis } from '../helpers/boot-through-apis.js';
import { createServer, waitUntilNoneBuilding } from '../helpers/concurrent-creates.js';
import type { ApiResponse } from '../helpers/cloud.js';
import { postgresAvailable } from '../helpers/databases.js';
import { createPrivateBroker, privateBrokerSkipReason } from '../bus/private-broker.js';

const skip = privateBrokerSkipReason()
  ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the service processes share it)' : undefined);

const CREATES = 30;
/** The creates answered before the broker goes down. */
const BEFORE_RESTART = 8;

/** Bounds every wait on the bus so a lost reply or an outage shows within the test's budget. */
const BUS = {
  DEFAULT: { rpc_response_timeout: 15 },
  oslo_messaging_rabbit: { amqp_durable_queues: 'true', rabbit_retry_interval: 1, rabbit_retry_backoff: 0, rabbit_interval_max: 1, send_timeout: 30 },
};

describe('RabbitMQ restarted while servers are being created', { skip, timeout: 150_000 }, () => {
  test('every service reconnects, every accepted create ends ACTIVE or ERROR, refused ones leave nothing, later boots succeed', async () => {
    const t0 = Date.now();
    const broker = await createPrivateBroker();
    let cloud: ServiceCloud | undefined;
    try {
      // The node boots while the services start: each waits for the bus ([oslo_messaging_rabbit] send_timeout).
      const [booted, started] = await Promise.allSettled([broker.start(), startServiceCloud({
        computes: 2, transportUrl: broker.url, controller: BUS,
        // Builds that take a while, so some are on a host when the broker goes; a build whose
        // failure could not be recorded while the bus was down is ended by its host, as Nova's is.
        compute: { ...BUS, DEFAULT: { ...BUS.DEFAULT, instance_build_timeout: 45 }, fake_driver: { spawn_delay_ms: 500 } },
      })]);
      if (started.status === 'fulfilled') cloud = started.value;
      if (booted.status === 'rejected') throw booted.reason;
      if (started.status === 'rejected') throw started.reason;
      const readyMs = Date.now() - t0;
      const c = cloud!;
      const args = await bootArguments(c);

      const answered: ApiResponse[] = [];
      let restarted = false;
      const creates: Array<Promise<ApiResponse>> = [];
      const load = (async () => {
        for (let i = 0; i < CREATES; i++) {
          creates.push(createServer(c, args, `load-${i}`).then((r) => { answered.push(r); return r; }));
          // Paced, not synchronised: the creates keep coming while the broker stops and starts.
          await new Promise((r) => setTimeout(r, restarted ? 100 : 150));
        }
      })();
      await pollUntil(() => answered.length >= BEFORE_RESTART, 30_000, 'creates answered before the restart');
      const downAt = Date.now();
      await broker.stop();
      const stopMs = Date.now() - downAt;
      await broker.start();
      restarted = true;
      const outageMs = Date.now() - downAt;
      await load;
      const responses = await Promise.all(creates);

      const accepted = responses.filter((r) => r.status === 202).map((r) => r.json.server.id as string);
      for (const r of responses.filter((r) => r.status !== 202)) {
        // Reported to the caller as a fault of its own kind, never raw exception text.
        assert.ok(r.status === 500 || r.status === 503, `${r.status} ${JSON.stringify(r.json)}`);
        const fault = r.json.computeFault ?? r.json.serviceUnavailable;
        assert.ok(fault?.message, JSON.stringify(r.json));
        assert.doesNotMatch(fault.message, /\n\s+at |Error:/, 'no raw exception text');
      }
      assert.ok(accepted.length > BEFORE_RESTART / 2, `accepted ${accepted.length} of ${CREATES}`);

      const servers = await waitUntilNoneBuilding(c, 90_000);
      const settledMs = Date.now() - downAt - outageMs;
      assert.deepEqual(servers.map((s) => s.id).sort(), [...accepted].sort(), 'exactly the accepted creates have servers');
      assert.deepEqual(servers.filter((s) => s.status !== 'ACTIVE' && s.status !== 'ERROR').map((s) => `${s.id} ${s.status}`), []);
      await assertCloudConsistent(c);

      // Every process outlived the restart and found the broker again on its own.
      for (const [name, p] of c.processes) {
        assert.equal(p.child.exitCode, null, `${name} exited`);
        assert.match(p.stderr(), /reconnected to RabbitMQ/, `${name} did not reconnect`);
      }
      const later = await Promise.all([1, 2, 3, 4].map((i) => bootThroughApis(c, `after-${i}`, 60_000)));
      assert.equal(later.length, 4);
      const services = await c.request('GET', '/compute/v2.1/os-services?binary=nova-compute');
      assert.deepEqual(services.json.services.map((s: any) => [s.host, s.state]).sort(), [['c1', 'up'], ['c2', 'up']]);
      await assertCloudConsistent(c);
      const active = servers.filter((s) => s.status === 'ACTIVE').length;
      const faults = new Set<string>();
      for (const s of servers.filter((x) => x.status === 'ERROR')) faults.add((await c.request('GET', `/compute/v2.1/servers/${s.id}`)).json.server.fault?.message);
      console.log(`# ${CREATES} creates: ${accepted.length} accepted (${active} ACTIVE, ${accepted.length - active} ERROR: ${[...faults].join(' | ')}), ${CREATES - accepted.length} refused; broker and cloud ready in ${readyMs} ms, broker stopped in ${stopMs} ms, down and up in ${outageMs} ms; settled ${settledMs} ms after the restart`);
    } catch (err) {
      // The processes' logs outlive the cloud's directory, for reading what each did around the restart.
      if (cloud) {
        const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-rabbit-restart-logs-'));
        for (const [name, p] of cloud.processes) fs.writeFileSync(path.join(logs, `${name}.log`), p.stderr());
        fs.writeFileSync(path.join(logs, 'rabbitmq.log'), broker.log());
        console.error(`# service logs in ${logs}`);
      }
      throw err;
    } finally {
      await cloud?.close();
      await broker.close();
    }
  });
});

async function pollUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
