// The TLS certificate: self-signed, naming IP:127.0.0.1 and DNS:localhost in its SAN, because
// AWS's C producer always verifies peer and host (docs/decisions/emulator.md, "What AWS's clients
// send"). Generated
// with `selfsigned` (docs/decisions/emulator-certificates.md) and written as PEM so clients can
// trust it (AWS_KVS_CACERT_PATH, NODE_EXTRA_CA_CERTS, or a custom agent's `ca`).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface Certificate {
  cert: string;
  key: string;
  /** Path of the certificate's PEM file. */
  certPath: string;
  /** The temporary directory made for it (no data dir), removed when the emulator closes. */
  temporaryDir?: string;
}

/**
 * Loads the certificate kept in `dir` (a data dir keeps it across restarts, so clients trust it
 * once), or generates one there.
 */
export async function loadOrCreateCertificate(dir: string | undefined): Promise<Certificate> {
  const where = dir ?? join(tmpdir(), `kvs-emulator-${process.pid}-${Date.now()}`);
  await mkdir(where, { recursive: true });
  const certPath = join(where, 'emulator-cert.pem');
  const keyPath = join(where, 'emulator-key.pem');
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8'), certPath };
  } catch {
    // none yet
  }
  const notAfter = new Date(Date.now() + 825 * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert);
  return { cert: pems.cert, key: pems.private, certPath, temporaryDir: dir === undefined ? where : undefined };
}
