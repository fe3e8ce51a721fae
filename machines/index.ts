/**
 * The machines' public surface. The composition root needs only `pollerMachine` and the
 * contract types; the rest is exported for tests, benchmarks and `capture`.
 */
export type { PollerInput, ScheduleDecision } from './contract.js';
export { pollerMachine, cycleId, SESSION_ID, CYCLE_RESPAWN_DELAY_MS, type PollerEvent, type PollerOutput } from './poller.js';
export { cycleMachine, type CycleInput, type CycleOutput } from './cycle.js';
export { frameMachine, DEFAULT_OUTPUT_TIMEOUT_MS, SESSION_WAIT_MS, type FrameEvent, type FrameInput } from './frame.js';
export { sessionMachine, SESSION_CALL_TIMEOUT_MS, type SessionInput } from './session.js';
export type { SessionReply, SessionReplyRef, SessionRequest, SessionRequestRef, StopEvent } from './events.js';
export { fanOut, type FanOutHooks, type FanOutOptions, type Settled } from './fanout.js';
export { alignedDelayMs, failedFrameDelayMs, nextFrameDelayMs, MIN_FRAME_GAP_MS } from './schedule.js';
export { gapWindow } from './frame-logic.js';
export { initialFreshness, missRetryDelayMs, missRetryMs, observeFrame, type Freshness } from './freshness.js';
export { createStagger, staggeredStartMs, type Stagger } from './stagger.js';
export { OutputsFailedError } from './errors.js';
