/** mg/dL per mmol/L of glucose, the factor Nightscout and the vendors use. */
export const MGDL_PER_MMOL = 18.0182;

/** mg/dL → mmol/L rounded to one decimal, for the edges that ask for mmol/L. */
export function toMmol(mgdl: number): number {
  return Math.round((mgdl / MGDL_PER_MMOL) * 10) / 10;
}

/** mmol/L → whole mg/dL, the unit used everywhere inside gluco-hub. */
export function toMgdl(mmol: number): number {
  return Math.round(mmol * MGDL_PER_MMOL);
}
