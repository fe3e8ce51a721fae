import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { pluginEnv } from '../../app/plugin/settings.js';

describe("the plugin's settings", () => {
  it('take the display unit from the site (DISPLAY_UNITS → settings.units)', () => {
    expect(pluginEnv({ settings: { units: 'mmol' } }, {}).GLUCO_HUB__UNIT).toBe('mmol');
    expect(pluginEnv({ settings: { units: 'mmol/L' } }, {}).GLUCO_HUB__UNIT).toBe('mmol');
    expect(pluginEnv({ settings: { units: 'mg/dl' } }, { LANG: 'en_GB.UTF-8' }).GLUCO_HUB__UNIT).toBe('mgdl');
    expect(pluginEnv({}, {}).GLUCO_HUB__UNIT).toBeUndefined();
  });

  it('leave an explicit GLUCO_HUB__UNIT alone', () => {
    expect(pluginEnv({ settings: { units: 'mmol' } }, { GLUCO_HUB__UNIT: 'mgdl' }).GLUCO_HUB__UNIT).toBe('mgdl');
  });

  it('reach the loaded config, where the site unit beats the locale', () => {
    const env = pluginEnv({ settings: { units: 'mg/dl' }, extendedSettings: { connect: { source: 'simulator' } } }, { LANG: 'en_GB.UTF-8' });
    expect(loadConfig({ env, cwd: '/nonexistent', embedded: true }).unit).toBe('mgdl');
  });
});
