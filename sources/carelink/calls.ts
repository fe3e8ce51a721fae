import type { z } from 'zod';
import type { CareLinkClient, CareLinkRequest } from './client.js';
import { isAuthFailure, jsonAnswer } from './responses.js';
import type { Tokens } from './tokens.js';

/** A data call with the access token: on 401/403 the token is refreshed once and the call repeated once. */
export type AuthorizedCall = <T>(request: Omit<CareLinkRequest, 'bearer'>, schema: z.ZodType<T>, signal: AbortSignal) => Promise<T>;

export function authorizedCall(client: CareLinkClient, tokens: Tokens, now: () => number): AuthorizedCall {
  return async (request, schema, signal) => {
    const token = await tokens.access(signal);
    let response = await client.send({ ...request, bearer: token }, signal);
    if (isAuthFailure(response)) response = await client.send({ ...request, bearer: await tokens.renew(token) }, signal);
    // A second 401/403 is CL016: the token is fresh, so the account itself lacks access.
    return jsonAnswer(response, schema, now());
  };
}
