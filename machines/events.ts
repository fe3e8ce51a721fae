import type { ActorRef, Snapshot } from 'xstate';

/**
 * The messages the machines exchange. Frames ask the poller for a session; the poller forwards
 * the request to its session child; the session answers the frame directly through `replyTo`,
 * so no answer depends on a child id that may have gone away.
 */

/** Session → frame. */
export type SessionReply =
  | { type: 'SESSION_RESOLVED'; session: unknown }
  | { type: 'SESSION_ERROR'; error: unknown };

export type SessionReplyRef = ActorRef<Snapshot<unknown>, SessionReply>;

/** Frame → poller → session. */
export type SessionRequest =
  /** The frame needs a session; the answer goes to `replyTo`. */
  | { type: 'SESSION_REQUIRED'; loop: string; replyTo: SessionReplyRef }
  /** A data call was refused (401): `session` is no longer good. Ignored when it is not the current one. */
  | { type: 'SESSION_INVALID'; loop: string; session: unknown };

/** Where a frame sends its session requests (the poller). */
export type SessionRequestRef = ActorRef<Snapshot<unknown>, SessionRequest>;

/** Outside → poller → cycle → frame: finish what is safe to finish, then stop. */
export type StopEvent = { type: 'STOP' };
