/**
 * Redis key names, all under `<prefix>:<bridge>:` so one bridge's state, lease and epoch sit
 * together (one SCAN pattern shows or removes them). State keys are `[A-Za-z0-9_-]` (state-store.ts),
 * so the `~` of the lease and epoch keys and the `:lines` suffix can never collide with one.
 */
export interface BridgeKeys {
  /** A JSON document (`StateStore.read`/`write`). */
  state(key: string): string;
  /** A list kept as JSON lines, one string (`readLines`/`appendLines`). */
  lines(key: string): string;
  /** Holds the owning process's token while its lease lives (`SET … NX PX`). */
  readonly lease: string;
  /** Counts owners: each acquire increments it; a write carrying an older number is refused. */
  readonly epoch: string;
  /** `<epoch> <seconds> <microseconds>`: when that epoch's lease was taken, by Redis's clock (no expiry, like the epoch). */
  readonly since: string;
}

export function bridgeKeys(prefix: string, bridge: string): BridgeKeys {
  const base = `${prefix}:${bridge}:`;
  return {
    state: (key) => `${base}${key}`,
    lines: (key) => `${base}${key}:lines`,
    lease: `${base}~lease`,
    epoch: `${base}~epoch`,
    since: `${base}~since`,
  };
}
