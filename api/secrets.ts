// How the token store keeps secrets at rest: tokens as SHA-256 hashes (they carry 256 random bits,
// so a plain hash is enough), PINs as keyed HMACs (only 10 000 PINs exist, so an unkeyed hash
// would be reversible) tagged with their key's id, temporary passwords encrypted with
// AES-256-GCM bound to their user. A rotated-out key still opens what it made while it is held.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What a stored PIN hash says about a PIN: right, wrong, or made under a key no longer held. */
export type PinCheck = 'match' | 'wrong' | 'retired-key';

/** A PIN hash or sealed password made under a key this service no longer holds. */
export class RetiredKeyError extends Error {
  constructor(what: string) {
    super(
      `${what} was made under a setpass key that is no longer in [secrets] setpass_key or previous_setpass_keys`,
    );
    this.name = 'RetiredKeyError';
  }
}

/** One setpass key's subkeys, and the id its PIN hashes carry. */
class SetpassKey {
  readonly id: string;
  readonly encryptionKey: Buffer;
  readonly pinKey: Buffer;

  constructor(masterKey: Buffer) {
    // Separate subkeys, so the PIN MAC and the cipher never share a key; the id reveals nothing.
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', masterKey, '', info, 32));
    this.encryptionKey = derive('kaizen-setpass temporary password');
    this.pinKey = derive('kaizen-setpass pin');
    this.id = derive('kaizen-setpass key id').subarray(0, 4).toString('hex');
  }

  mac(binding: string, pin: string): string {
    return createHmac('sha256', this.pinKey).update(`${binding}\0${pin}`).digest('hex');
  }
}

/** `<key id>:<hmac>`, or a bare HMAC written before key ids (its key unknown: every key is tried). */
const KEYED_HASH = /^(?:([0-9a-f]{8}):)?([0-9a-f]{64})$/;

export function isPinHash(value: string): boolean {
  return KEYED_HASH.test(value);
}

const sameHex = (a: string, b: string) => {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The setpass key and the former ones still held after a rotation: new secrets are made under the
 * current key; those made under a former key still open until it is dropped from the settings.
 */
export class SecretBox {
  private readonly current: SetpassKey;
  private readonly keys: SetpassKey[];

  constructor(masterKey: Buffer, previousKeys: readonly Buffer[] = []) {
    this.current = new SetpassKey(masterKey);
    this.keys = [this.current, ...previousKeys.map((key) => new SetpassKey(key))];
  }

  /** The HMAC of a PIN bound to a user id or a form request, tagged with the current key's id. */
  pinHash(binding: string, pin: string): string {
    return `${this.current.id}:${this.current.mac(binding, pin)}`;
  }

  checkPin(binding: string, pin: string, storedHash: string): PinCheck {
    const parsed = KEYED_HASH.exec(storedHash);
    if (!parsed) return 'wrong';
    const [, id, mac] = parsed;
    if (id === undefined)
      return this.keys.some((k) => sameHex(k.mac(binding, pin), mac!)) ? 'match' : 'wrong';
    const key = this.keys.find((k) => k.id === id);
    if (!key) return 'retired-key';
    return sameHex(key.mac(binding, pin), mac!) ? 'match' : 'wrong';
  }

  /** Whether a stored hash can be checked with the keys held now. */
  holdsKeyOf(storedHash: string): boolean {
    const id = KEYED_HASH.exec(storedHash)?.[1];
    return id === undefined || this.keys.some((k) => k.id === id);
  }

  encrypt(userId: string, plaintext: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.encryptionKey, iv);
    cipher.setAAD(Buffer.from(userId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]);
  }

  /** Opens with whichever held key sealed it (GCM's tag tells); RetiredKeyError if none did. */
  decrypt(userId: string, sealed: Buffer): string {
    for (const key of this.keys) {
      const decipher = createDecipheriv('aes-256-gcm', key.encryptionKey, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      try {
        return Buffer.concat([
          decipher.update(sealed.subarray(12, -16)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // not this key: try the next
      }
    }
    throw new RetiredKeyError('the temporary password');
  }
}
