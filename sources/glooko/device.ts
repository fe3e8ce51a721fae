import { randomBytes } from 'node:crypto';
import type { DriverContext } from '../../lib/contracts/source.js';
import { persistedDeviceSchema, readRecord, STATE_KEYS } from './persisted.js';

/**
 * The `deviceInformation` block of the sign-in: the full Android profile the
 * Glooko app sends. Accounts that got "0 treatments" with the bare `{deviceModel}` body work with it
 * (nightscout-connect#38). `deviceId`/`serialNumber` stay the same for an install — a new phone on
 * every sign-in is what a scripted client looks like.
 */
export const DEVICE_PROFILE = {
  applicationType: 'logbook',
  os: 'android',
  osVersion: '33',
  device: 'Google Pixel 4a',
  deviceManufacturer: 'Google',
  deviceModel: 'Pixel 4a',
  clinicalResearch: false,
  applicationVersion: '6.1.3',
  buildNumber: '0',
  gitHash: 'g4fbed2011b',
} as const;

export interface DeviceIdentity {
  deviceId: string;
  serialNumber: string;
}

export type DeviceInformation = typeof DEVICE_PROFILE & DeviceIdentity;

/** Configured values win; otherwise the install's persisted identity, made on first use. */
export async function deviceIdentity(ctx: DriverContext, configured: Partial<DeviceIdentity>): Promise<DeviceIdentity> {
  const stored = await readRecord(ctx.state, STATE_KEYS.device, persistedDeviceSchema);
  let identity = stored;
  if (!identity) {
    identity = { deviceId: randomBytes(8).toString('hex'), serialNumber: randomBytes(12).toString('hex'), createdAt: ctx.now() };
    const record = identity;
    await ctx.state.write(STATE_KEYS.device, record).catch((error: unknown) => ctx.log.warn({ err: error }, 'could not persist the Glooko device id; the next run makes a new one'));
  }
  return { deviceId: configured.deviceId ?? identity.deviceId, serialNumber: configured.serialNumber ?? identity.serialNumber };
}

export function deviceInformation(identity: DeviceIdentity): DeviceInformation {
  return { ...DEVICE_PROFILE, ...identity };
}
