import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printableConfig } from '../../lib/config/printable.js';
import { configLoader, failure } from './config-harness.js';

const { cwd, load } = configLoader('gh-config-state-');

describe('state in Redis and leases: settings', () => {
  it('is off by default: files under the state directory, 30 s leases', () => {
    const config = load({});
    expect(config.state).toEqual({ prefix: 'gluco-hub' });
    expect(config.fleet).toEqual({ leaseMs: 30_000 });
  });

  it('reads GLUCO_HUB__STATE__URL, …__PASSWORD_FILE, …__PREFIX and GLUCO_HUB__FLEET__LEASE_MS; the password prints masked', () => {
    const secret = join(cwd, 'redis-password');
    writeFileSync(secret, 's3cret-redis\n');
    const config = load({
      GLUCO_HUB__STATE__URL: 'rediss://redis.internal:6380/2',
      GLUCO_HUB__STATE__PASSWORD_FILE: secret,
      GLUCO_HUB__STATE__PREFIX: 'fleet-eu',
      GLUCO_HUB__FLEET__LEASE_MS: '10000',
    });
    expect(config.state.url).toBe('rediss://redis.internal:6380/2');
    expect(config.state.password?.reveal()).toBe('s3cret-redis');
    expect(config.state.prefix).toBe('fleet-eu');
    expect(config.fleet.leaseMs).toBe(10_000);
    expect(JSON.stringify(printableConfig(config))).not.toContain('s3cret-redis');
  });

  it('takes them from the config file too', () => {
    const file = join(cwd, 'fleet.yaml');
    writeFileSync(file, 'state:\n  url: redis://127.0.0.1:6379\nfleet:\n  leaseMs: 5000\nbridges:\n  - id: a\n    source: { kind: simulator }\n');
    const config = load({}, { config: file });
    expect(config.state.url).toBe('redis://127.0.0.1:6379');
    expect(config.fleet.leaseMs).toBe(5_000);
  });

  it('refuses a password in the URL without printing it, a URL that is not Redis, and a lease too short to renew', () => {
    const creds = failure(() => load({ GLUCO_HUB__STATE__URL: 'redis://:hunter2@redis.internal:6379' }));
    expect(creds.message).toMatch(/^\[CFG006\] invalid state\.url: must not contain credentials: set GLUCO_HUB__STATE__PASSWORD .*fix GLUCO_HUB__STATE__URL$/);
    expect(creds.message).not.toContain('hunter2');
    expect(failure(() => load({ GLUCO_HUB__STATE__URL: 'http://redis.internal' })).message).toMatch(/redis:\/\/ or rediss:\/\//);
    expect(failure(() => load({ GLUCO_HUB__FLEET__LEASE_MS: '100' })).message).toMatch(/\[CFG006\].*GLUCO_HUB__FLEET__LEASE_MS/);
    expect(failure(() => load({ GLUCO_HUB__STATE__PREFIX: 'a:b' })).message).toMatch(/GLUCO_HUB__STATE__PREFIX/);
  });

  it('takes the shard from --shard, GLUCO_HUB__FLEET__SHARD or fleet.shard, and the count alone from GLUCO_HUB__FLEET__SHARDS', () => {
    const url = { GLUCO_HUB__STATE__URL: 'redis://127.0.0.1:6379' };
    expect(load({ ...url, GLUCO_HUB__FLEET__SHARD: '1/3' }).fleet.shard).toEqual({ index: 1, count: 3 });
    expect(load({ ...url, GLUCO_HUB__FLEET__SHARD: '1/3' }, { shard: '2/3' }).fleet.shard).toEqual({ index: 2, count: 3 });
    expect(load({ ...url, GLUCO_HUB__FLEET__SHARDS: '4' }).fleet).toEqual({ leaseMs: 30_000, shards: 4 });
    const file = join(cwd, 'sharded.yaml');
    writeFileSync(file, 'state:\n  url: redis://127.0.0.1:6379\nfleet:\n  shard: 0/2\nbridges:\n  - id: a\n    source: { kind: simulator }\n');
    expect(load({}, { config: file }).fleet.shard).toEqual({ index: 0, count: 2 });
  });

  it('refuses a malformed shard with CFG013, naming where it came from, and a shard without the fleet\'s Redis', () => {
    const url = { GLUCO_HUB__STATE__URL: 'redis://127.0.0.1:6379' };
    const high = failure(() => load({ ...url, GLUCO_HUB__FLEET__SHARD: '3/3' }));
    expect(high.code).toBe('CFG013');
    expect(high.message).toMatch(/fleet\.shard the index must be below the shard count \(0 to 2\); got 3\/3/);
    expect(failure(() => load(url, { shard: '0/0' })).message).toMatch(/^\[CFG013\].*count must be 1 to 1024/);
    expect(failure(() => load(url, { shard: 'two' })).message).toMatch(/^\[CFG013\].*must be i\/N/);
    expect(failure(() => load({ ...url, GLUCO_HUB__FLEET__SHARDS: '0' })).code).toBe('CFG013');
    expect(failure(() => load({ ...url, GLUCO_HUB__FLEET__SHARDS: 'three' })).message).toMatch(/^\[CFG013\] fleet\.shards must be a whole number from 1 to 1024; got "three"/);
    expect(failure(() => load({ ...url, GLUCO_HUB__FLEET__SHARDS: '2.5' })).code).toBe('CFG013');
    const alone = failure(() => load({}, { shard: '0/2' }));
    expect(alone.code).toBe('CFG013');
    expect(alone.message).toMatch(/needs the fleet's Redis: set GLUCO_HUB__STATE__URL/);
  });
});

describe('egress address and fleet-wide budgets: settings', () => {
  it('reads GLUCO_HUB__FLEET__LOCAL_ADDRESS (IPv4 or IPv6) and the per-bridge and per-login windows', () => {
    const config = load({
      GLUCO_HUB__FLEET__LOCAL_ADDRESS: ' 192.0.2.10 ',
      GLUCO_HUB__VENDOR_BUDGET__PER_BRIDGE__REQUESTS: '6',
      GLUCO_HUB__VENDOR_BUDGET__PER_LOGIN__REQUESTS: '20',
      GLUCO_HUB__VENDOR_BUDGET__PER_LOGIN__SECONDS: '300',
    });
    expect(config.fleet.localAddress).toBe('192.0.2.10');
    expect(config.vendorBudget).toEqual({ requestsPerSecond: 5, concurrency: 8, perBridge: { requests: 6, seconds: 60 }, perLogin: { requests: 20, seconds: 300 } });
    expect(load({ GLUCO_HUB__FLEET__LOCAL_ADDRESS: '2001:db8::10' }).fleet.localAddress).toBe('2001:db8::10');
    expect(load({}).vendorBudget).toEqual({ requestsPerSecond: 5, concurrency: 8 });
  });

  it('takes a bridge\'s own localAddress from the config file', () => {
    const file = join(cwd, 'egress.yaml');
    writeFileSync(file, 'fleet:\n  localAddress: 192.0.2.1\nbridges:\n  - id: a\n    localAddress: 192.0.2.7\n    source: { kind: simulator }\n  - id: b\n    source: { kind: simulator }\n');
    const config = load({}, { config: file });
    expect(config.fleet.localAddress).toBe('192.0.2.1');
    expect(config.bridges.map((b) => b.localAddress)).toEqual(['192.0.2.7', undefined]);
  });

  it('refuses an egress address that is not an IP literal (CFG012), in the environment and per bridge', () => {
    expect(failure(() => load({ GLUCO_HUB__FLEET__LOCAL_ADDRESS: 'egress1.example.org' })).message).toMatch(/^\[CFG012\] .*"egress1\.example\.org" is not an IP address: give an IPv4 or IPv6 literal/);
    expect(failure(() => load({ GLUCO_HUB__FLEET__LOCAL_ADDRESS: 'egress1.example.org' })).message).toMatch(/^\[CFG012\] fleet\.localAddress /);
    expect(failure(() => load({ GLUCO_HUB__FLEET__LOCAL_ADDRESS: '192.0.2.300' })).message).toMatch(/^\[CFG012\]/);
    const file = join(cwd, 'egress-bad.yaml');
    writeFileSync(file, 'bridges:\n  - id: a\n    localAddress: "10.0.0.1:8080"\n    source: { kind: simulator }\n');
    expect(failure(() => load({}, { config: file })).message).toMatch(/^\[CFG012\] bridges\[0\]\.localAddress "10\.0\.0\.1:8080" is not an IP address/);
    expect(failure(() => load({ GLUCO_HUB__VENDOR_BUDGET__PER_LOGIN__REQUESTS: '0' })).message).toMatch(/\[CFG006\].*PER_LOGIN/);
  });
});
