// How the token store keeps secrets at rest: tokens as SHA-256 hashes (they carry 256 random bits,
// so a plain hash is enough), PINs as keyed HMACs (only 10 000 PINs exist, so an unkeyed hash
// would be reversible), temporary passwords encrypted with AES-256-GCM bound to their user.
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

export class SecretBox {
  private readonly encryptionKey: Buffer;
  private readonly pinKey: Buffer;

  constructor(masterKey: Buffer) {
    // Separate subkeys, so the PIN MAC and the cipher never share a key.
    this.encryptionKey = Buffer.from(
      hkdfSync('sha256', masterKey, '', 'kaizen-setpass temporary password', 32),
    );
    this.pinKey = Buffer.from(hkdfSync('sha256', masterKey, '', 'kaizen-setpass pin', 32));
  }

  pinHash(userId: string, pin: string): string {
    return createHmac('sha256', this.pinKey).update(`${userId}\0${pin}`).digest('hex');
  }

  pinMatches(userId: string, pin: string, storedHash: string): boolean {
    const given = Buffer.from(this.pinHash(userId, pin), 'hex');
    const stored = Buffer.from(storedHash, 'hex');
    return given.length === stored.length && timingSafeEqual(given, stored);
  }

  encrypt(userId: string, plaintext: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(userId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]);
  }

  decrypt(userId: string, sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(userId));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(12, -16)), decipher.final()]).toString(
      'utf8',
    );
  }
}
