/**
 * Home Assistant's birth message: `online` on `<discovery prefix>/status`, sent (not retained)
 * after every reconnect of HA's MQTT client once HA has started. The
 * output then re-announces discovery and status, after {@link birthDelayMs}.
 */

/** The topic to subscribe to for HA's birth and will messages (HA's default birth topic). */
export function birthTopic(discoveryPrefix: string): string {
  return `${discoveryPrefix}/status`;
}

/**
 * True for HA's birth (`online`); false for its will (`offline`, nothing to do — HA reads the
 * retained topics when it returns) and for anything else.
 */
export function isBirthMessage(topic: string, payload: Buffer | string, discoveryPrefix: string): boolean {
  if (topic !== birthTopic(discoveryPrefix)) return false;
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  return text.trim() === 'online';
}

/**
 * How long to wait after a birth before re-announcing: 1–5 s at random, as HA's docs ask, so a
 * broker full of bridges is not hit by all of them at once.
 */
export function birthDelayMs(random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(1_000 + r * 4_000);
}
