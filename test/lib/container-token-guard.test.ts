import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { commandOf, configFileOf, tokenRefusal } from '../../lib/container/token-guard.js';

const http = (env: Record<string, string>) => loadConfig({ env: { GLUCO_HUB__HTTP__BIND: '0.0.0.0:8080', ...env }, cwd: '/tmp' }).http;

describe('the container refuses to serve the HTTP API without a bearer token', () => {
  it('refuses forever with the API on and no token, naming the settings that fix it (DOCKER001)', () => {
    const refusal = tokenRefusal(['forever'], http({}));
    expect(refusal?.code).toBe('DOCKER001');
    expect(refusal?.toUserLine()).toMatch(/^\[DOCKER001\] .*0\.0\.0\.0:8080.* — set GLUCO_HUB__HTTP__BEARER_TOKEN \(or GLUCO_HUB__HTTP__BEARER_TOKEN_FILE/);
  });

  it('lets forever run with a token, or with the API off', () => {
    expect(tokenRefusal(['forever'], http({ GLUCO_HUB__HTTP__BEARER_TOKEN: 'a-long-random-token' }))).toBeUndefined();
    expect(tokenRefusal(['forever'], http({ GLUCO_HUB__HTTP__ENABLED: 'false' }))).toBeUndefined();
  });

  it('lets the commands that serve nothing run without a token', () => {
    for (const argv of [['capture'], ['check-config'], ['login', 'carelink'], ['dlq', 'list'], ['--help'], []]) {
      expect(tokenRefusal(argv, http({}))).toBeUndefined();
    }
  });

  it('finds the command and the config file behind options', () => {
    expect(commandOf(['--log-level', 'debug', 'forever'])).toBe('forever');
    expect(commandOf(['--version'])).toBeUndefined();
    expect(configFileOf(['--config', '/config/hub.yaml', 'forever'])).toBe('/config/hub.yaml');
    expect(configFileOf(['forever', '--config=/config/hub.yaml'])).toBe('/config/hub.yaml');
    expect(configFileOf(['forever'])).toBeUndefined();
  });
});
