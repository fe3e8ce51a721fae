/**
 * Which data endpoint serves the account (as xDrip's `getRecentData` decides): BLE devices
 * (MiniMed 7xxG, Simplera, BLE Guardian) → `display/message`; otherwise a care partner with
 * multi-follow (M2M) → the M2M patient endpoint; otherwise the classic `connect/data`.
 */

export type Route = 'ble' | 'm2m' | 'classic';

export interface RouteFacts {
  /** `deviceFamily` / `medicalDeviceFamily` from `monitor/data`. */
  family: string | undefined;
  /** Device names of the patient's recent uploads (patient accounts only). */
  uploads: readonly string[];
  carePartner: boolean;
  /** `personal.cp.m2m.enabled`. */
  m2m: boolean;
}

export function isBleFamily(family: string | undefined): boolean {
  return family !== undefined && /BLE|SIMPLERA/i.test(family);
}

export function isBleUpload(device: string): boolean {
  return /MINIMED|SIMPLERA/i.test(device);
}

export function chooseRoute(facts: RouteFacts): Route {
  if (isBleFamily(facts.family) || facts.uploads.some(isBleUpload)) return 'ble';
  return facts.carePartner && facts.m2m ? 'm2m' : 'classic';
}
