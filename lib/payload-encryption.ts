// Encrypts every workflow payload (inputs, results, signals, queries) with AES-256-GCM, so PINs
// and setpass tokens are unreadable in Temporal's history and database.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata key a payload's key id is written under. */
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A short, non-secret fingerprint naming the key a payload was encrypted with (for rotation). */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keysById: Map<string, Buffer>;
  private readonly currentId: string;

  /** @param current encrypts new payloads; @param previous still decrypt old ones during a key rotation. */
  constructor(
    private readonly current: Buffer,
    previous: Buffer[] = [],
  ) {
    if (current.length !== 32) throw new Error('codec key must be 32 bytes');
    this.currentId = keyId(current);
    this.keysById = new Map([current, ...previous].map((k) => [keyId(k), k]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(this.currentId),
        },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const id = Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? []).toString();
      const key = this.keysById.get(id);
      if (!key)
        throw new Error(`payload encrypted with unknown codec key ${id}: add it as a previous key`);
      const data = Buffer.from(payload.data ?? []);
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, -TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** @param previousKeys base64 keys used before a rotation: they decrypt, never encrypt. */
export function dataConverterFor(
  codecKey: Buffer,
  previousKeys: string[] = [],
): { payloadCodecs: PayloadCodec[] } {
  const previous = previousKeys.map((k) => Buffer.from(k, 'base64'));
  return { payloadCodecs: [new EncryptionCodec(codecKey, previous)] };
}
