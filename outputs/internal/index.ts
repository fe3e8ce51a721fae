import { newestDates, type Batch, type Collection, type NewestDates, type NightscoutDocument } from '../../lib/domain.js';
import type { Logger } from '../../lib/logger.js';
import { serial } from '../../lib/serial.js';
import { latest } from '../../lib/time.js';
import { sandboxSchema, type NightscoutCtx, type SandboxData } from '../../lib/nightscout/plugin-ctx.js';
import { createDevicestatusGuard } from '../nightscout/devicestatus-guard.js';
import type { Output, StoreResult } from '../../lib/contracts/output.js';
import { internalError } from './errors.js';
import { newestMs, onSite, sandboxNewest, type OnSite } from './sandbox.js';

/**
 * The output of gluco-hub running inside Nightscout: writes through the site's own storage
 * (`ctx.entries.create`, …) instead of its HTTP API, and learns what the site has from the
 * sandbox of every `data-processed`. Entries upsert on `sysTime`+`type` and treatments on
 * `identifier`, so a repeat is harmless there; devicestatus is a plain insert, so the same one
 * is never offered twice (the site's own identifiers, then the guard the HTTP output uses).
 */

export interface InternalOutputDeps {
  now: () => number;
  log: Logger;
}

export interface InternalOutput extends Output {
  /** Nightscout's `data-processed` sandbox: what the site holds now. */
  see(sandbox: unknown): void;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  return 'unknown error';
}

class NightscoutInternalOutput implements InternalOutput {
  readonly name = 'internal';
  readonly #ctx: NightscoutCtx;
  readonly #deps: InternalOutputDeps;
  readonly #guard = createDevicestatusGuard();
  /** Newest written per collection, until the next sandbox shows it. */
  #written: NewestDates = {};
  #data: SandboxData | undefined;
  #waiting: (() => void)[] = [];
  readonly #serial = serial();

  constructor(ctx: NightscoutCtx, deps: InternalOutputDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
  }

  see(sandbox: unknown): void {
    const parsed = sandboxSchema.safeParse(sandbox);
    if (!parsed.success) {
      this.#deps.log.debug('data-processed without a readable sandbox; keeping the previous one');
      return;
    }
    this.#data = parsed.data.data;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  async newest(signal: AbortSignal): Promise<NewestDates> {
    const data = await this.#sandbox(signal);
    const site = sandboxNewest(data, this.#deps.now());
    const out: NewestDates = {};
    for (const collection of ['entries', 'treatments', 'devicestatus'] as const) {
      const ms = latest(site[collection], this.#written[collection]);
      if (ms !== undefined) out[collection] = ms;
    }
    return out;
  }

  store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    return this.#serial.run(() => this.#store(batch, signal));
  }

  async stop(): Promise<void> {
    await this.#serial.idle();
  }

  /** The first sandbox comes with Nightscout's first data load; until then there is nothing to compare with. */
  #sandbox(signal: AbortSignal): Promise<SandboxData> {
    if (this.#data) return Promise.resolve(this.#data);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(() => {
        signal.removeEventListener('abort', onAbort);
        if (this.#data) resolve(this.#data);
      });
    });
  }

  async #store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    signal.throwIfAborted();
    const site = onSite(await this.#sandbox(signal));
    let stored = 0;
    let duplicates = 0;
    for (const collection of ['entries', 'treatments'] as const) {
      const docs = batch[collection].filter((doc) => !site.has(collection, doc));
      duplicates += batch[collection].length - docs.length;
      if (docs.length === 0) continue;
      await this.#write(collection, docs, signal);
      stored += docs.length;
    }
    if (batch.devicestatus.length > 0) {
      const { send, held } = await this.#newDevicestatus(batch.devicestatus, site);
      duplicates += held;
      if (send.length > 0) {
        try {
          await this.#write('devicestatus', send, signal);
        } catch (err) {
          this.#guard.uncertain();
          throw err;
        }
        this.#guard.sent(send);
        stored += send.length;
      }
    }
    for (const [collection, ms] of Object.entries(newestDates(batch)) as [Collection, number][]) {
      this.#written[collection] = latest(this.#written[collection], ms);
    }
    return { stored, duplicates };
  }

  async #newDevicestatus(docs: readonly NightscoutDocument[], site: OnSite): Promise<{ send: NightscoutDocument[]; held: number }> {
    const fresh = docs.filter((doc) => !site.has('devicestatus', doc));
    const devices = new Set(docs.map((doc) => doc.device));
    // Only our own device's statuses bound what is new: a loop app's uploads say nothing about the pump we read.
    const siteNewest = (): Promise<number | undefined> =>
      Promise.resolve(newestMs(this.#data?.devicestatus ?? [], this.#deps.now(), (d) => typeof d.device === 'string' && devices.has(d.device)));
    const { send, held } = await this.#guard.filter(fresh, siteNewest);
    return { send, held: held + docs.length - fresh.length };
  }

  #write(collection: 'entries' | 'treatments' | 'devicestatus', docs: readonly NightscoutDocument[], signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (err: unknown): void => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(internalError('NSI001', { params: { collection, reason: describe(err) }, cause: err instanceof Error ? err : undefined }));
        else resolve();
      };
      try {
        // Nightscout rewrites the documents it is given (sysTime, utcOffset, _id): it gets copies.
        this.#ctx[collection].create(docs.map((doc) => ({ ...doc })), (err) => done(err));
      } catch (err) {
        done(err ?? 'threw');
      }
    });
  }
}

export function createInternalOutput(ctx: NightscoutCtx, deps: InternalOutputDeps): InternalOutput {
  return new NightscoutInternalOutput(ctx, deps);
}
