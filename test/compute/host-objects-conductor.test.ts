/**
 * The conductor's store as a caller sees it beyond the contract suite: an
 * error the conductor's store raises arrives as the same kind of error (a
 * caller cannot tell it went over RPC), an error the store does not declare
 * stays a RemoteError under its name, and a result the declaration does not
 * describe is refused rather than handed on.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTransport } from '../../src/bus/memory/transport.js';
import { RemoteError, RpcClient, RpcServer } from '../../src/bus/rpc.js';
import { ConductorComputeHostStore, conductorObjectRpcClient } from '../../src/compute/host-objects/conductor.js';
import type { ComputeHostStore } from '../../src/compute/host-objects/port.js';
import { InstanceNotFound } from '../../src/compute/instance-store.js';
import { ConductorManager } from '../../src/conductor/manager.js';
import { CONDUCTOR_OBJECT_RPC_API } from '../../src/conductor/object-rpc-methods.js';
import { testLogger } from '../helpers/logger.js';

class DiskFull extends Error {}

/** A conductor-side store whose every operation fails or misbehaves as named here. */
const misbehaving = {
  getInstance: async (uuid: string) => { throw new InstanceNotFound(uuid); },
  saveInstance: async () => { throw new DiskFull('no space left'); },
  getNodeUsage: async () => ({ instances: 1, vcpus: 1, memory_mb: 512, local_gb: 1, surprise: true }),
} as unknown as ComputeHostStore;

describe('ConductorComputeHostStore errors', () => {
  let transport: MemoryTransport;
  let server: RpcServer;
  let rpc: RpcClient;
  let store: ConductorComputeHostStore;

  before(async () => {
    transport = new MemoryTransport('memory://');
    server = new RpcServer(transport, CONDUCTOR_OBJECT_RPC_API.topic, new ConductorManager(misbehaving).endpoint(), testLogger);
    await server.start();
    rpc = new RpcClient(transport, 5000);
    store = new ConductorComputeHostStore(conductorObjectRpcClient(rpc));
  });
  after(async () => {
    await rpc.close();
    await server.stop();
    await transport.close();
  });

  test('InstanceNotFound raised by the conductor arrives as InstanceNotFound with its message', async () => {
    const err = await store.getInstance('9f1c').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof InstanceNotFound, `got ${String(err)}`);
    assert.equal(err.message, 'Instance 9f1c could not be found.');
    assert.equal(err.status, 404);
  });

  test('an error the store does not declare stays a RemoteError under its own name', async () => {
    const err = await store.saveInstance('9f1c', { vm_state: 'active' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RemoteError, `got ${String(err)}`);
    assert.equal(err.remoteName, 'DiskFull');
  });

  test('a result with a field the declaration does not know is refused by the conductor', async () => {
    const err = await store.getNodeUsage('h1', 'h1').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RemoteError, `got ${String(err)}`);
    assert.equal(err.remoteName, 'InvalidRpcArgument');
    assert.match(err.message, /surprise/);
  });
});
