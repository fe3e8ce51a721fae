import { createHash } from 'node:crypto';

/** The 16 ASCII bytes `NightscoutRocks!`, the namespace Nightscout API v3 uses. */
const NIGHTSCOUT_NAMESPACE = Buffer.from('NightscoutRocks!', 'ascii');

/** RFC 4122 UUIDv5 of `name` in a 16-byte namespace. */
export function uuidV5(name: string, namespace: Buffer = NIGHTSCOUT_NAMESPACE): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The sync identity Nightscout v3 computes for a document without one: `<device>_<date>` plus
 * `_<eventType>` when it is truthy. Ours is equal, so the server dedups what we send.
 */
export function syncIdentifier(doc: { device: string; date: number; eventType?: string | undefined }): string {
  const name = doc.eventType ? `${doc.device}_${doc.date}_${doc.eventType}` : `${doc.device}_${doc.date}`;
  return uuidV5(name);
}
