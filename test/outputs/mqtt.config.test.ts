import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';

describe('MQTT settings from the environment', () => {
  it('reads GLUCO_HUB__MQTT__* (the password from _FILE, masked) with the documented defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluco-hub-mqtt-env-'));
    writeFileSync(join(dir, 'pw'), 'pw-from-file\n');
    const config = loadConfig({
      env: {
        GLUCO_HUB__MQTT__URL: 'mqtts://broker.lan',
        GLUCO_HUB__MQTT__USERNAME: 'gluco',
        GLUCO_HUB__MQTT__PASSWORD_FILE: join(dir, 'pw'),
        GLUCO_HUB__MQTT__DISCOVERY: 'true',
        GLUCO_HUB__MQTT__UNIT: 'mmol',
        GLUCO_HUB__MQTT__STALE_AFTER: '600',
        GLUCO_HUB__MQTT__TLS__CA: '/etc/ssl/ca.pem',
        GLUCO_HUB__STATE_DIR: dir,
      },
      cwd: dir,
    });
    const mqtt = config.bridges[0]?.mqtt;
    expect(mqtt).toMatchObject({
      url: 'mqtts://broker.lan',
      topicPrefix: 'gluco-hub',
      username: 'gluco',
      protocolVersion: 5,
      qos: 1,
      discovery: true,
      discoveryPrefix: 'homeassistant',
      unit: 'mmol',
      staleAfterSeconds: 600,
      includePatient: true,
      tls: { ca: '/etc/ssl/ca.pem', rejectUnauthorized: true },
    });
    expect(mqtt?.password?.reveal()).toBe('pw-from-file');
    expect(JSON.stringify(mqtt)).not.toContain('pw-from-file');
  });
});
