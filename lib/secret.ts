import { inspect } from 'node:util';

const MASK = '***';

/**
 * A credential that masks itself wherever it could leak: `String()`, template strings,
 * `JSON.stringify`, `util.inspect` / console, and pino. Only `reveal()` hands out the value,
 * so every place that sends a secret over the wire is easy to find.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }

  [Symbol.toPrimitive](): string {
    return MASK;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}
