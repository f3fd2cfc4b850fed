/**
 * The fake hypervisor's consoles: a VNC display that speaks RFB 3.8 (and 3.3
 * to an old client) with a blank framebuffer named after the guest, a serial
 * line that echoes, both opened on the first request and gone when the guest
 * is destroyed, moves away, or the driver stops.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { FakeDriver } from '../../src/virt/fake/driver.js';
import type { DriverInstance } from '../../src/virt/driver.js';
import { FRAMEBUFFER } from '../../src/virt/fake/vnc-server.js';
import { ByteQueue } from '../helpers/console-client.js';

/** A TCP client that reads exact byte counts and tells when the server hung up. */
function tcp(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const queue = new ByteQueue();
  socket.on('data', (d) => queue.push(d));
  socket.on('close', () => queue.end());
  socket.on('error', () => undefined);
  return { socket, read: (n: number) => queue.read(n), closed: () => queue.closed() };
}

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.on('connect', () => { s.destroy(); resolve(false); });
  s.on('error', () => resolve(true));
});

describe('fake driver consoles', () => {
  const driver = new FakeDriver({ vcpus: 8, memoryMb: 8192, localGb: 100 });
  after(() => driver.cleanupHost());

  async function guest(): Promise<DriverInstance> {
    const instance = {
      uuid: randomUUID(), name: `instance-${Math.floor(Math.random() * 1e8).toString(16).padStart(8, '0')}`, hostname: 'g', displayName: 'g',
      createdAt: new Date().toISOString(), configDrive: false, userId: 'u', projectId: 'p', metadata: {},
      flavor: { id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 64, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {} },
      image: { id: randomUUID(), name: 'i', disk_format: 'raw', container_format: 'bare', size: 1, min_disk: 0, min_ram: 0, properties: {} },
    } as unknown as DriverInstance;
    await driver.spawn({ instance, networkInfo: [], blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } } as never);
    return instance;
  }

  test('RFB 3.8: security None, ServerInit with the guest\'s name, a blank raw rectangle for a full update, nothing for an incremental one; input is ignored', async () => {
    const g = await guest();
    const { host, port, internalAccessPath } = await driver.getRemoteConsole(g, 'vnc');
    assert.equal(host, '127.0.0.1');
    assert.equal(internalAccessPath, null);
    const c = tcp(port);
    assert.equal((await c.read(12)).toString('latin1'), 'RFB 003.008\n');
    c.socket.write('RFB 003.008\n');
    assert.deepEqual([...await c.read(2)], [1, 1]);
    c.socket.write(Buffer.from([1]));
    assert.deepEqual([...await c.read(4)], [0, 0, 0, 0]);
    c.socket.write(Buffer.from([1]));
    const init = await c.read(24);
    assert.equal(init.readUInt16BE(0), FRAMEBUFFER.width);
    assert.equal(init.readUInt16BE(2), FRAMEBUFFER.height);
    assert.equal((await c.read(init.readUInt32BE(20))).toString(), g.name);
    // A key press, a pointer move and an incremental request draw nothing; the full request after them does.
    c.socket.write(Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61, 5, 0, 0, 1, 0, 1, 3, 1, 0, 0, 0, 0, 0, 8, 0, 8, 3, 0, 0, 0, 0, 0, 0, 2, 0, 3]));
    const update = await c.read(16 + 2 * 3 * 4);
    assert.deepEqual([update[0], update.readUInt16BE(2), update.readUInt16BE(8), update.readUInt16BE(10)], [0, 1, 2, 3]);
    assert.ok(update.subarray(16).every((b) => b === 0));
    // An unknown message type ends the session.
    c.socket.write(Buffer.from([99]));
    await c.closed();
  });

  test('an RFB 3.3 client gets the security type as one word and no result', async () => {
    const g = await guest();
    const c = tcp((await driver.getRemoteConsole(g, 'vnc')).port);
    await c.read(12);
    c.socket.write('RFB 003.003\n');
    assert.equal((await c.read(4)).readUInt32BE(0), 1);
    c.socket.write(Buffer.from([0]));
    const init = await c.read(24);
    assert.equal(init.readUInt32BE(20), g.name.length);
    c.socket.destroy();
  });

  test('the serial line echoes; one port per guest and console; destroying the guest closes its listeners and connections', async () => {
    const g = await guest();
    const serial = await driver.getRemoteConsole(g, 'serial');
    const vnc = await driver.getRemoteConsole(g, 'vnc');
    assert.notEqual(serial.port, vnc.port);
    assert.equal((await driver.getRemoteConsole(g, 'serial')).port, serial.port);
    const c = tcp(serial.port);
    c.socket.write('hello\n');
    assert.equal((await c.read(6)).toString(), 'hello\n');
    await driver.destroy(g, []);
    await c.closed();
    assert.equal(await refused(serial.port), true);
    assert.equal(await refused(vnc.port), true);
  });

  test('stopping the driver closes every guest\'s console', async () => {
    const other = new FakeDriver({ vcpus: 8, memoryMb: 8192, localGb: 100 });
    const instance = await guest();
    // The same guest on a second fake host (as after a live migration's pre step).
    await other.preLiveMigration(instance, []);
    const { port } = await other.getRemoteConsole(instance, 'vnc');
    await other.cleanupHost();
    assert.equal(await refused(port), true);
  });
});
