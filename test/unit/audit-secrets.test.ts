// What `cli audit` prints never holds a secret of the histories it reads: every PIN, token, hash
// and password field of every payload of every recorded history (test/replay/), decoded here on
// its own, is looked for in the table and the JSON the audit makes of that history.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Payload } from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { scrubText } from '../../cli/audit-events';
import { auditTimeline } from '../../cli/audit-timeline';
import { formatTimeline } from '../../cli/audit-view';
import { dataConverterFor } from '../../lib/payload-encryption';
import { isSecretField, REDACTED } from '../../shared/secret-fields';
import { FIXTURE_CODEC_KEY } from '../replay/fixture-key';
import { historyFromFixtureJSON, type History } from '../replay/history-json';

const REPLAY = join(__dirname, '..', 'replay');
const converter = loadDataConverter(dataConverterFor(FIXTURE_CODEC_KEY));

const historyOf = (file: string): History =>
  historyFromFixtureJSON(JSON.parse(readFileSync(join(REPLAY, file), 'utf8')));

/** Every fixture file of every recorded version. */
function fixtureFiles(): string[] {
  return readdirSync(REPLAY)
    .filter((d) => statSync(join(REPLAY, d)).isDirectory())
    .flatMap((d) =>
      readdirSync(join(REPLAY, d))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `${d}/${f}`),
    );
}

/** The value of every secret field of every payload of a history, decoded on its own here. */
async function secretsOf(history: History): Promise<string[]> {
  const found = new Set<string>();
  const collect = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    for (const [key, inner] of Object.entries(value)) {
      if (isSecretField(key) && typeof inner === 'string') found.add(inner);
      else collect(inner);
    }
  };
  const visit = async (node: unknown): Promise<void> => {
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return;
    for (const [key, inner] of Object.entries(node)) {
      if (key === 'payloads' && Array.isArray(inner))
        collect(await decodeArrayFromPayloads(converter, inner as Payload[]));
      else await visit(inner);
    }
  };
  await visit(history);
  return [...found];
}

describe('secrets', () => {
  test('no PIN, token or hash of any recorded history is in what the audit prints', async () => {
    const all = new Set<string>();
    for (const file of fixtureFiles()) {
      const history = historyOf(file);
      const secrets = await secretsOf(history);
      secrets.forEach((s) => all.add(s));
      const entries = await auditTimeline('wf', history, converter);
      const json = entries.map((e) => JSON.stringify(e)).join('\n');
      const printed = `${formatTimeline(entries)}\n${json}`;
      for (const secret of secrets)
        assert.ok(
          !printed.includes(secret),
          `${file}: the audit prints a secret (${secret.length} chars)`,
        );
    }
    // The check saw real secrets: the completed onboarding's PIN and its set-password token.
    assert.ok(all.has('6150'));
    assert.ok(all.has('1T-4JGwH-URvU6Zd-Q3-kfJtXZ_Efp9fo5Hct_S6Viw'));
  });

  test('free text is scrubbed of the secrets the payloads held, and of `password: …`', () => {
    assert.equal(
      scrubText('Keystone refused: {"password": "Tmp-9x!", pin=6150} for 6150', ['6150']),
      `Keystone refused: {"password": "${REDACTED}", pin=${REDACTED}} for ${REDACTED}`,
    );
  });
});
