/**
 * The all-in-one's console proxies: started for the enabled console kinds;
 * with port 0 the base URL handed to clients gets the port picked; a port
 * already taken leaves the cloud running and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { loadConfig } from '../../src/conf/loader.js';
import { startConsoleProxies } from '../../src/cli/console-proxies.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { testLogger } from '../helpers/logger.js';

const noDb = {} as ComputeDb;

test('port 0: the proxies listen on free ports and the base URLs carry them; only enabled kinds start', async () => {
  const conf = loadConfig({ env: {}, overrides: {
    vnc: { novncproxy_host: '127.0.0.1', novncproxy_port: 0, novncproxy_base_url: 'http://console.example:6080/vnc_lite.html' },
    serial_console: { enabled: true, serialproxy_host: '127.0.0.1', serialproxy_port: 0 },
  } });
  const proxies = await startConsoleProxies(conf, noDb, testLogger);
  try {
    const novnc = new URL(proxies.novncproxyBaseUrl);
    const serial = new URL(proxies.serialBaseUrl);
    assert.equal(`${novnc.hostname}${novnc.pathname}`, 'console.example/vnc_lite.html');
    assert.notEqual(novnc.port, '6080');
    assert.notEqual(serial.port, '6083');
    assert.equal(proxies.notes.length, 2);
    // The serial proxy answers where its URL says (on 127.0.0.1).
    const res = await fetch(`http://127.0.0.1:${serial.port}/`);
    assert.equal(res.status, 404);
  } finally {
    await proxies.close();
  }
  const off = await startConsoleProxies(loadConfig({ env: {}, overrides: { vnc: { enabled: false } } }), noDb, testLogger);
  assert.deepEqual(off.notes, []);
  await off.close();
});

test('a taken port: the cloud goes on without that proxy, and the note says why', async () => {
  const squatter = net.createServer().listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  const port = (squatter.address() as net.AddressInfo).port;
  try {
    const conf = loadConfig({ env: {}, overrides: { vnc: { novncproxy_host: '127.0.0.1', novncproxy_port: port } } });
    const proxies = await startConsoleProxies(conf, noDb, testLogger);
    assert.equal(proxies.novncproxyBaseUrl, conf.vnc.novncproxy_base_url);
    assert.match(proxies.notes[0], new RegExp(`noVNC proxy: not running \\(127\\.0\\.0\\.1:${port} is in use\\)`));
    await proxies.close();
  } finally {
    squatter.close();
  }
});
