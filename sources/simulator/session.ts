import { AuthError } from '../../lib/errors.js';
import type { SessionFunctions } from '../../lib/contracts/source.js';

/** The simulator's pretend login. */
export interface SimulatorAuth {
  token: string;
}

/** The simulator's pretend session; the data calls only check it exists. */
export interface SimulatorSession {
  token: string;
  /** Epoch ms when the session was established. */
  establishedAt: number;
}

/** A login that always works (or always fails with `failAuth`), never touching the network. */
export function simulatorSession(
  options: { seed: number; failAuth: boolean },
  now: () => number,
): SessionFunctions<SimulatorAuth, SimulatorSession> {
  return {
    authenticate(signal) {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      if (options.failAuth) {
        return Promise.reject(
          new AuthError('SIM001', 'the simulator refused the login (failAuth is set)', {
            hint: 'remove failAuth from the simulator settings to let it log in',
          }),
        );
      }
      return Promise.resolve({ token: `simulated-${options.seed}-${now()}` });
    },
    authorize(auth, signal) {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      return Promise.resolve({ token: auth.token, establishedAt: now() });
    },
  };
}
