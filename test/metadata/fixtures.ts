/**
 * A metadata API on a throwaway SQLite database, with instances inserted as
 * the compute API would leave them once built (network info cached, key pair
 * recorded): shared by the API, agent and proxy tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { computeMigrations } from '../../src/compute/db/migrations.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { databaseMetadataSources, startMetadataServer, type MetadataServer } from '../../src/metadata/server.js';
import { testLogger } from '../helpers/logger.js';

export const SECRET = 'metadata-test-secret';

export interface TestInstance {
  uuid: string;
  projectId: string;
  id: number;
}

export interface MetadataCloud {
  db: ComputeDb;
  api: MetadataServer;
  addInstance(over?: InstanceOverrides): Promise<TestInstance>;
  close(): Promise<void>;
}

export interface InstanceOverrides {
  projectId?: string;
  name?: string;
  fixedIp?: string;
  networkId?: string;
  userData?: string | null;
  keyName?: string | null;
  keyData?: string | null;
  metadata?: Record<string, string>;
}

export async function startMetadataCloud(): Promise<MetadataCloud> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-md-'));
  let handle: DatabaseHandle | undefined;
  try {
    handle = openDatabase(`sqlite:///${dir}/test.db`);
    const db = handle.db as ComputeDb;
    await syncDatabase(db, [computeMigrations]);
    const api = await startMetadataServer({ host: '127.0.0.1', port: 0, sharedSecret: SECRET, ...databaseMetadataSources(db), logger: testLogger });
    const h = handle;
    return {
      db, api,
      addInstance: (over = {}) => insertInstance(db, over),
      async close() {
        await api.close();
        await h.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await handle?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function insertInstance(db: ComputeDb, over: InstanceOverrides): Promise<TestInstance> {
  const uuid = randomUUID();
  const projectId = over.projectId ?? `proj-${uuid.slice(0, 8)}`;
  const name = over.name ?? `vm-${uuid.slice(0, 6)}`;
  const networkInfo = [{
    id: randomUUID(), address: 'fa:16:3e:00:00:01', type: 'bridge', devname: 'tapabc',
    network: {
      id: over.networkId ?? randomUUID(), label: 'private', meta: { mtu: 1500 },
      subnets: [{
        cidr: '10.0.0.0/24', gateway: { address: '10.0.0.1' }, version: 4,
        ips: [{ address: over.fixedIp ?? '10.0.0.5', type: 'fixed', version: 4, floating_ips: [] }],
        dns: [{ address: '10.0.0.2' }], routes: [],
      }],
    },
  }];
  const keyName = over.keyName === undefined ? 'mykey' : over.keyName;
  const keyData = over.keyData === undefined ? 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test@kilonova' : over.keyData;
  const userId = `user-${uuid.slice(0, 8)}`;
  if (keyName) {
    await db.insertInto('key_pairs').values({ name: keyName, user_id: userId, fingerprint: 'fp', public_key: keyData ?? '', type: 'ssh', created_at: new Date().toISOString() }).execute();
  }
  await db.insertInto('instances').values({
    uuid, project_id: projectId, user_id: userId, display_name: name, display_description: null, hostname: name,
    host: 'h1', node: 'h1', launched_on: 'h1', availability_zone: 'nova', vm_state: 'active', task_state: null, power_state: 1,
    image_ref: '155d900f-4e14-4e4c-a73d-069cbf4541e6', flavor: JSON.stringify({ flavorid: '1', name: 'm1.tiny' }), vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0,
    key_name: keyName, key_data: keyData, user_data: over.userData === undefined ? Buffer.from('#!/bin/sh\necho hello\n').toString('base64') : over.userData,
    config_drive: '', access_ip_v4: null, access_ip_v6: null, locked: 0, locked_reason: null,
    launch_index: 0, reservation_id: 'r-abcdef12', root_device_name: '/dev/vda', progress: 0, network_info: JSON.stringify(networkInfo),
    security_groups: '["default"]', created_at: new Date().toISOString(), updated_at: null, launched_at: null, terminated_at: null, deleted_at: null, deleted: 0,
  } as never).execute();
  for (const [key, value] of Object.entries(over.metadata ?? {})) {
    await db.insertInto('instance_metadata').values({ instance_uuid: uuid, key, value }).execute();
  }
  const row = await db.selectFrom('instances').select('id').where('uuid', '=', uuid).executeTakeFirstOrThrow();
  return { uuid, projectId, id: row.id };
}
