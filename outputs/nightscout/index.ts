import type { AxiosInstance } from 'axios';
import { COLLECTIONS, type Batch, type Collection, type NewestDates, type NightscoutDocument } from '../../lib/domain.js';
import { ConfigError, describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { createNightscoutClient, type NightscoutClient } from '../../lib/nightscout/client.js';
import { nsError } from '../../lib/nightscout/errors.js';
import { siteFrom, warnIfCleartext, type SiteNames } from '../../lib/nightscout/site.js';
import type { Secret } from '../../lib/secret.js';
import { serial } from '../../lib/serial.js';
import type { Output, StoreProgress, StoreResult } from '../../lib/contracts/output.js';
import { planApi, probeApi, type ApiDecision, type ApiPlan, type ApiSetting } from './api-choice.js';
import { createDevicestatusGuard, type DevicestatusGuard } from './devicestatus-guard.js';
import { prepareDocument } from './documents.js';
import { newestAll } from './newest.js';
import { addTally, createNotices, emptyTally, toStoreResult, type Notices, type Tally } from './tally.js';
import { storeV1 } from './v1.js';
import { storeV3 } from './v3.js';

/** Settings of the Nightscout output (`nightscoutOutputSchema`). */
export interface NightscoutSettings {
  endpoint: string;
  token?: Secret | undefined;
  apiSecret?: Secret | undefined;
  api: ApiSetting;
}

export interface NightscoutDeps {
  log: Logger;
  /** Wall clock in epoch ms (JWT renewal); defaults to `Date.now`. */
  now?: () => number;
  http?: AxiosInstance;
  /** v3 POSTs in flight; default 4. */
  concurrency?: number;
  /** How long `start` waits to learn whether the server has v3 before deciding on first use. */
  probeTimeoutMs?: number;
}

/** The settings users fix, named in every error of this output. */
export const OUTPUT_SITE_NAMES: SiteNames = {
  site: 'the target Nightscout',
  tokenVar: 'CONNECT_NIGHTSCOUT_TOKEN',
  secretVar: 'CONNECT_API_SECRET',
};

const PROBE_TIMEOUT_MS = 5_000;

class NightscoutOutput implements Output {
  readonly name = 'nightscout';
  /** A site catching up shows now at once and fills its history in behind; v1 devicestatus must go oldest first. */
  readonly newestFirst = ['entries', 'treatments'] as const;
  readonly #client: NightscoutClient;
  readonly #log: Logger;
  readonly #notices: Notices;
  readonly #devicestatus: DevicestatusGuard = createDevicestatusGuard();
  readonly #plan: ApiPlan | Error;
  readonly #deps: NightscoutDeps;
  #decision: ApiDecision | undefined;
  #deciding: Promise<ApiDecision> | undefined;
  /** One store at a time: the devicestatus guard must see each write's outcome before the next. */
  readonly #serial = serial();

  constructor(settings: NightscoutSettings, deps: NightscoutDeps) {
    const site = siteFrom(settings, OUTPUT_SITE_NAMES);
    this.#deps = deps;
    this.#log = deps.log;
    this.#client = createNightscoutClient(site, { now: deps.now ?? Date.now, ...(deps.http ? { http: deps.http } : {}) });
    this.#notices = createNotices(deps.log, site.names);
    // Kept, not thrown: a config error surfaces from `start`, before anything runs.
    this.#plan = tryPlan(() => planApi(site, settings.api));
  }

  async start(): Promise<void> {
    const plan = this.#plan;
    if (plan instanceof Error) throw plan;
    if (plan.kind === 'decided') {
      this.#decided(plan.decision);
      return;
    }
    try {
      await this.#decide(AbortSignal.timeout(this.#deps.probeTimeoutMs ?? PROBE_TIMEOUT_MS));
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      // A Nightscout that is down at boot must not stop the bridge: frames retry, and decide then.
      this.#log.warn({ err: error }, `Nightscout output: cannot ask ${this.#client.site.baseUrl} which API it has yet (${describeError(error)}); deciding on first use`);
    }
  }

  async newest(signal: AbortSignal): Promise<NewestDates> {
    const { api } = await this.#decide(signal);
    return newestAll(this.#client, api, signal, this.#now());
  }

  store(batch: Batch, signal: AbortSignal, progress?: StoreProgress): Promise<StoreResult> {
    return this.#serial.run(async () => {
      const { api } = await this.#decide(signal);
      const tally = emptyTally();
      for (const collection of COLLECTIONS) {
        const docs = this.#prepare(collection, batch[collection], tally, progress);
        if (docs.length === 0) continue;
        const ctx = { client: this.#client, notices: this.#notices, devicestatus: this.#devicestatus, concurrency: this.#deps.concurrency, now: this.#now, progress };
        addTally(tally, api === 'v3' ? await storeV3(ctx, collection, docs, signal) : await storeV1(ctx, collection, docs, signal));
      }
      return toStoreResult(tally);
    });
  }

  #now = (): number => (this.#deps.now ?? Date.now)();

  async stop(): Promise<void> {
    await this.#serial.idle();
  }

  /** Valid documents, ready to send; the others are counted as rejected and logged (NS013). */
  #prepare(collection: Collection, docs: readonly NightscoutDocument[], tally: Tally, progress: StoreProgress | undefined): NightscoutDocument[] {
    const ready: NightscoutDocument[] = [];
    for (const input of docs) {
      const prepared = prepareDocument(collection, input);
      if (prepared.ok) {
        ready.push(prepared.doc);
        continue;
      }
      tally.rejected += 1;
      const error = nsError('NS013', { params: { site: this.#client.site.names.site, collection, reason: prepared.reason } });
      this.#notices.rejected(collection, input.identifier, error);
      progress?.(collection, [input], { result: 'rejected', error });
    }
    return ready;
  }

  #decide(signal: AbortSignal): Promise<ApiDecision> {
    if (this.#decision) return Promise.resolve(this.#decision);
    const plan = this.#plan;
    if (plan instanceof Error) return Promise.reject(plan);
    if (plan.kind === 'decided') return Promise.resolve(this.#decided(plan.decision));
    this.#deciding ??= probeApi(this.#client, plan.required, signal)
      .then((decision) => this.#decided(decision))
      .finally(() => {
        this.#deciding = undefined;
      });
    return this.#deciding;
  }

  /** Remembers the decision and says it once: which API, which credential, why, where. */
  #decided(decision: ApiDecision): ApiDecision {
    if (!this.#decision) this.#log.info({ api: decision.api }, `Nightscout output: ${decision.how} at ${this.#client.site.baseUrl}`);
    this.#decision = decision;
    return decision;
  }
}

function tryPlan(plan: () => ApiPlan): ApiPlan | Error {
  try {
    return plan();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Writes every document to a Nightscout site: API v3 (one POST per document, deduplicated on our
 * identifier) when a token is given and the server has it, else API v1 (arrays, the API secret
 * hashed, devicestatus never sent twice). `start` fails with NS001/NS015/NS010 for settings that
 * cannot work, never because the site is unreachable; 5xx and network errors are thrown (the
 * frame retries), other refusals are counted as `rejected` and logged with their code.
 */
export function createNightscoutOutput(settings: NightscoutSettings, deps: NightscoutDeps): Output {
  warnIfCleartext(siteFrom(settings, OUTPUT_SITE_NAMES), deps.log);
  return new NightscoutOutput(settings, deps);
}
