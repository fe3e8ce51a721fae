import { z } from 'zod';

/**
 * What cgm-remote-monitor hands a connect plugin: its settings, its
 * event bus, its storage and its boot-error list. Only the parts gluco-hub uses are named here.
 */

/** `env.extendedSettings.connect`: `CONNECT_*` without the prefix, camelCased, numbers and booleans coerced. */
export type ConnectSettings = Record<string, unknown>;

export interface NightscoutEnv {
  extendedSettings?: Record<string, Record<string, unknown> | undefined>;
  /** The site's own settings; `units` comes from `DISPLAY_UNITS` (`mg/dl` by default, or `mmol`). */
  settings?: { units?: unknown };
  /** The plugins named in `ENABLE`. */
  enable?: readonly string[];
}

/** Nightscout's callback style: `(err, docs)`; errors may be strings. */
export type StorageCallback = (err: unknown, docs?: unknown) => void;

export interface StorageCollection {
  create(docs: Record<string, unknown>[], callback: StorageCallback): void;
}

export interface Bus {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface BootError {
  desc: string;
  err: string;
}

export interface NightscoutCtx {
  bus: Bus;
  entries: StorageCollection;
  treatments: StorageCollection;
  devicestatus: StorageCollection;
  profile?: StorageCollection;
  bootErrors?: BootError[];
}

/** A stored document as the sandbox holds it: `mills` set by Nightscout's data loader. */
const sandboxDocSchema = z.looseObject({
  mills: z.number().optional(),
  date: z.unknown().optional(),
  created_at: z.unknown().optional(),
  identifier: z.unknown().optional(),
  device: z.unknown().optional(),
  eventType: z.unknown().optional(),
});
export type SandboxDoc = z.infer<typeof sandboxDocSchema>;

const docList = z.array(z.unknown()).transform((items) => items.flatMap((item) => {
  const parsed = sandboxDocSchema.safeParse(item);
  return parsed.success ? [parsed.data] : [];
})).catch([]);

/** The part of the sandbox (`data-processed`'s argument) that gap analysis reads. */
export const sandboxSchema = z.looseObject({
  data: z.looseObject({
    sgvs: docList.default([]),
    treatments: docList.default([]),
    devicestatus: docList.default([]),
  }),
});
export type SandboxData = z.infer<typeof sandboxSchema>['data'];
