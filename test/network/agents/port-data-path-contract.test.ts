/**
 * One contract for every PortDataPath: the no-op one (the fake driver's) and
 * the Linux bridge one (kernel, in a private host namespace with persistent taps (ip tuntap)
 * standing in for QEMU's).
 */
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PortDataPath } from '../../../src/network/agents/drivers.js';
import { NoopPortDataPath } from '../../../src/network/agents/noop/drivers.js';
import { LinuxBridgePortDataPath } from '../../../src/network/agents/linuxbridge/port-data-path.js';
import type { HostPortState } from '../../../src/network/agents/state.js';
import { HostLab, defaultGroupRules, kernelSkipReason } from './linuxbridge-lab.js';

interface Subject {
  dataPath: PortDataPath;
  /** a port whose tap exists, as when QEMU holds it */
  newPort(ip: string): Promise<HostPortState>;
  destroy(): Promise<void>;
}

interface Implementation {
  name: string;
  skip: string | false;
  make(): Promise<Subject>;
}

const implementations: Implementation[] = [
  {
    name: 'NoopPortDataPath',
    skip: false,
    async make() {
      const lab = new HostLab();
      return { dataPath: new NoopPortDataPath(), newPort: async (ip) => lab.portState(ip), destroy: async () => {} };
    },
  },
  {
    name: 'LinuxBridgePortDataPath',
    skip: kernelSkipReason(),
    async make() {
      const lab = new HostLab();
      await lab.create();
      return {
        // Taps here are made before the test and are not starting guests: a sync may take them at once.
        dataPath: new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace, tapSettleMs: 0 }),
        async newPort(ip) {
          const port = lab.portState(ip, defaultGroupRules([ip]));
          await lab.addBareTap(port);
          return port;
        },
        destroy: () => lab.destroy(),
      };
    },
  },
];

const sorted = (ids: string[]) => [...ids].sort();

for (const impl of implementations) {
  describe(`PortDataPath contract: ${impl.name}`, { skip: impl.skip }, () => {
    let subject: Subject | undefined;
    const made: Subject[] = [];
    beforeEach(async () => {
      subject = await impl.make();
      made.push(subject);
    });
    afterEach(async () => {
      await subject?.destroy();
    });
    after(async () => {
      for (const s of made) await s.destroy().catch(() => undefined);
    });

    it('a plugged port is wired, and plugging it again changes nothing', async () => {
      const { dataPath } = subject!;
      const port = await subject!.newPort('10.20.0.5');
      await dataPath.plugPort(port);
      await dataPath.plugPort(port);
      assert.deepEqual(await dataPath.wiredPorts(), [port.portId]);
    });

    it('an unplugged port is no longer wired, and unplugging it again (or an unknown port) is fine', async () => {
      const { dataPath } = subject!;
      const a = await subject!.newPort('10.20.0.5');
      const b = await subject!.newPort('10.20.0.6');
      await dataPath.plugPort(a);
      await dataPath.plugPort(b);
      await dataPath.unplugPort(a.portId);
      await dataPath.unplugPort(a.portId);
      await dataPath.unplugPort('00000000-0000-4000-8000-000000000000');
      assert.deepEqual(await dataPath.wiredPorts(), [b.portId]);
    });

    it('a sync makes the wired ports exactly the desired ones', async () => {
      const { dataPath } = subject!;
      const [a, b, c] = [await subject!.newPort('10.20.0.5'), await subject!.newPort('10.20.0.6'), await subject!.newPort('10.20.0.7')];
      await dataPath.plugPort(a);
      await dataPath.plugPort(b);
      await dataPath.syncPorts([b, c]);
      assert.deepEqual(sorted(await dataPath.wiredPorts()), sorted([b.portId, c.portId]));
      await dataPath.syncPorts([b, c]);
      assert.deepEqual(sorted(await dataPath.wiredPorts()), sorted([b.portId, c.portId]));
      await dataPath.syncPorts([]);
      assert.deepEqual(await dataPath.wiredPorts(), []);
    });

    it('a port whose rules or port security change stays wired', async () => {
      const { dataPath } = subject!;
      const a = await subject!.newPort('10.20.0.5');
      await dataPath.plugPort(a);
      await dataPath.syncPorts([{ ...a, rules: [] }]);
      await dataPath.plugPort({ ...a, portSecurityEnabled: false });
      assert.deepEqual(await dataPath.wiredPorts(), [a.portId]);
    });
  });
}
