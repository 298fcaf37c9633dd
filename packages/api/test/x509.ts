/// <reference types="node" />
// Minimal X.509 v3 certificates for the mutual-TLS tests, made with node:crypto alone (no openssl
// binary on the machine needed): P-256 keys, ecdsa-with-SHA256, a CN, basicConstraints, and the
// subjectAltName / extendedKeyUsage a TLS server or client certificate needs. DER (X.690) by hand.

import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const octets = (bytes: Buffer) => tlv(0x04, bytes);
const bits = (bytes: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function integer(bytes: Buffer): Buffer {
  return tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function extension(id: string, value: Buffer, critical = false): Buffer {
  return critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));
}

/** A key pair and its certificate, PEM. */
export interface Issued {
  key: KeyObject;
  keyPem: string;
  certPem: string;
}

/** What to put in a certificate. */
export interface CertificateSpec {
  cn: string;
  /** The issuer; a self-signed CA when absent. */
  issuer?: { cn: string; key: KeyObject };
  ca?: boolean;
  /** subjectAltName IPv4 addresses and DNS names (a TLS server's identity). */
  ips?: string[];
  dns?: string[];
  /** extendedKeyUsage: TLS server or client. */
  usage?: 'server' | 'client';
}

export function issue(spec: CertificateSpec): Issued {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const extensions = [extension('2.5.29.19', spec.ca ? seq(TRUE) : seq(), true)];
  const altNames = [
    ...(spec.ips ?? []).map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
    ...(spec.dns ?? []).map((dns) => tlv(0x82, Buffer.from(dns, 'ascii'))),
  ];
  if (altNames.length > 0) extensions.push(extension('2.5.29.17', seq(...altNames)));
  if (spec.usage !== undefined)
    extensions.push(
      extension('2.5.29.37', seq(oid(spec.usage === 'server' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2'))),
    );
  const now = Date.now();
  // A positive serial in minimal DER: first byte non-zero, high bit clear.
  const serial = randomBytes(12);
  serial[0] = 0x40 | (serial[0] & 0x3f);
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(spec.issuer?.cn ?? spec.cn),
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 2 * 86_400_000))),
    name(spec.cn),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.issuer?.key ?? privateKey);
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    key: privateKey,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`,
  };
}
