// A certificate authority of the test's own and a server certificate it signs for 127.0.0.1 and
// localhost (openssl), for the stack's `tls` service. Clients trust exactly these: Node through
// the CA file, Chromium through the server key's SPKI hash (--ignore-certificate-errors-spki-list),
// never by ignoring every TLS error.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const openssl = (...args: string[]) => execFileAsync('openssl', args);

export interface TestCertificate {
  /** The CA's certificate (PEM file), for Node clients. */
  caFile: string;
  /** base64 SHA-256 of the server key's SubjectPublicKeyInfo, as Chromium's flag wants it. */
  spki: string;
}

/**
 * CA and server key (P-256) in `dir`; the server's chain in `certFile` (server, then CA) and its
 * key in `keyFile`, both readable by the container's user.
 */
export async function makeTestCertificate(
  dir: string,
  certFile: string,
  keyFile: string,
): Promise<TestCertificate> {
  const caKey = join(dir, 'test-ca.key');
  const caFile = join(dir, 'test-ca.pem');
  const csr = join(dir, 'tls.csr');
  const ext = join(dir, 'tls.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256'];
  await openssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=Kaizen test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
    '-keyout',
    caKey,
    '-out',
    caFile,
  );
  await openssl('req', '-new', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', keyFile, '-out', csr);
  writeFileSync(
    ext,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  const server = join(dir, 'tls-server.pem');
  await openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    server,
  );
  const serverPem = readFileSync(server, 'utf8');
  writeFileSync(certFile, serverPem + readFileSync(caFile, 'utf8'));
  chmodSync(certFile, 0o644);
  chmodSync(keyFile, 0o644);
  const der = new X509Certificate(serverPem).publicKey.export({ type: 'spki', format: 'der' });
  return { caFile, spki: createHash('sha256').update(der).digest('base64') };
}
