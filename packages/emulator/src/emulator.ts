// startEmulator: resolves options, loads the data dir, listens on one port and returns the handle.

import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Admin } from './admin';
import { loadOrCreateCertificate } from './certificate';
import { DiskStore } from './disk-store';
import { Faults } from './faults';
import { type EmulatorOptions, resolveOptions } from './options';
import { createHandler } from './router';
import { createListener } from './server';
import { ChannelStore } from './signaling-channels';
import { SignalingHub } from './signaling-ws';
import { Store } from './store';

export interface Emulator {
  /** Base URL: the control plane and, through GetDataEndpoint, the data plane. */
  url: string;
  port: number;
  /** PEM path of the TLS certificate to trust (with `tls`). */
  certPath?: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  admin: Admin;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const o = resolveOptions(options);
  const disk = o.dataDir ? new DiskStore(o.dataDir) : undefined;
  const store = new Store({ region: o.region, transitionDelayMs: o.transitionDelayMs, disk });
  await store.load();
  const faults = new Faults();
  const keys = { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, region: o.region };
  const hub: SignalingHub = new SignalingHub(
    () => channels,
    keys,
    {
      idleTimeoutMs: o.signalingIdleTimeoutMs,
      maxConnectionMs: o.signalingMaxConnectionMs,
      goAwayGraceMs: o.signalingGoAwayGraceMs,
      rateLimits: o.signalingRateLimits,
    },
    o.log,
  );
  const channels = new ChannelStore(
    { region: o.region, transitionDelayMs: o.transitionDelayMs, dataDir: o.dataDir },
    (meta) => hub.channelDeleted(meta),
  );
  await channels.load();
  const signaling = { channels, hub, wssEndpoint: '', httpsEndpoint: '' };
  const admin = new Admin(faults, store, { hub, channels });
  const cert = o.tls ? await loadOrCreateCertificate(o.dataDir) : undefined;
  const closing = new Set<() => void>();
  const ctx = {
    store,
    keys,
    signaling,
    faults,
    admin,
    closing,
    log: o.log,
    maxStreams: o.maxStreams,
    dataEndpoint: '',
    putMedia: {
      persistDelayMs: o.persistDelayMs,
      idleAckIntervalMs: o.idleAckIntervalMs,
      idleTimeoutMs: o.idleTimeoutMs,
      maxConnectionMs: o.maxConnectionMs,
      maxFragmentBytes: o.maxFragmentBytes,
      maxFragmentDurationMs: o.maxFragmentDurationMs,
      maxTracks: o.maxTracks,
      maxMetadataTags: o.maxMetadataTags,
    },
  };
  const listener = createListener(createHandler(ctx), cert, (req, socket, head) =>
    hub.handleUpgrade(req, socket, head),
  );
  await new Promise<void>((resolve, reject) => {
    listener.server.once('error', reject);
    listener.server.listen(o.port, o.host, () => resolve());
  });
  const port = (listener.server.address() as AddressInfo).port;
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  // The data endpoint is our own listening address, never the Host header a client sent.
  const url = `${cert ? 'https' : 'http'}://${hostPart}:${port}`;
  ctx.dataEndpoint = url;
  // GetSignalingChannelEndpoint answers our own address: WSS as ws:// (wss:// with TLS), HTTPS as the base URL.
  signaling.httpsEndpoint = url;
  signaling.wssEndpoint = `${cert ? 'wss' : 'ws'}://${hostPart}:${port}`;
  o.log(`kvs emulator listening on ${url} (HTTP/1.1 and HTTP/2), region ${o.region}`);
  o.log(
    `access key ${o.accessKeyId} (${o.keySource})${o.keySource === 'test pair' ? `, secret ${o.secretAccessKey}` : ''}`,
  );
  if (cert) o.log(`TLS certificate: ${cert.certPath}`);
  o.log(o.dataDir ? `data dir: ${o.dataDir}` : 'storage: in memory');
  return {
    url,
    port,
    certPath: cert?.certPath,
    accessKeyId: o.accessKeyId,
    secretAccessKey: o.secretAccessKey,
    region: o.region,
    admin,
    close: async () => {
      for (const end of [...closing]) end();
      store.close();
      channels.close();
      hub.close();
      const closed = new Promise<void>((resolve) => listener.server.close(() => resolve()));
      listener.destroyAll();
      await closed;
      await channels.save();
      if (cert?.temporaryDir) await rm(cert.temporaryDir, { recursive: true, force: true });
    },
  };
}
