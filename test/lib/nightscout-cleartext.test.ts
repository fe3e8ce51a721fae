import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cleartextWarning, isLoopback, siteFrom, type SiteNames } from '../../lib/nightscout/site.js';
import { Secret } from '../../lib/secret.js';
import { createNightscoutOutput } from '../../outputs/nightscout/index.js';
import { createNightscoutSourceDriver } from '../../sources/nightscout/index.js';
import { captureLog } from '../fakes/capture-log.js';
import { testDriverContext } from '../fakes/driver-context.js';

/**
 * A Nightscout site over plain http:// to another machine: the token (or the API secret's hash,
 * which Nightscout accepts like the secret) travels readable. One coded warning at start (NS017),
 * for the target and for a Nightscout source; none for https:// or for this machine.
 */

const TOKEN = 'uploader-0123456789abcdef';
const SECRET = 'a-plain-api-secret';
const SECRET_SHA1 = createHash('sha1').update(SECRET).digest('hex');
const NAMES: SiteNames = { site: 'the target Nightscout', tokenVar: 'CONNECT_NIGHTSCOUT_TOKEN', secretVar: 'CONNECT_API_SECRET' };

function warnings(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.includes('"code":"NS017"'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

describe('which hosts are this machine', () => {
  it('localhost, *.localhost, 127.0.0.0/8 and [::1]; not a LAN address, a docker service or a look-alike', () => {
    for (const host of ['localhost', 'LOCALHOST', 'ns.localhost', '127.0.0.1', '127.1.2.3', '[::1]']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['192.168.1.10', '10.0.0.2', 'nightscout', '127.0.0.1.nip.io', 'localhost.example.com', '[::2]', '0.0.0.0']) expect(isLoopback(host), host).toBe(false);
  });
});

describe('NS017', () => {
  it('http:// to another machine with a token: names the site, the host and what travels, never the token', () => {
    const warning = cleartextWarning(siteFrom({ endpoint: 'http://ns.example.com:1337/site', token: new Secret(TOKEN) }, NAMES));
    expect(warning?.code).toBe('NS017');
    expect(warning?.toUserLine()).toBe(
      "[NS017] the target Nightscout is reached over plain http:// at ns.example.com:1337: the access token and its JWT, and the glucose data, travel unencrypted, for anyone on the way to read and reuse — use the site's https:// address; plain http:// is fine only to this machine (localhost)",
    );
    expect(warning?.toUserLine()).not.toContain(TOKEN);
  });

  it('with the API secret: says its hash travels, and shows neither the secret nor the hash', () => {
    const line = cleartextWarning(siteFrom({ endpoint: 'http://192.168.1.10', apiSecret: new Secret(SECRET) }, NAMES))?.toUserLine() ?? '';
    expect(line).toContain("the API secret's hash (which Nightscout accepts like the secret)");
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain(SECRET_SHA1);
  });

  it('nothing for https:// or for this machine', () => {
    for (const endpoint of ['https://ns.example.com', 'http://127.0.0.1:1337', 'http://localhost:1337', 'http://[::1]:1337']) {
      expect(cleartextWarning(siteFrom({ endpoint, token: new Secret(TOKEN) }, NAMES)), endpoint).toBeUndefined();
    }
  });

  it('the Nightscout output warns once, when it is built at start, and not again when it starts', async () => {
    const logged = captureLog();
    const output = createNightscoutOutput({ endpoint: 'http://ns.example.com', apiSecret: new Secret(SECRET), api: 'v1' }, { log: logged.log, now: () => 0 });
    await output.start();
    expect(warnings(logged.text())).toHaveLength(1);
    expect(warnings(logged.text())[0]).toContain('the target Nightscout is reached over plain http:// at ns.example.com');
    await output.stop();
  });

  it('a Nightscout source warns once too, naming it as the source; read anonymously, only the glucose data travels', () => {
    const logged = captureLog();
    createNightscoutSourceDriver({ kind: 'nightscout', endpoint: 'http://their-site.example' }, testDriverContext(() => 0, { log: logged.log }));
    expect(warnings(logged.text())).toEqual([
      "[NS017] the source Nightscout is reached over plain http:// at their-site.example: the glucose data travels unencrypted, for anyone on the way to read — use the site's https:// address; plain http:// is fine only to this machine (localhost)",
    ]);
  });

  it('no warning for the output or the source on this machine', () => {
    const logged = captureLog();
    createNightscoutOutput({ endpoint: 'http://127.0.0.1:1337', token: new Secret(TOKEN), api: 'auto' }, { log: logged.log });
    createNightscoutSourceDriver({ kind: 'nightscout', endpoint: 'http://localhost:1337', token: new Secret(TOKEN) }, testDriverContext(() => 0, { log: logged.log }));
    expect(warnings(logged.text())).toEqual([]);
  });
});
