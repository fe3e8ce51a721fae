import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../../lib/errors.js';
import { captureLog } from '../fakes/capture-log.js';
import { HOW_TO_RUN, MOSQUITTO, REQUIRE_BROKERS, startMosquitto, v5BrokerChoice, type TestBroker } from '../fakes/brokers.js';
import { outputFor, readings, retained, settings, signal, T0 } from './mqtt.helpers.js';
import { brokerBehaviour } from './mqtt.suite.js';

/**
 * MQTT v5 against Mosquitto: a private instance on a free port, or the broker at MQTT_URL.
 * Without either the suite is skipped with a message (and fails under GLUCO_HUB_CI=1, as .ci/run sets).
 */
const choice = v5BrokerChoice();
if (choice.kind === 'none') console.warn(choice.message);
if (!MOSQUITTO) {
  const message = `MQTT credential tests skipped (they need a private Mosquitto): ${HOW_TO_RUN}`;
  if (REQUIRE_BROKERS) throw new Error(`GLUCO_HUB_CI=1 but ${message}`);
  console.warn(message);
}

describe.skipIf(choice.kind === 'none')('MQTT output, MQTT v5 (Mosquitto)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = choice.kind === 'url' ? { url: choice.url, close: () => Promise.resolve() } : await startMosquitto();
  });
  afterAll(() => broker.close());
  brokerBehaviour(5, () => broker);

  it('sends the will with the v5 delay and a session expiry, and reads the retained glucose back after a restart', async () => {
    const s = settings(broker.url, { sessionExpirySeconds: 60 });
    const { output, client } = outputFor(s);
    await output.start();
    expect(client().options.properties).toMatchObject({ sessionExpiryInterval: 60 });
    expect(client().options.will?.properties).toMatchObject({ willDelayInterval: 0 });
    await output.store(readings([T0]), signal());
    await output.stop();
    expect((await retained(broker.url, `${s.topicPrefix}/glucose`)).json).toMatchObject({ v: 1, dateMs: T0 });
  });
});

describe.skipIf(!MOSQUITTO)('MQTT output, credentials (private Mosquitto with a password file)', () => {
  const PASSWORD = 's3cret-Pa55word!';
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ users: { gluco: PASSWORD } });
  });
  afterAll(() => broker.close());

  it('connects with the right password and never logs it', async () => {
    const captured = captureLog();
    const { output } = outputFor(settings(broker.url, { username: 'gluco', password: PASSWORD }), { log: captured.log });
    await output.start();
    await output.store(readings([T0]), signal());
    await output.stop();
    expect(captured.text()).not.toContain(PASSWORD);
  });

  it.each([5, 4] as const)('refuses a wrong password at start with MQTT004 (protocol %s), without the password in the error or the log', async (protocolVersion) => {
    const captured = captureLog();
    const wrong = 'wrong-Pa55word!';
    const { output } = outputFor(settings(broker.url, { protocolVersion, username: 'gluco', password: wrong }), { log: captured.log });
    const error = await output.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errorCode(error)).toBe('MQTT004');
    expect(String(error)).not.toContain(wrong);
    expect(captured.text()).not.toContain(wrong);
    expect(captured.text()).not.toContain(PASSWORD);
    await output.stop();
  });
});
