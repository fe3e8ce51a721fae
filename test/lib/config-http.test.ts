import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../lib/secret.js';
import { configLoader, failure } from './config-harness.js';

const { cwd, load } = configLoader('gh-config-http-');


describe('HTTP API settings', () => {
  it('are on, on 127.0.0.1:8080, without a token, in mg/dL, when nothing is set (in a mg/dL locale)', () => {
    expect(load({ LANG: 'en_US.UTF-8' }).http).toEqual({ enabled: true, bind: '127.0.0.1:8080', metricsAuth: false, unit: 'mgdl' });
  });

  it('take the status page unit as users write it', () => {
    expect(load({ GLUCO_HUB__HTTP__UNIT: ' MMOL ' }).http.unit).toBe('mmol');
  });

  it('come from GLUCO_HUB__HTTP__*, and --http wins over the environment', () => {
    const env = { GLUCO_HUB__HTTP__ENABLED: 'false', GLUCO_HUB__HTTP__BIND: '0.0.0.0:9000', GLUCO_HUB__HTTP__BEARER_TOKEN: 'tok-1' };
    const config = load(env);
    expect(config.http).toMatchObject({ enabled: false, bind: '0.0.0.0:9000' });
    expect(config.http.bearerToken).toBeInstanceOf(Secret);
    expect(config.http.bearerToken?.reveal()).toBe('tok-1');
    expect(JSON.stringify(config)).not.toContain('tok-1');
    expect(load(env, { httpBind: '[::1]:7000' }).http.bind).toBe('[::1]:7000');
  });

  it('take the token from GLUCO_HUB__HTTP__BEARER_TOKEN_FILE and from bearerTokenFile in a config file', () => {
    const secretFile = join(cwd, 'http-token');
    writeFileSync(secretFile, 'tok-from-file\n');
    expect(load({ GLUCO_HUB__HTTP__BEARER_TOKEN_FILE: secretFile }).http.bearerToken?.reveal()).toBe('tok-from-file');
    const file = join(cwd, 'http.yaml');
    writeFileSync(file, 'http:\n  bind: 127.0.0.1:8181\n  bearerTokenFile: http-token\nsource: { kind: simulator }\n');
    const config = load({}, { config: file });
    expect(config.http.bind).toBe('127.0.0.1:8181');
    expect(config.http.bearerToken?.reveal()).toBe('tok-from-file');
  });

  it.each(['localhost', '8080', 'host:99999', 'http://127.0.0.1:8080', ':8080'])('refuse bind "%s", naming the variable and the flag', (bind) => {
    const err = failure(() => load({ GLUCO_HUB__HTTP__BIND: bind }));
    expect(err.code).toBe('CFG006');
    expect(err.message).toContain('http.bind');
    expect(err.message).toContain('GLUCO_HUB__HTTP__BIND (or --http)');
  });

  it.each(['127.0.0.1:99999', '[::1]:65536'])('say that the port of bind "%s" is out of range', (bind) => {
    const err = failure(() => load({ GLUCO_HUB__HTTP__BIND: bind }));
    expect(err.code).toBe('CFG006');
    expect(err.message).toContain(`port ${bind.split(':').pop()} is out of range: use 1–65535 (0 picks a free one)`);
    expect(err.message).toContain('GLUCO_HUB__HTTP__BIND (or --http)');
    expect(err.message).not.toContain('must be host:port');
  });

  it('put /metrics behind the token with GLUCO_HUB__HTTP__METRICS_AUTH, and refuse it without a token to check', () => {
    expect(load({ GLUCO_HUB__HTTP__METRICS_AUTH: 'true', GLUCO_HUB__HTTP__BEARER_TOKEN: 'tok-1' }).http.metricsAuth).toBe(true);
    expect(load({ GLUCO_HUB__HTTP__BEARER_TOKEN: 'tok-1' }).http.metricsAuth).toBe(false);
    const err = failure(() => load({ GLUCO_HUB__HTTP__METRICS_AUTH: 'true' }));
    expect(err.code).toBe('CFG006');
    expect(err.message).toContain('GLUCO_HUB__HTTP__METRICS_AUTH');
    expect(err.message).toContain('GLUCO_HUB__HTTP__BEARER_TOKEN');
  });

  it('name the variable for a bad enabled flag', () => {
    const err = failure(() => load({ GLUCO_HUB__HTTP__ENABLED: 'maybe' }));
    expect(err.message).toContain('GLUCO_HUB__HTTP__ENABLED');
  });
});
