/// <reference types="node" />
// IoT certificate credentials against a local HTTPS server on 127.0.0.1 that demands a client
// certificate (mutual TLS), with CA, server and device certificates made for the test by
// x509.ts (node:crypto only: no openssl binary needed). Checks the request (path,
// x-amzn-iot-thingname, the device certificate presented), parsing, caching and refresh, and
// the failures.

import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fromIotCertificate, type IotCertificateOptions } from '@kvs-ts/api/node';
import { StatusCode } from '@kvs-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue } from './x509';

const TEST_TIMEOUT_MS = 15_000;

interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  deviceCert: string;
  deviceKey: string;
  strangerCert: string;
  strangerKey: string;
}

/** A CA, a server certificate for 127.0.0.1, a device certificate, and one from another CA. */
function makePki(): Pki {
  const ca = issue({ cn: 'test-ca', ca: true });
  const otherCa = issue({ cn: 'other-ca', ca: true });
  const server = issue({
    cn: '127.0.0.1',
    issuer: { cn: 'test-ca', key: ca.key },
    ips: ['127.0.0.1'],
    dns: ['localhost'],
    usage: 'server',
  });
  const device = issue({ cn: 'thing-1', issuer: { cn: 'test-ca', key: ca.key }, usage: 'client' });
  const stranger = issue({ cn: 'thing-x', issuer: { cn: 'other-ca', key: otherCa.key }, usage: 'client' });
  return {
    ca: ca.certPem,
    serverCert: server.certPem,
    serverKey: server.keyPem,
    deviceCert: device.certPem,
    deviceKey: device.keyPem,
    strangerCert: stranger.certPem,
    strangerKey: stranger.keyPem,
  };
}

interface Seen {
  path: string;
  thingName: string | undefined;
  peerCn: string | undefined;
}

let pki: Pki;
let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let answer: (res: import('node:http').ServerResponse) => void = () => {};

beforeAll(async () => {
  pki = makePki();
  server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({
        path: req.url ?? '',
        thingName: req.headers['x-amzn-iot-thingname'] as string | undefined,
        peerCn: typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined,
      });
      answer(res);
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
}, TEST_TIMEOUT_MS);

afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

function credentialsAnswer(expiration: string) {
  return (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        credentials: {
          accessKeyId: `ASIA${seen.length}`,
          secretAccessKey: 'iot-secret',
          sessionToken: 'iot-token',
          expiration,
        },
      }),
    );
  };
}

function options(extra: Partial<IotCertificateOptions> = {}): IotCertificateOptions {
  return {
    credentialsEndpoint: endpoint,
    roleAlias: 'KvsCameraIoTRoleAlias',
    thingName: 'thing-1',
    certificate: pki.deviceCert,
    privateKey: pki.deviceKey,
    caCertificate: pki.ca,
    ...extra,
  };
}

describe('fromIotCertificate', () => {
  it(
    'fetches over mutual TLS from /role-aliases/{alias}/credentials with the thing name, then caches',
    async () => {
      seen.length = 0;
      let now = Date.now() * 1000;
      const expiration = new Date(now / 1000 + 3_600_000);
      answer = credentialsAnswer(expiration.toISOString());
      const provider = fromIotCertificate(options({ now: () => now }));
      const credentials = await provider();
      expect(credentials).toEqual({
        accessKeyId: 'ASIA1',
        secretAccessKey: 'iot-secret',
        sessionToken: 'iot-token',
        expiration: new Date(expiration.toISOString()),
      });
      expect(seen).toEqual([
        { path: '/role-aliases/KvsCameraIoTRoleAlias/credentials', thingName: 'thing-1', peerCn: 'thing-1' },
      ]);
      await provider();
      expect(seen).toHaveLength(1);
      now += 56 * 60_000_000; // inside the 5-minute refresh window
      expect((await provider()).accessKeyId).toBe('ASIA2');
      expect(seen).toHaveLength(2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'accepts the endpoint with an https:// prefix and binary PEM',
    async () => {
      answer = credentialsAnswer(new Date(Date.now() + 3_600_000).toISOString());
      const provider = fromIotCertificate(
        options({
          credentialsEndpoint: `https://${endpoint}`,
          certificate: new TextEncoder().encode(pki.deviceCert),
          privateKey: new TextEncoder().encode(pki.deviceKey),
        }),
      );
      expect((await provider()).secretAccessKey).toBe('iot-secret');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails when the server refuses the device certificate',
    async () => {
      const provider = fromIotCertificate(options({ certificate: pki.strangerCert, privateKey: pki.strangerKey }));
      await expect(provider()).rejects.toMatchObject({ status: StatusCode.STATUS_IOT_FAILED });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'fails on an HTTP error, on credentials already expired, and on a missing expiration',
    async () => {
      answer = (res) => {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end('{"message":"Access Denied"}');
      };
      await expect(fromIotCertificate(options())()).rejects.toMatchObject({
        status: StatusCode.STATUS_IOT_FAILED,
        detail: expect.stringContaining('HTTP 403'),
      });
      answer = credentialsAnswer(new Date(Date.now() - 60_000).toISOString());
      await expect(fromIotCertificate(options())()).rejects.toMatchObject({
        status: StatusCode.STATUS_IOT_EXPIRATION_OCCURS_IN_PAST,
      });
      answer = credentialsAnswer('not a date');
      await expect(fromIotCertificate(options())()).rejects.toMatchObject({
        status: StatusCode.STATUS_IOT_EXPIRATION_PARSING_FAILED,
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'gives up on a provider that does not answer within timeoutUs, and tries again at the next call',
    async () => {
      answer = () => {};
      const provider = fromIotCertificate(options({ timeoutUs: 200_000 }));
      const started = Date.now();
      await expect(provider()).rejects.toMatchObject({ status: StatusCode.STATUS_IOT_FAILED });
      expect(Date.now() - started).toBeLessThan(3_000);
      answer = credentialsAnswer(new Date(Date.now() + 3_600_000).toISOString());
      expect((await provider()).sessionToken).toBe('iot-token');
    },
    TEST_TIMEOUT_MS,
  );
});
