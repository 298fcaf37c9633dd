// The stream's PUT_STREAM call (StreamService.putStream, AWS's putStreamFn) done by a PutMedia
// transport: the connection the stream opens is served by `transport` with the stream's
// credentials (its streaming token), its data endpoint and its MKV stream start.

import type { AwsCredentials, CredentialProvider } from '@kvs-ts/api';
import { ServiceCallResult } from '@kvs-ts/core';
import type { KinesisVideoStream, PutStreamRequest, ServiceCallOutcome } from '@kvs-ts/stream';
import type { PutMediaOptions, PutMediaSource } from './connection';
import { type PutMediaTarget, targetOf } from './request';
import { streamSource } from './source';

/** A transport: putMediaWithFetch, or putMediaWithNodeHttp from `@kvs-ts/putmedia/node`. */
export type PutMediaTransport<O extends PutMediaOptions = PutMediaOptions> = (
  target: PutMediaTarget,
  source: PutMediaSource,
  options?: O,
) => Promise<{ result: number }>;

/** Options of {@link putStreamWith}. */
export interface PutStreamOptions<O extends PutMediaOptions> {
  /** Region the requests are signed for. */
  region: string;
  transport: PutMediaTransport<O>;
  /** Options for every connection (timeouts, onError, a TLS CA, …). */
  transportOptions?: O;
  payloadSigning?: 'empty' | 'unsigned';
  userAgent?: string;
}

/**
 * A `putMedia` function for `ApiStreamService` (from @kvs-ts/api) that serves each connection of
 * the stream `stream()` returns (late-bound: the service is made before the stream).
 */
export function putStreamWith<O extends PutMediaOptions>(
  stream: () => KinesisVideoStream<AwsCredentials | CredentialProvider>,
  options: PutStreamOptions<O>,
): (request: PutStreamRequest<AwsCredentials | CredentialProvider>) => Promise<ServiceCallOutcome> {
  return async (request) => {
    const target = targetOf(request, options);
    const source = streamSource(stream() as KinesisVideoStream<unknown>, request.connection);
    try {
      return await options.transport(target, source, options.transportOptions);
    } catch (e) {
      // The request could not be signed (the credentials provider failed): the connection ends
      // before it opened, and the rejection is PutStream's result (UNKNOWN) for the state machine.
      source.end(ServiceCallResult.UNKNOWN);
      throw e;
    }
  };
}
