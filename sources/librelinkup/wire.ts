import { z } from 'zod';

/**
 * LibreLink Up response contracts, one schema each. All objects are
 * loose: the API adds fields often, and only what we read may fail a parse.
 */

/** What every JSON answer has in common; errors come as `status` + `error.message` or a bare `message`. */
export const envelopeSchema = z.looseObject({
  status: z.number().optional(),
  message: z.string().optional(),
  error: z.looseObject({ message: z.string().optional() }).nullish(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/**
 * An outdated `version` header, as the server words it since 4.16.0: HTTP 403 with body status 920
 * and the minimum it accepts. The minimum is echoed to the user, so only a plain dotted version passes.
 */
export const outdatedVersionSchema = z.looseObject({
  status: z.literal(920),
  data: z.looseObject({ minimumVersion: z.string().regex(/^\d{1,3}(\.\d{1,4}){1,3}$/) }),
});

export const ticketSchema = z.looseObject({
  token: z.string().min(1),
  /** Unix seconds. */
  expires: z.number(),
  /** Milliseconds: 180 days for a login, 1 h for a step token. */
  duration: z.number().optional(),
});

/** `POST /llu/auth/login` (or `/auth/continue/<step>`) status 0 with a ticket. */
export const loginSuccessSchema = z.looseObject({
  status: z.literal(0),
  data: z.looseObject({
    user: z.looseObject({ id: z.string().min(1) }),
    authTicket: ticketSchema,
  }),
});

/** Status 0: the account lives in another region. */
export const loginRedirectSchema = z.looseObject({
  status: z.literal(0),
  data: z.looseObject({ redirect: z.literal(true), region: z.string().min(1) }),
});

/** Status 4: the app must do something first (`tou`, `pp`, `verifyEmail`, …). */
export const loginStepSchema = z.looseObject({
  status: z.literal(4),
  data: z.looseObject({
    step: z.looseObject({ type: z.string().min(1) }),
    authTicket: ticketSchema.optional(),
  }),
});

/** Status 429: too many failed logins, locked for `lockout` seconds. */
export const loginLockedSchema = z.looseObject({
  status: z.literal(429),
  data: z
    .looseObject({
      data: z.looseObject({ lockout: z.number().nonnegative().optional() }).nullish(),
      message: z.string().optional(),
    })
    .nullish(),
});

/** One reading: the current one (with `TrendArrow`) or a graph point (without). */
export const glucoseItemSchema = z.looseObject({
  /** UTC, `M/D/YYYY h:mm:ss AM`. */
  FactoryTimestamp: z.string(),
  /** Patient phone local time, same format. */
  Timestamp: z.string().optional(),
  ValueInMgPerDl: z.number().positive(),
  TrendArrow: z.number().int().nullish(),
});
export type GlucoseItem = z.infer<typeof glucoseItemSchema>;

export const sensorSchema = z.looseObject({
  sn: z.string().optional(),
  /** Activation, unix seconds. */
  a: z.number().optional(),
});
export type Sensor = z.infer<typeof sensorSchema>;

const connectionFields = {
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  sensor: sensorSchema.nullish(),
  glucoseMeasurement: glucoseItemSchema.nullish(),
  glucoseItem: glucoseItemSchema.nullish(),
};

/** An item of `GET /llu/connections`: a followed patient. */
export const connectionSchema = z.looseObject({ patientId: z.string().min(1), ...connectionFields });
export type Connection = z.infer<typeof connectionSchema>;

export const connectionsResponseSchema = z.looseObject({
  status: z.literal(0),
  data: z.array(connectionSchema),
});

/** `GET /llu/connections/{patientId}/graph`. */
export const graphResponseSchema = z.looseObject({
  status: z.literal(0),
  data: z.looseObject({
    connection: z.looseObject(connectionFields),
    activeSensors: z.array(z.looseObject({ sensor: sensorSchema.nullish() })).nullish(),
    graphData: z.array(glucoseItemSchema).nullish(),
  }),
});
export type GraphResponse = z.infer<typeof graphResponseSchema>;

export { firstIssue } from '../../lib/zod-issue.js';
