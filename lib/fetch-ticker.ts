import { fetchProgress, type FetchUnderWay } from './fetch-progress.js';

/** Elapsed seconds on the status line move on about this often. */
export const TICK_MS = 1_000;

export interface FetchTicker {
  /** A fetch began: its line shows once it has run `PROGRESS_AFTER_MS`, then follows the clock. */
  watch: (key: string, fetch: FetchUnderWay) => void;
  /** The fetch under `key` ended (answered, failed, or its frame is over): its line goes. */
  clear: (key: string) => void;
  /** The bridge stops: every line goes, and the timer with them. */
  stop: () => void;
}

/**
 * The status lines of fetches still running, redrawn by one timer that runs only while a fetch
 * does and never keeps the process alive.
 */
export function fetchTicker(show: (key: string, text: string | undefined) => void, now: () => number): FetchTicker {
  const running = new Map<string, FetchUnderWay>();
  const shown = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    for (const [key, fetch] of running) {
      const text = fetchProgress(fetch, now());
      if (text === undefined) continue;
      shown.add(key);
      show(key, text);
    }
  };
  const clear = (key: string): void => {
    running.delete(key);
    if (shown.delete(key)) show(key, undefined);
    if (running.size > 0 || timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
  };
  return {
    watch: (key, fetch) => {
      running.set(key, fetch);
      if (timer !== undefined) return;
      timer = setInterval(tick, TICK_MS);
      timer.unref();
    },
    clear,
    stop: () => {
      for (const key of [...running.keys()]) clear(key);
    },
  };
}
