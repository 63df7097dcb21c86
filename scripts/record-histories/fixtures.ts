// What a fixture may hold: only payloads under the fixtures' public key, no secret from .state.
import { ENCRYPTED_ENCODING, keyId } from '../../lib/payload-encryption';
import { FIXTURE_CODEC_KEY } from '../../test/replay/fixture-key';

/** The secrets of .state, raw and in base64, that must never appear in a fixture. */
export function realSecrets(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => /SECRETS__|PWD|PASSWORD|_KEY$/.test(name) && value.length >= 8)
    .flatMap(([, value]) => [value, Buffer.from(value).toString('base64')]);
}

/** Every encrypted payload in the history names the fixture key; no real secret shows. */
export function checkFixture(name: string, json: unknown, text: string, secrets: string[]): void {
  const fixtureKeyId = keyId(FIXTURE_CODEC_KEY);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const metadata = (node as { metadata?: Record<string, string> }).metadata;
    const decoded = (k: string) =>
      typeof metadata?.[k] === 'string' ? Buffer.from(metadata[k], 'base64').toString() : '';
    if (decoded('encoding') === ENCRYPTED_ENCODING && decoded('encryption-key-id') !== fixtureKeyId)
      throw new Error(`${name}: a payload is encrypted with another key than the fixtures' one`);
    Object.values(node).forEach(walk);
  };
  walk(json);
  if (secrets.some((s) => text.includes(s)))
    throw new Error(`${name}: the history contains a secret from .state; not written`);
}
