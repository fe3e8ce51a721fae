/**
 * Share times: `Date(1763806500000)`, the older `/Date(1763806500000)/`,
 * and `Date(1763806500000+0100)` where the suffix is the phone's UTC offset (on `DT`).
 * The digits are always epoch ms UTC; the suffix never shifts them.
 */

const PATTERN = /^\s*\/?Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)\/?\s*$/;
/** Real zones lie within UTC−12 … UTC+14. */
const MAX_OFFSET_MIN = 14 * 60;

export interface ShareTime {
  ms: number;
  /** Minutes east of UTC, when the text carries an offset. */
  utcOffset?: number;
}

/** `undefined` for anything that is not one of the three spellings or not a plausible offset. */
export function parseShareTime(text: string): ShareTime | undefined {
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const [, digits, sign, hh, mm] = match;
  const ms = Number(digits);
  if (!Number.isSafeInteger(ms)) return undefined;
  if (sign === undefined) return { ms };
  const minutes = Number(hh) * 60 + Number(mm);
  if (Number(mm) > 59 || minutes > MAX_OFFSET_MIN) return undefined;
  return { ms, utcOffset: minutes === 0 ? 0 : sign === '-' ? -minutes : minutes };
}
