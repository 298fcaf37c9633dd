// The producer stream's service calls (@kvs-ts/stream's StreamService, PIC's API callbacks) on
// top of KinesisVideoApi. Every call resolves with a ServiceCallResult, never rejects: 200 on
// success, else serviceCallResultOf(the error), which is what PIC's state machine decides on.
// The PutMedia connection itself is the transport's: it is injected.

import { ServiceCallResult } from '@kvs-ts/core';
import type {
  PutStreamRequest,
  ServiceCallOutcome,
  StreamDescription,
  StreamingToken,
  StreamService,
} from '@kvs-ts/stream';
import type { KinesisVideoApi } from './control-plane';
import type { AwsCredentials } from './credentials';
import { KvsServiceError, serviceCallResultOf } from './errors';

/** Opens a PutMedia connection for the stream (the transport's job). */
export type PutMediaFn = (request: PutStreamRequest<AwsCredentials>) => Promise<ServiceCallOutcome>;

/** Options of {@link ApiStreamService}. */
export interface ApiStreamServiceOptions {
  /** The PutMedia transport: called for each connection the stream opens. */
  putMedia: PutMediaFn;
  /** The clock, µs since the Unix epoch. Default `Date.now() * 1000`. */
  now?: () => number;
}

const US_PER_HOUR = 3_600_000_000;

/**
 * How long credentials without an expiration are handed out for (µs): AWS's C producer gives
 * static credentials PIC's MAX_ENFORCED_TOKEN_EXPIRATION_DURATION, 40 minutes, so the stream
 * still rotates its connection that often.
 */
export const STATIC_TOKEN_LIFETIME_US = 40 * 60 * 1_000_000;

const OK = ServiceCallResult.OK;

/**
 * The result a control call reports to the state machine. Throttling that outlived the HTTP
 * layer's own retries (retry.ts) is reported as UNKNOWN, so that the state machine backs off and
 * calls again, as every AWS SDK retries throttling: PIC counts CLIENT_LIMIT among the results not
 * worth retrying (serviceCallResultRetry) and would fail the stream on a throttled DescribeStream
 * (packages/kvs/test/reliability.node.test.ts throttles the first control calls). The error itself
 * keeps CLIENT_LIMIT (`KvsServiceError.result`).
 */
function controlCallResult(error: unknown): number {
  if (error instanceof KvsServiceError && error.retryable && error.result === ServiceCallResult.CLIENT_LIMIT) {
    return ServiceCallResult.UNKNOWN;
  }
  return serviceCallResultOf(error);
}

/** StreamService over the KVS API; the streaming token is the current AWS credentials. */
export class ApiStreamService implements StreamService<AwsCredentials> {
  private readonly now: () => number;
  private readonly putMedia: PutMediaFn;

  constructor(
    private readonly api: KinesisVideoApi,
    options: ApiStreamServiceOptions,
  ) {
    this.putMedia = options.putMedia;
    this.now = options.now ?? (() => Date.now() * 1000);
  }

  async describeStream(streamName: string): Promise<ServiceCallOutcome & { description?: StreamDescription }> {
    try {
      const info = await this.api.describeStream({ streamName });
      const description: StreamDescription = {
        streamName: info.streamName,
        streamArn: info.streamArn,
        status: info.status,
        dataRetentionInHours: info.dataRetentionInHours,
        kmsKeyId: info.kmsKeyId,
        mediaType: info.mediaType,
      };
      return { result: OK, description };
    } catch (error) {
      return { result: controlCallResult(error) };
    }
  }

  async createStream(request: {
    deviceName: string;
    streamName: string;
    contentType: string;
    kmsKeyId?: string;
    retentionPeriod: number;
  }): Promise<ServiceCallOutcome & { streamArn?: string }> {
    try {
      const { streamArn } = await this.api.createStream({
        streamName: request.streamName,
        deviceName: request.deviceName === '' ? undefined : request.deviceName,
        mediaType: request.contentType,
        kmsKeyId: request.kmsKeyId === '' ? undefined : request.kmsKeyId,
        // Whole hours, rounded down, as AWS's C producer sends them.
        dataRetentionInHours: Math.floor(request.retentionPeriod / US_PER_HOUR),
      });
      return { result: OK, streamArn };
    } catch (error) {
      return { result: controlCallResult(error) };
    }
  }

  async tagStream(request: {
    streamArn: string;
    streamName: string;
    tags: Readonly<Record<string, string>>;
  }): Promise<ServiceCallOutcome> {
    try {
      const ref = request.streamArn === '' ? { streamName: request.streamName } : { streamArn: request.streamArn };
      await this.api.tagStream({ ...ref, tags: request.tags });
      return { result: OK };
    } catch (error) {
      return { result: controlCallResult(error) };
    }
  }

  async getDataEndpoint(request: {
    streamName: string;
    apiName: 'PUT_MEDIA';
  }): Promise<ServiceCallOutcome & { endpoint?: string }> {
    try {
      const endpoint = await this.api.getDataEndpoint({ streamName: request.streamName, apiName: request.apiName });
      return { result: OK, endpoint };
    } catch (error) {
      return { result: controlCallResult(error) };
    }
  }

  /** The current credentials, expiring when they do (or in {@link STATIC_TOKEN_LIFETIME_US}). */
  async getStreamingToken(_request: {
    streamName: string;
  }): Promise<ServiceCallOutcome & Partial<StreamingToken<AwsCredentials>>> {
    try {
      const token = await this.api.credentials();
      const expiration =
        token.expiration === undefined ? this.now() + STATIC_TOKEN_LIFETIME_US : token.expiration.getTime() * 1000;
      return { result: OK, token, expiration };
    } catch (error) {
      return { result: controlCallResult(error) };
    }
  }

  /** Hands the connection to the transport; a failed one makes the next GetDataEndpoint ask the service. */
  async putStream(request: PutStreamRequest<AwsCredentials>): Promise<ServiceCallOutcome> {
    let outcome: ServiceCallOutcome;
    try {
      outcome = await this.putMedia(request);
    } catch (error) {
      outcome = { result: serviceCallResultOf(error) };
    }
    if (outcome.result !== OK) this.api.invalidateDataEndpoint(request.streamName, 'PUT_MEDIA');
    return outcome;
  }
}
