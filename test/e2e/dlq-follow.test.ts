import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncIdentifier } from '../../lib/identity.js';
import { runCli, tempDir } from './cli.js';

/** `gluco-hub dlq` sees the queues of the people a follower account's bridge follows (`<bridge>-<slug>`). */

const DEVICE = 'librelinkup';
const date = Date.UTC(2026, 11, 5, 12, 0, 0);
const entry = { type: 'sgv', sgv: 120, date, dateString: new Date(date).toISOString(), device: DEVICE, app: 'gluco-hub', identifier: syncIdentifier({ device: DEVICE, date }) };

describe('gluco-hub dlq with a bridge that follows several people', () => {
  it("lists each person's queue under their bridge id, and --bridge takes a person's bridge id", async () => {
    const cwd = tempDir('gh-dlq-follow-');
    const stateDir = join(cwd, 'state');
    for (const id of ['kids', 'kids-3f2a9c1b', 'kids-7d41e0aa']) mkdirSync(join(stateDir, id), { recursive: true });
    writeFileSync(join(stateDir, 'kids-3f2a9c1b', 'output-nightscout-queue.jsonl'), `${JSON.stringify({ collection: 'entries', document: entry })}\n`);
    const file = join(cwd, 'kids.yaml');
    writeFileSync(file, `id: kids\nstateDir: ${stateDir}\nsource: { kind: linkup, username: parent@example.test, password: pw, patients: all }\nfilesystem: { dir: ${join(cwd, 'data')} }\n`);
    const all = await runCli(['dlq', 'list', '--json', '--config', file], { cwd, env: {} });
    expect(all.code, all.stderr).toBe(0);
    const report = JSON.parse(all.stdout) as { bridge: string; outputs: { output: string; queue: unknown[] }[] }[];
    expect(report.map((r) => r.bridge)).toEqual(['kids', 'kids-3f2a9c1b', 'kids-7d41e0aa']);
    expect(report[1]?.outputs.find((o) => o.output === 'nightscout')?.queue).toHaveLength(1);
    const one = await runCli(['dlq', 'list', '--bridge', 'kids-3f2a9c1b', '--config', file], { cwd, env: {} });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^kids-3f2a9c1b\/nightscout: 1 waiting in the queue/m);
  });
});
