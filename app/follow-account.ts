import { followedPatients, type BridgeConfig } from '../lib/config/schema.js';
import type { DriverContext, SourceDriver } from '../lib/contracts/source.js';
import type { Person } from './followed-people.js';

/** A bridge that follows several people (`source.patients`): one account, a bridge per person. */
export function followsSeveral(bridge: BridgeConfig): boolean {
  return followedPatients(bridge.source) !== undefined;
}

/** One login shared by the drivers of everyone the account follows. */
export interface PeopleAccount {
  people(signal: AbortSignal): Promise<Person[]>;
  driverFor(person: Person, ctx: DriverContext): SourceDriver;
  close(): void;
}

export interface FollowedAccountSource {
  account: PeopleAccount;
  /** How log lines and warnings name the vendor: nobody followed, and a setting that matches nobody. */
  vendor: { name: string; nobodyCode: string; unmatchedCode: string };
  /** Between connections calls: the source's poll interval. */
  intervalMs: number;
}

/** The account of a bridge that follows several people (its vendor code loads only here); undefined for a source that cannot. */
export async function followAccount(bridge: BridgeConfig, ctx: DriverContext): Promise<FollowedAccountSource | undefined> {
  if (bridge.source.kind === 'linkup') {
    const { createLluAccount } = await import('../sources/librelinkup/account.js');
    return { account: createLluAccount(bridge.source, ctx), vendor: { name: 'LibreLink Up', nobodyCode: 'LLU018', unmatchedCode: 'LLU029' }, intervalMs: bridge.source.intervalSeconds * 1000 };
  }
  if (bridge.source.kind === 'minimedcarelink') {
    const { createCareLinkAccount } = await import('../sources/carelink/account.js');
    return { account: createCareLinkAccount(bridge.source, ctx), vendor: { name: 'CareLink', nobodyCode: 'CL013', unmatchedCode: 'CL026' }, intervalMs: bridge.source.intervalSeconds * 1000 };
  }
  return undefined;
}
