/**
 * rabbit:// transport URLs read as oslo.messaging reads them, and printed
 * without their password.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRabbitUrl, InvalidRabbitUrl, parseRabbitUrl } from '../../../src/bus/rabbit/url.js';
import { describeTransportUrl, openTransport, UnsupportedTransportUrl } from '../../../src/bus/transports.js';

describe('rabbit:// URLs', () => {
  test('user, password, host, port and virtual host', () => {
    assert.deepEqual(parseRabbitUrl('rabbit://nova:secret@10.0.0.5:5673/openstack'), {
      hosts: [{ hostname: '10.0.0.5', port: 5673, username: 'nova', password: 'secret' }],
      vhost: 'openstack',
    });
  });

  test('no port means 5672; no path or a bare slash means the default virtual host', () => {
    for (const url of ['rabbit://u:p@rabbit.example', 'rabbit://u:p@rabbit.example/']) {
      const u = parseRabbitUrl(url);
      assert.equal(u.hosts[0].port, 5672);
      assert.equal(u.vhost, '/');
    }
  });

  test('no credentials means guest/guest, as kombu assumes', () => {
    assert.deepEqual(parseRabbitUrl('rabbit://127.0.0.1:5672/').hosts[0], { hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' });
  });

  test('several hosts, comma-separated, are kept in order with their own credentials', () => {
    const u = parseRabbitUrl('rabbit://a:pa@h1:5672,b:pb@h2:5673,[::1]:5674/vh');
    assert.deepEqual(u.hosts.map((h) => [h.username, h.password, h.hostname, h.port]), [
      ['a', 'pa', 'h1', 5672], ['b', 'pb', 'h2', 5673], ['guest', 'guest', '::1', 5674],
    ]);
    assert.equal(u.vhost, 'vh');
  });

  test('percent-encoded credentials and virtual host are decoded', () => {
    const u = parseRabbitUrl('rabbit://us%40er:p%2Fa%40ss%2C@h/%2Fnova');
    assert.equal(u.hosts[0].username, 'us@er');
    assert.equal(u.hosts[0].password, 'p/a@ss,');
    assert.equal(u.vhost, '/nova');
  });

  test('a bad port or an empty host list is refused without echoing the URL', () => {
    for (const url of ['rabbit://u:hunter2@h:99999/', 'rabbit://u:hunter2@h:x/', 'rabbit:///vh']) {
      assert.throws(() => parseRabbitUrl(url), (err: unknown) => {
        assert.ok(err instanceof InvalidRabbitUrl);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      });
    }
  });

  test('the printable form masks every password', () => {
    const u = parseRabbitUrl('rabbit://a:topsecret@h1:5672,b:other-secret@h2:5673/vh');
    const shown = describeRabbitUrl(u);
    assert.equal(shown, 'rabbit://a:***@h1:5672,b:***@h2:5673/vh');
    assert.equal(describeTransportUrl('rabbit://a:topsecret@h1:5672,b:other-secret@h2:5673/vh'), shown);
    assert.equal(describeTransportUrl('memory://'), 'memory://');
  });

  test('openTransport refuses a malformed rabbit:// URL without its password', () => {
    assert.throws(() => openTransport('rabbit://u:hunter2@h:0/'), (err: unknown) => {
      assert.ok(err instanceof UnsupportedTransportUrl);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });
});
