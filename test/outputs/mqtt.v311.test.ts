import { afterAll, beforeAll, describe } from 'vitest';
import { startAedes, type TestBroker } from '../fakes/brokers.js';
import { brokerBehaviour } from './mqtt.suite.js';

/** MQTT 3.1.1 against in-process aedes (0.x: 1.x needs Node 22's Promise.withResolvers). */
describe('MQTT output, MQTT 3.1.1 (aedes)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(() => broker.close());
  brokerBehaviour(4, () => broker);
});
