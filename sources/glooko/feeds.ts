import type { Feed } from './paging.js';

/** The CGM feed; values mg/dL × 100. */
export const EGVS: Feed = { key: 'egvs', path: '/api/v2/cgm/egvs' };

/** The feeds the treatments loop reads, each with its own paging cursor. */
export const TREATMENT_FEEDS = [
  { key: 'normalBoluses', path: '/api/v2/pumps/normal_boluses' },
  { key: 'extendedBoluses', path: '/api/v2/pumps/extended_boluses' },
  { key: 'injectionBoluses', path: '/api/v2/pumps/injection_boluses' },
  { key: 'scheduledBasals', path: '/api/v2/pumps/scheduled_basals' },
  { key: 'temporaryBasals', path: '/api/v2/pumps/temporary_basals' },
  { key: 'suspendBasals', path: '/api/v2/pumps/suspend_basals' },
  { key: 'foods', path: '/api/v2/foods' },
  { key: 'carbsEvents', path: '/api/v2/cgm/carbs_events' },
  { key: 'events', path: '/api/v2/pumps/events' },
] as const satisfies readonly Feed[];

export type TreatmentFeedKey = (typeof TREATMENT_FEEDS)[number]['key'];

/** The graph's CGM series, the fallback when the egvs feed has nothing. */
export const CGM_SERIES = ['cgmHigh', 'cgmNormal', 'cgmLow'] as const;
