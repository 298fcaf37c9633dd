// What goes on a PutMedia request line and in its headers, and how it is signed: POST
// {dataEndpoint}/putMedia with x-amzn-stream-name (or -arn), x-amzn-fragment-timecode-type,
// x-amzn-producer-start-timestamp and x-amzn-fragment-acknowledgment-required, signed as AWS's C
// producer signs it (`CurlApiCallbacks.c putStreamCurl`: the payload hash of the empty string,
// since the body streams), or with UNSIGNED-PAYLOAD as AWS's Java producer does.

import {
  type AwsCredentials,
  type CredentialProvider,
  type PayloadSigning,
  resolveCredentials,
  Signer,
} from '@kvs-ts/api';
import { KvsError, usToDecimalSeconds } from '@kvs-ts/core';
import type { PutStreamRequest } from '@kvs-ts/stream';

/** Where and how one PutMedia connection uploads. */
export interface PutMediaTarget {
  /** The PUT_MEDIA data endpoint (GetDataEndpoint's answer). */
  endpoint: string;
  /** The stream, by name or by ARN (one of the two). */
  streamName?: string;
  streamArn?: string;
  /** x-amzn-producer-start-timestamp, µs since the epoch. With relative fragment times cluster timecodes count from it. */
  producerStartTimestamp: number;
  /** ABSOLUTE (default true) or RELATIVE cluster timecodes. */
  absoluteFragmentTimes?: boolean;
  /** Ask for ACKs (default true). */
  fragmentAcks?: boolean;
  /** Region the request is signed for. */
  region: string;
  /** The credentials to sign with (the stream's streaming token). */
  credentials: AwsCredentials | CredentialProvider;
  /** `empty` (default; AWS's C producer) or `unsigned` (UNSIGNED-PAYLOAD; AWS's Java producer). */
  payloadSigning?: Extract<PayloadSigning, 'empty' | 'unsigned'>;
  userAgent?: string;
  /** The signing clock, µs since the epoch (tests). */
  now?: () => number;
}

/** The target of a stream's PutStreamRequest (what @kvs-ts/stream's PUT_STREAM asks for). */
export function targetOf(
  request: PutStreamRequest<AwsCredentials | CredentialProvider>,
  options: { region: string; payloadSigning?: 'empty' | 'unsigned'; userAgent?: string },
): PutMediaTarget {
  if (request.token === undefined)
    throw new KvsError('STATUS_INVALID_ARG', 'PutStreamRequest without a token: no credentials to sign PutMedia with');
  return {
    endpoint: request.endpoint,
    streamName: request.streamName,
    producerStartTimestamp: request.streamStartTime,
    absoluteFragmentTimes: request.absoluteFragmentTimes,
    fragmentAcks: request.fragmentAcks,
    region: options.region,
    credentials: request.token,
    payloadSigning: options.payloadSigning,
    userAgent: options.userAgent,
  };
}

/**
 * x-amzn-producer-start-timestamp: seconds with three zero-padded decimals. (AWS's C producer
 * prints the milliseconds without padding, so 5 ms past a second reads ".5": wire-observed.md in
 * the project's shared notes; the service reads any decimal number, this writes the right one.)
 */
export function formatProducerTimestamp(us: number): string {
  const text = usToDecimalSeconds(us);
  if (text === undefined)
    throw new KvsError('STATUS_INVALID_ARG', `producer start timestamp must be ≥ 0 µs, got ${us}`);
  return text;
}

/** A signed PutMedia request: its URL and the headers to send (hop-by-hop ones left to the transport). */
export interface SignedPutMedia {
  url: string;
  /** Every signed header, `host` included (node:http sends them as they are). */
  headers: Record<string, string>;
  /** The same without those fetch sets or refuses. */
  fetchHeaders: Record<string, string>;
}

/** Builds and signs the request for `target`. KvsError STATUS_INVALID_ARG for a bad target. */
export async function signPutMedia(target: PutMediaTarget): Promise<SignedPutMedia> {
  if ((target.streamName === undefined) === (target.streamArn === undefined))
    throw new KvsError('STATUS_INVALID_ARG', 'PutMedia needs exactly one of streamName and streamArn');
  let url: URL;
  try {
    url = new URL('/putMedia', target.endpoint);
  } catch {
    throw new KvsError('STATUS_INVALID_ARG', `not a data endpoint URL: ${JSON.stringify(target.endpoint)}`);
  }
  const headers: Record<string, string> = {
    'x-amzn-fragment-acknowledgment-required': target.fragmentAcks === false ? '0' : '1',
    'x-amzn-fragment-timecode-type': target.absoluteFragmentTimes === false ? 'RELATIVE' : 'ABSOLUTE',
    'x-amzn-producer-start-timestamp': formatProducerTimestamp(target.producerStartTimestamp),
  };
  if (target.streamName !== undefined) headers['x-amzn-stream-name'] = target.streamName;
  else headers['x-amzn-stream-arn'] = target.streamArn as string;
  if (target.userAgent !== undefined) headers['user-agent'] = target.userAgent;
  const signer = new Signer({
    region: target.region,
    credentials: resolveCredentials(target.credentials),
    now: target.now,
  });
  const signed = await signer.sign({ method: 'POST', url, headers }, { payload: target.payloadSigning ?? 'empty' });
  return { url: signed.url, headers: signed.headers, fetchHeaders: signed.fetchHeaders };
}
