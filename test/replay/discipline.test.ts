// Replay discipline: fixture folders are append-only, every patch id a fixture carries
// is still in the workflow code, and every patch and kind of command today's code has was
// recorded. Reads git and the sources; no Temporal. See test/replay/README.md, "Checked on
// every run".
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  committedFixtureVersions,
  fixtureLabels,
  fixturesAt,
  isFixturePath,
  lastRelease,
  recordedFrom,
  requireFullHistory,
  sourcesOf,
  worktreeBlobs,
  type CodeVersion,
} from './fixture-history';
import { isRetired, isSuperseded } from './retired';
import { commandKinds, patchCalls, workflowFiles, type Sources } from './workflow-source';

const RECORD =
  'record a new folder: node --import tsx scripts/record-histories.ts --label <label> (test/replay/README.md, "Recording")';
/** What the code reading needs: the workflows, and shared/ for the activities' interface. */
const CODE = ['workflows', 'shared'] as const;

interface Fixture {
  /** `<label>/<file>`, as replay.test.ts names it. */
  name: string;
  label: string;
  workflowType: string;
  patches: PatchMarker[];
}

/** A patch marker: core writes `{"id": …, "deprecated": …}` as plain JSON, never encrypted. */
interface PatchMarker {
  id: string;
  /** Written by deprecatePatch(): such a marker replays with or without a call. */
  deprecated: boolean;
}

interface PatchMarkerHistory {
  events?: {
    markerRecordedEventAttributes?: {
      markerName?: string;
      details?: Record<string, { payloads?: { data?: string }[] }>;
    };
  }[];
}

function patchMarkers(name: string, history: PatchMarkerHistory): PatchMarker[] {
  return (history.events ?? []).flatMap(({ markerRecordedEventAttributes: marker }) => {
    if (marker?.markerName !== 'core_patch') return [];
    return Object.values(marker.details ?? {}).flatMap(({ payloads }) =>
      (payloads ?? []).map(({ data }) => {
        const { id, deprecated } = JSON.parse(
          Buffer.from(data ?? '', 'base64').toString('utf8'),
        ) as { id?: unknown; deprecated?: unknown };
        if (typeof id !== 'string') throw new Error(`${name}: a patch marker without an id`);
        return { id, deprecated: deprecated === true };
      }),
    );
  });
}

let read: Fixture[] | undefined;

/** Every fixture of the working tree, read once for all the tests. */
function fixtures(): Fixture[] {
  read ??= fixtureLabels().flatMap((label) =>
    readdirSync(join(__dirname, label))
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => {
        const name = `${label}/${file}`;
        const json = JSON.parse(readFileSync(join(__dirname, label, file), 'utf8')) as unknown;
        return {
          name,
          label,
          workflowType: file.slice(0, file.indexOf('-')),
          patches: patchMarkers(name, json as PatchMarkerHistory),
        };
      }),
  );
  return read;
}

/** `a.json`, or `a.json and 11 more (folders x, y)`: a failure names a fixture, not sixty. */
function someOf(names: string[]): string {
  if (names.length === 1) return names[0]!;
  const folders = [...new Set(names.map((n) => n.split('/')[0]))].join(', ');
  return `${names[0]} and ${names.length - 1} more (folders ${folders})`;
}

/** Why a committed content of `path` is not in the working tree any more, if it should be. */
function lost(path: string, blob: string, now: string | undefined): string | undefined {
  if (now === blob || isRetired(path) || isSuperseded(path, blob)) return undefined;
  return now === undefined ? 'deleted' : 'changed';
}

const RESTORE =
  'Fixture folders are append-only: restore the file (git checkout <commit> -- <path>) and record changes under a new label. A fixture leaves only when deprecatePatch() retires its path, listed in test/replay/retired.ts (test/replay/README.md, "The rule")';

test('the fixtures of the last release are all here, unchanged', (t) => {
  requireFullHistory();
  const release = lastRelease();
  t.diagnostic(`${release.version} is ${release.commit.slice(0, 12)}, found by ${release.from}`);
  const recorded = fixturesAt(release.commit);
  assert.ok(
    recorded.size > 0,
    `${release.version} (${release.commit}) has no test/replay/ fixture`,
  );
  const now = worktreeBlobs(recorded.keys());
  const problems = [...recorded].flatMap(([path, blob]) => {
    const why = lost(path, blob, now.get(path));
    return why ? [`${path}: ${why} since ${release.version}`] : [];
  });
  assert.deepEqual(problems, [], `fixtures recorded at or before ${release.version}. ${RESTORE}`);
});

