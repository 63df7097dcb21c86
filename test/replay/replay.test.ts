// Every recorded history under test/replay/<label>/ replays with today's workflow code: an
// onboarding started by an earlier version and still waiting resumes under this one without a
// non-determinism error. No Temporal server: the replay worker feeds the histories to the
// workflow code in-process, bundled once for all of them. See test/replay/README.md.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { dataConverterFor } from '../../lib/payload-encryption';
import * as workflows from '../../workflows';
import { EXITS, workflowTypeOf } from './exits';
import { FIXTURE_CODEC_KEY } from './fixture-key';
import { historyFromFixtureJSON, type History } from './history-json';

// Replay failures come back as results, named below; the SDK's own log would repeat them.
Runtime.install({ logger: new DefaultLogger('ERROR') });

const FIXTURE_FILE = /^([A-Za-z]+)-[a-z0-9-]+\.json$/;

interface Fixture {
  /** `<label>/<file>`: how failures name it. */
  name: string;
  /** `<workflowType>-<exit>`: the file name without `.json`. */
  exit: string;
  file: string;
  workflowType: string;
}

function labels(): string[] {
  return readdirSync(__dirname)
    .filter((entry) => statSync(join(__dirname, entry)).isDirectory())
    .sort();
}

function fixtures(): Fixture[] {
  return labels().flatMap((label) =>
    readdirSync(join(__dirname, label))
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => ({
        name: `${label}/${file}`,
        exit: file.replace(/\.json$/, ''),
        file: join(__dirname, label, file),
        workflowType: FIXTURE_FILE.exec(file)?.[1] ?? '',
      })),
  );
}

const all = fixtures();

/** Core's own sentence ("[TMPRL1100] Nondeterminism error: ...") out of the SDK's wrapping. */
function why(error: Error): string {
  return /message: "((?:[^"\\]|\\.)*)"/.exec(error.message)?.[1] ?? error.message;
}

test('every fixture is named <workflowType>-<exit>.json, after an exit of exits.ts', () => {
  assert.ok(labels().length > 0, 'no fixture folder under test/replay');
  const misnamed = all
    .filter((f) => f.workflowType === '' || !(EXITS as readonly string[]).includes(f.exit))
    .map((f) => f.name);
  assert.deepEqual(misnamed, [], 'fixture names are <exit of test/replay/exits.ts>.json');
});

test('every exit of every workflow has a recorded history', () => {
  const types = new Set(EXITS.map(workflowTypeOf));
  const untested = Object.keys(workflows).filter((type) => !types.has(type));
  assert.deepEqual(untested, [], 'workflow types with no exit in test/replay/exits.ts');
  const unrecorded = EXITS.filter((exit) => !all.some((f) => f.exit === exit));
  assert.deepEqual(
    unrecorded,
    [],
    'exits with no fixture: record them (test/replay/README.md, "Recording")',
  );
});

describe("recorded histories replay with today's workflow code", () => {
  /** Each fixture's replay error (undefined: replayed cleanly), or why it could not be read. */
  const outcomes = new Map<string, Error | undefined>();

  before(async () => {
    const histories: { name: string; history: History; workflowId: string }[] = [];
    for (const f of all) {
      try {
        const history = historyFromFixtureJSON(JSON.parse(readFileSync(f.file, 'utf8')));
        const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
        if (started?.workflowType?.name !== f.workflowType)
          throw new Error(
            `the history starts ${started?.workflowType?.name ?? 'no workflow'}, not the ${f.workflowType} its name says`,
          );
        histories.push({ name: f.name, history, workflowId: started.workflowId || f.name });
      } catch (err) {
        outcomes.set(f.name, new Error(`unreadable: ${(err as Error).message}`));
      }
    }
    // The options worker.ts gives its workflows: the workflows index, the encryption codec (the
    // workflows decode their inputs and results), no interceptors or sinks of its own.
    const replay = Worker.runReplayHistories(
      {
        workflowsPath: require.resolve('../../workflows'),
        dataConverter: dataConverterFor(FIXTURE_CODEC_KEY),
        replayName: 'replay-fixtures',
      },
      histories.map(({ history, workflowId }) => ({ history, workflowId })),
    );
    let i = 0;
    for await (const result of replay) {
      outcomes.set(histories[i]!.name, result.error);
      i += 1;
    }
    for (const { name } of histories.slice(i))
      outcomes.set(name, new Error('the replay worker stopped before this history'));
  });

  for (const f of all) {
    test(f.name, () => {
      assert.ok(outcomes.has(f.name), `${f.name} was not replayed`);
      const error = outcomes.get(f.name);
      if (error) assert.fail(`${f.name} does not replay: ${error.name}: ${why(error)}`);
    });
  }
});
