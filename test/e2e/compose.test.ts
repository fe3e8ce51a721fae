import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, tempDir } from './cli.js';
import { envOf, parseDockerfile } from './dockerfile.js';
import { unreadNames } from './known-settings.js';

interface Service {
  build?: string;
  image?: string;
  env_file?: string | string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  command?: string;
}

const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const hub = compose.services['gluco-hub']!;
const image = envOf(parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1)!);

/** `NAME=value` lines of the example env file, commented-out ones too: they are what people uncomment. */
function exampleEnv(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'gluco-hub.env.example'), 'utf8');
  const lines = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=(.*)$/gm)];
  return Object.fromEntries(lines.map(([, name, value]) => [name!, value || `placeholder-${name!.toLowerCase()}`]));
}

describe('compose.yaml', () => {
  it('builds this Dockerfile and runs it next to Mosquitto, MQTT wired to it by name', () => {
    expect(hub.build).toBe('.');
    expect(compose.services.mosquitto?.image).toMatch(/^eclipse-mosquitto:2\b/);
    expect(hub.environment?.GLUCO_HUB__MQTT__URL).toBe('mqtt://mosquitto:1883');
  });

  it('mounts named volumes on the image\'s state and data folders', () => {
    const mounts = Object.fromEntries((hub.volumes ?? []).map((v) => v.split(':').reverse() as [string, string]));
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining([mounts['/var/lib/gluco-hub/state'], mounts['/var/lib/gluco-hub/data']]));
    expect(image.GLUCO_HUB__STATE_DIR).toBe('/var/lib/gluco-hub/state');
    expect(hub.environment?.GLUCO_HUB__FILESYSTEM__DIR?.startsWith('/var/lib/gluco-hub/data/')).toBe(true);
  });

  it('takes the bearer token from the env file, never from the compose file', () => {
    expect(hub.env_file).toBe('gluco-hub.env');
    expect(Object.keys(exampleEnv())).toContain('GLUCO_HUB__HTTP__BEARER_TOKEN');
    expect(Object.keys(hub.environment ?? {}).filter((k) => /TOKEN|PASSWORD|SECRET/.test(k))).toEqual([]);
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('gluco-hub.env');
  });

  it('sets only names gluco-hub reads, as its config loader sees them with the image\'s settings', () => {
    const env = { ...image, ...exampleEnv(), ...hub.environment };
    delete env.NODE_ENV;
    expect(unreadNames(env, tempDir())).toEqual([]);
  });
});