test('no committed fixture file is changed or deleted, in history or in this working tree', () => {
  requireFullHistory();
  const versions = committedFixtureVersions();
  assert.ok(versions.length > 0, 'no fixture in the history of HEAD');
  const now = worktreeBlobs(versions.map((v) => v.path));
  const problems = versions.flatMap(({ path, blob, commit }) => {
    const why = lost(path, blob, now.get(path));
    return why ? [`${path}: ${why} since ${commit.slice(0, 7)} wrote it`] : [];
  });
  const reused = fixtureLabels()
    .flatMap((label) =>
      readdirSync(join(__dirname, label), { recursive: true, encoding: 'utf8' }).map(
        (entry) => `test/replay/${label}/${entry}`,
      ),
    )
    .filter((path) => isFixturePath(path) && isRetired(path))
    .map((path) => `${path}: a retired path in use again (record under a new label)`);
  assert.deepEqual([...problems, ...reused], [], RESTORE);
});

test('every patch id in a recorded history is still called by the workflow code', () => {
  const called = new Set(patchCalls(sourcesOf('worktree', CODE)).map((c) => c.id));
  const missing = new Map<string, string[]>();
  for (const f of fixtures())
    for (const id of new Set(f.patches.filter((p) => !p.deprecated).map((p) => p.id)))
      if (!called.has(id)) missing.set(id, [...(missing.get(id) ?? []), f.name]);
  assert.deepEqual(
    [...missing].map(([id, names]) => `patch "${id}", recorded in ${someOf(names)}`),
    [],
    'no patched()/deprecatePatch() of workflows/ calls these ids any more: restore the id. An id is never renamed; a patch leaves only through deprecatePatch() (test/replay/README.md, "A patch, step by step")',
  );
});

test('every patch the workflow code calls has a recorded history', () => {
  const calls = patchCalls(sourcesOf('worktree', CODE));
  assert.deepEqual(
    calls.filter((c) => c.id === undefined).map((c) => c.where),
    [],
    'patched()/deprecatePatch() ids this check cannot read: pass a string literal, or a const holding one',
  );
  const recorded = new Set(fixtures().flatMap((f) => f.patches.map((p) => p.id)));
  const unrecorded = new Map<string, string[]>();
  for (const { id, where } of calls)
    if (id !== undefined && !recorded.has(id))
      unrecorded.set(id, [...(unrecorded.get(id) ?? []), where]);
  assert.deepEqual(
    [...unrecorded].map(([id, where]) => `patch "${id}" (${where.join(', ')})`),
    [],
    `no fixture carries these patches' markers: ${RECORD}. A path no exit reaches needs an exit in test/replay/exits.ts and a driver in scripts/record-histories/ first`,
  );
});

test('every kind of command a workflow issues today was issued by code a folder was recorded from', (t) => {
  requireFullHistory();
  const today = sourcesOf('worktree', CODE);
  const versions = new Map<string, Sources | undefined>();
  const codeOf = (code: CodeVersion): Sources | undefined => {
    const key = code === 'worktree' ? code : code.commit;
    if (!versions.has(key)) {
      try {
        versions.set(key, code === 'worktree' ? today : sourcesOf(code, CODE));
      } catch {
        versions.set(key, undefined); // a commit this clone lacks: that folder is not compared
      }
    }
    return versions.get(key);
  };
  const all = fixtures();
  const folders = fixtureLabels()
    .map((label) => ({ label, code: recordedFrom(label) }))
    .sort(
      (a, b) =>
        (a.code === 'worktree' ? Infinity : a.code.time) -
        (b.code === 'worktree' ? Infinity : b.code.time),
    );
  const unrecorded: string[] = [];
  for (const type of workflowFiles(today).keys()) {
    const now = commandKinds(today, type)!;
    const recordings = folders
      .filter(({ label }) => all.some((f) => f.label === label && f.workflowType === type))
      .flatMap(({ label, code }) => {
        const source = codeOf(code);
        const kinds = source && commandKinds(source, type);
        return kinds ? [{ label, code, kinds }] : [];
      });
    const match = [...recordings].reverse().find((r) => [...now].every((k) => r.kinds.has(k)));
    if (match) {
      t.diagnostic(`${type}: as recorded in ${match.label}`);
      continue;
    }
    const newest = recordings.at(-1);
    if (newest === undefined) {
      unrecorded.push(`${type}: no folder recorded from code this check can read holds it`);
      continue;
    }
    const added = [...now].filter((k) => !newest.kinds.has(k)).sort();
    const from = newest.code === 'worktree' ? 'this working tree' : newest.code.commit.slice(0, 7);
    unrecorded.push(`${type}: ${added.join(', ')}; not in ${newest.label} (from ${from})`);
  }
  assert.deepEqual(
    unrecorded,
    [],
    `commands no recorded history has. A change of commands goes behind patched(), so that older histories replay the old path; then ${RECORD}. Commit the code before or with its fixtures`,
  );
});
