/** Default target range, mg/dL (the consensus 70–180, 3.9–10.0 mmol/L). */
export const DEFAULT_TARGET_LOW = 70;
export const DEFAULT_TARGET_HIGH = 180;
/** Below this (mg/dL) a low is urgent (the consensus level-2 hypoglycaemia threshold). */
export const URGENT_LOW = 54;
