// startEmulator's options and their defaults. Keys: the options, else AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY from the environment (so a client in the same shell just works), else the
// documented test pair below.

/** The test key pair used when neither options nor the environment give one (docs/guides/emulator.md). */
export const TEST_ACCESS_KEY_ID = 'AKIAKVSEMULATORTEST1';
export const TEST_SECRET_ACCESS_KEY = 'kvs-emulator/test/secret/key/do-not-use-in-aws';

export interface EmulatorOptions {
  /** Default 4566; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keep streams and fragments here (durable); default: in memory. */
  dataDir?: string;
  /** Serve HTTPS (HTTP/2 and HTTP/1.1) with a generated self-signed certificate. */
  tls?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else us-west-2. Signatures must be scoped to it. */
  region?: string;
  /** Delay between storing a fragment and its PERSISTED ACK, ms (default 0). */
  persistDelayMs?: number;
  /** CREATING → ACTIVE and DELETING → gone, ms (default 50). */
  transitionDelayMs?: number;
  /** IDLE ACK period while no data arrives, ms (default 3000). */
  idleAckIntervalMs?: number;
  /** PutMedia closes after this long without data, ms (default 30000, the service's 30 s). */
  idleTimeoutMs?: number;
  /** ERROR 4003 after this long on one PutMedia connection, ms (default 45 minutes). */
  maxConnectionMs?: number;
  /** ERROR 4001 above this fragment size (default 50 MB). */
  maxFragmentBytes?: number;
  /** ERROR 4002 above this fragment duration, ms (default 10 s). */
  maxFragmentDurationMs?: number;
  /** ERROR 4012 above this many tracks (default 3). */
  maxTracks?: number;
  /** ERROR 4009 above this many metadata tags per fragment (default 10). */
  maxMetadataTags?: number;
  /** AccountStreamLimitExceededException beyond this many streams (default 10000). */
  maxStreams?: number;
  /** A signaling WebSocket without any frame from its client for this long is closed, ms (default 10 minutes). */
  signalingIdleTimeoutMs?: number;
  /** A signaling WebSocket is closed after this long in any case, ms (default 1 hour). */
  signalingMaxConnectionMs?: number;
  /** After GO_AWAY (admin API) the connection is closed after this long, ms (default 1 minute). */
  signalingGoAwayGraceMs?: number;
  /** Enforce the signaling rate quotas (connects, messages, GetIceServerConfig), default true. */
  signalingRateLimits?: boolean;
  /** Where start-up lines and internal errors go (default: nowhere). */
  log?: (line: string) => void;
  /** Environment to read keys and region from (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface ResolvedOptions extends Required<Omit<EmulatorOptions, 'dataDir' | 'env'>> {
  dataDir: string | undefined;
  keySource: 'options' | 'environment' | 'test pair';
}

export function resolveOptions(o: EmulatorOptions): ResolvedOptions {
  const env = o.env ?? process.env;
  let accessKeyId = o.accessKeyId;
  let secretAccessKey = o.secretAccessKey;
  let keySource: ResolvedOptions['keySource'] = 'options';
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      accessKeyId = env.AWS_ACCESS_KEY_ID;
      secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      keySource = 'environment';
    } else {
      accessKeyId = TEST_ACCESS_KEY_ID;
      secretAccessKey = TEST_SECRET_ACCESS_KEY;
      keySource = 'test pair';
    }
  }
  return {
    port: o.port ?? 4566,
    host: o.host ?? '127.0.0.1',
    dataDir: o.dataDir,
    tls: o.tls ?? false,
    accessKeyId,
    secretAccessKey,
    region: o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-west-2',
    persistDelayMs: o.persistDelayMs ?? 0,
    transitionDelayMs: o.transitionDelayMs ?? 50,
    idleAckIntervalMs: o.idleAckIntervalMs ?? 3000,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
    maxConnectionMs: o.maxConnectionMs ?? 45 * 60_000,
    maxFragmentBytes: o.maxFragmentBytes ?? 50_000_000,
    maxFragmentDurationMs: o.maxFragmentDurationMs ?? 10_000,
    maxTracks: o.maxTracks ?? 3,
    maxMetadataTags: o.maxMetadataTags ?? 10,
    maxStreams: o.maxStreams ?? 10_000,
    signalingIdleTimeoutMs: o.signalingIdleTimeoutMs ?? 10 * 60_000,
    signalingMaxConnectionMs: o.signalingMaxConnectionMs ?? 60 * 60_000,
    signalingGoAwayGraceMs: o.signalingGoAwayGraceMs ?? 60_000,
    signalingRateLimits: o.signalingRateLimits ?? true,
    log: o.log ?? (() => {}),
    keySource,
  };
}
