/**
 * @module @kvs-ts/emulator
 * A local emulator of the Kinesis Video Streams wire protocol, for Node: the control plane
 * (control-plane.ts), PutMedia with ACKs (putmedia.ts, fragmenter.ts), GetMedia, ListFragments
 * and GetMediaForFragmentList (media.ts), SigV4 verification (sigv4.ts), storage in memory or in
 * a data dir (store.ts, disk-store.ts), fault injection (faults.ts, admin.ts), one port for
 * HTTP/1.1 and HTTP/2 with optional TLS (server.ts, certificate.ts); signaling channels
 * (signaling-channels.ts), their WebSocket relay (signaling-ws.ts) and ICE servers (ice.ts). Start with
 * {@link startEmulator}; `runEmulatorCli` (cli.ts) is the `kvs emulator` command. Design:
 * docs/decisions/emulator.md; usage: docs/guides/emulator.md.
 */

export type { FragmentSummary } from './admin';
export { Admin } from './admin';
export { runEmulatorCli } from './cli';
export type { Emulator } from './emulator';
export { startEmulator } from './emulator';
export type { ControlFault, PutMediaFault } from './faults';
export { ICE_SERVER_TTL_S, TURN_PORT } from './ice';
export type { EmulatorOptions } from './options';
export { TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from './options';
export type { ChannelMeta, ChannelStatus } from './signaling-channels';
export type { ConnectionSelector, SignalingConnectionInfo, SignalingRole } from './signaling-ws';
export { MAX_MESSAGE_PAYLOAD, MAX_PRESIGN_EXPIRES_S } from './signaling-ws';
