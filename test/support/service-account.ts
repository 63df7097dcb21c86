// A throwaway Google service-account key for offline tests: the same JSON shape as a key file
// downloaded from the Cloud console, with a freshly generated RSA key pair.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestServiceAccount {
  /** Path of the JSON key file. */
  keyFile: string;
  /** PEM (SPKI) public key, for the fake server to verify the client's JWTs. */
  publicKey: string;
  clientEmail: string;
  privateKeyId: string;
  /** PEM (PKCS#8) private key, as in the key file, for tests that sign tokens by hand. */
  privateKey: string;
}

export function makeServiceAccountKey(dir: string, name = 'kaizen-intake'): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const projectId = 'kaizen-test';
  const clientEmail = `${name}@${projectId}.iam.gserviceaccount.com`;
  const privateKeyId = randomBytes(20).toString('hex');
  const keyFile = join(dir, `${name}-${privateKeyId.slice(0, 8)}.json`);
  const key = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: privateKeyId,
    private_key: privateKey,
    client_email: clientEmail,
    client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    universe_domain: 'googleapis.com',
  };
  writeFileSync(keyFile, JSON.stringify(key, null, 2), { mode: 0o600 });
  return { keyFile, publicKey, clientEmail, privateKeyId, privateKey };
}
