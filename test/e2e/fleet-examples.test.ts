import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../lib/config/load.js';
import { resolveShard } from '../../lib/fleet/shards.js';
import { ROOT, tempDir } from './cli.js';
import { unreadNames } from './known-settings.js';

/**
 * The fleet examples in docs/fleet/ as gluco-hub would read them: every process's settings load
 * (with the bridges file the compose example mounts), the shards cover 0..N-1 once each, and the
 * StatefulSet's pod names give the ordinals its shard count expects.
 */

const doc = (name: string): string => readFileSync(join(ROOT, 'docs', 'fleet', name), 'utf8');

/** The example bridges file with its secret files made real (placeholders) in a temp folder. */
function bridgesFile(): string {
  const secrets = mkdtempSync(join(tmpdir(), 'gh-fleet-secrets-'));
  const text = doc('bridges.example.yaml').replace(/\/run\/secrets\/([\w-]+)/g, (_, name: string) => {
    writeFileSync(join(secrets, name), `placeholder-${name}\n`);
    return join(secrets, name);
  });
  const file = join(secrets, 'bridges.yaml');
  writeFileSync(file, text);
  return file;
}

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

describe('docs/fleet/compose.yaml', () => {
  const compose = parse(doc('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
  const hubs = Object.entries(compose.services).filter(([name]) => name.startsWith('gluco-hub'));

  it('runs shards 0..N-1 once each, all on one config file and one Redis kept on disk', () => {
    const shards = hubs.map(([, s]) => s.command?.[s.command.indexOf('--shard') + 1]);
    expect(shards.sort()).toEqual(hubs.map((_, i) => `${i}/${hubs.length}`));
    for (const [, s] of hubs) {
      expect(s.command?.slice(0, 3)).toEqual(['forever', '--config', '/etc/gluco-hub/bridges.yaml']);
      expect(s.volumes).toContain('./bridges.yaml:/etc/gluco-hub/bridges.yaml:ro');
      expect(s.environment?.GLUCO_HUB__STATE__URL).toBe('redis://redis:6379/0');
    }
    expect(compose.services.redis?.command).toEqual(['redis-server', '--appendonly', 'yes']);
  });

  it("each process's settings load as gluco-hub reads them, and every name is one it reads", () => {
    const config = bridgesFile();
    for (const [, s] of hubs) {
      const shard = s.command![s.command!.indexOf('--shard') + 1]!;
      const loaded = loadConfig({ env: s.environment!, cli: { config, shard }, cwd: tempDir() });
      expect(loaded.bridges.map((b) => b.id)).toEqual(['anna', 'ben']);
      expect(loaded.state.url).toBe('redis://redis:6379/0');
      expect(unreadNames(s.environment!, tempDir())).toEqual([]);
    }
  });
});

describe('docs/fleet/statefulset.yaml', () => {
  const docs = parseAllDocuments(doc('statefulset.yaml')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
  const set = docs.find((d) => d.kind === 'StatefulSet')!;
  const service = docs.find((d) => d.kind === 'Service')!;
  const spec = set.spec as { serviceName: string; replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[]; args: string[]; ports: { containerPort: number }[] }[] } } };
  const container = spec.template.spec.containers[0]!;
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? `placeholder-${e.name.toLowerCase()}`]));

  it("gives each pod the shard its name ends in: the replicas are the shard count", () => {
    expect(spec.serviceName).toBe(service.metadata.name);
    expect(Number(env.GLUCO_HUB__FLEET__SHARDS)).toBe(spec.replicas);
    for (let i = 0; i < spec.replicas; i += 1) {
      expect(resolveShard({ shards: spec.replicas }, `${set.metadata.name}-${i}`)).toEqual({ index: i, count: spec.replicas });
    }
  });

  it('loads as gluco-hub reads it, serves its probes on the port the image binds, and every name is one it reads', () => {
    const loaded = loadConfig({ env, cli: { config: bridgesFile() }, cwd: tempDir() });
    expect(loaded.fleet.shards).toBe(spec.replicas);
    expect(loaded.state.url).toBe('redis://redis:6379/0');
    expect(container.args).toEqual(['forever', '--config', '/etc/gluco-hub/bridges.yaml']);
    expect(container.ports[0]?.containerPort).toBe(8080);
    expect(unreadNames(env, tempDir())).toEqual([]);
  });
});
