/**
 * @module @kvs-ts/core
 * What every kvs-ts package shares: PIC-compatible status codes, the {@link KvsError} they
 * travel in, frame and track types, and microsecond time helpers.
 */

export type { FragmentAck } from './ack';
export { FragmentAckType } from './ack';
export type { ByteSource } from './chunks';
export { chunksOf } from './chunks';
export type { KvsErrorOptions } from './error';
export { isKvsError, KvsError } from './error';
export {
  ackErrorStatus,
  isHostAliveResult,
  isKnownAckErrorId,
  isRecoverableStatus,
  isRetriableResult,
  isRetriableStatus,
  ServiceCallResult,
  serviceCallResultStatus,
} from './service-call';
export type { StatusName, StatusValue } from './status';
export { isStatusCode, StatusCode, statusName } from './status';
export type { UsPerTick } from './time';
export {
  DEFAULT_TIMECODE_SCALE_NS,
  decimalSecondsToUs,
  hundredsOfNanosToUs,
  ticksToUs,
  US_PER_MS,
  US_PER_SECOND,
  usPerTick,
  usToDecimalSeconds,
  usToHundredsOfNanos,
  usToTicks,
} from './time';
export type { AudioTrackInfo, Frame, TrackInfo, VideoTrackInfo } from './types';
export { FrameFlags, TrackType } from './types';
