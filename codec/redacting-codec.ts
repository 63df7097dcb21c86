// What the codec endpoint does to payloads. Decoding decrypts with the project's EncryptionCodec
// (the current key and the former ones) and then blanks every secret field of JSON payloads, so an
// admin reading a history in the Web UI sees who and what, never a PIN, token or password.
// Encoding (inputs typed into the UI or CLI) encrypts with the current key and changes nothing.
import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { REDACTED, redactSecrets } from '../shared/secret-fields';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  keyId,
} from '../lib/payload-encryption';

export { KEY_ID_METADATA };
export const JSON_ENCODING = 'json/plain';

/** A payload the endpoint cannot decode: a 400 for the caller, with a message meant for them. */
export class PayloadDecodeError extends Error {
  override name = 'PayloadDecodeError';
}

const metadataText = (payload: Payload, key: string): string | undefined => {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString() : undefined;
};

/**
 * A decoded payload as a person may see it: JSON payloads with every secret field replaced by
 * «redacted», at any depth; other encodings unchanged. JSON that does not parse is redacted
 * whole, since what it hides cannot be known.
 */
export function redactPayload(payload: Payload): Payload {
  if (metadataText(payload, METADATA_ENCODING_KEY) !== JSON_ENCODING) return payload;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.data ?? []).toString('utf8'));
  } catch {
    value = REDACTED;
  }
  return {
    metadata: { ...payload.metadata },
    data: Buffer.from(JSON.stringify(redactSecrets(value)), 'utf8'),
  };
}

export interface PayloadTransformer {
  /** Decrypts and redacts; throws PayloadDecodeError for a payload it cannot read. */
  decode(payloads: Payload[]): Promise<Payload[]>;
  /** Encrypts with the current key. */
  encode(payloads: Payload[]): Promise<Payload[]>;
}

/** @param previousKeys former codec keys, base64 ([secrets] previous_codec_keys). */
export function createRedactingCodec(
  codecKey: Buffer,
  previousKeys: readonly string[] = [],
): PayloadTransformer {
  const previous = previousKeys.map((k) => Buffer.from(k, 'base64'));
  const codec = new EncryptionCodec(codecKey, previous);
  const known = new Set([codecKey, ...previous].map(keyId));

  async function decodeOne(payload: Payload, index: number): Promise<Payload> {
    if (metadataText(payload, METADATA_ENCODING_KEY) === ENCRYPTED_ENCODING) {
      const id = metadataText(payload, KEY_ID_METADATA) ?? '';
      if (!known.has(id)) {
        throw new PayloadDecodeError(
          `payloads[${index}] was encrypted with codec key ${id || '(no key id)'}, which this ` +
            `endpoint does not have (it has ${[...known].join(', ')}): add that key to [secrets] ` +
            'previous_codec_keys. A key id is the first 12 hex digits of the SHA-256 of the key.',
        );
      }
    }
    let plain: Payload;
    try {
      [plain] = (await codec.decode([payload])) as [Payload];
    } catch {
      throw new PayloadDecodeError(
        `payloads[${index}] does not decrypt with codec key ${metadataText(payload, KEY_ID_METADATA)}: ` +
          'it is corrupt or was altered',
      );
    }
    return redactPayload(plain);
  }

  return {
    decode: (payloads) => Promise.all(payloads.map(decodeOne)),
    encode: (payloads) => codec.encode(payloads),
  };
}
