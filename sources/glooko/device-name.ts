/**
 * The `device` on every Glooko document. It is part of every sync identifier (`<device>_<date>`),
 * so changing it would make outputs store everything twice: keep it.
 */
export const GLOOKO_DEVICE = 'glooko';
