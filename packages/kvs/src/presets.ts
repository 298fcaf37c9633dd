// Stream definitions as AWS's producers start them: the C producer's realtime and offline
// StreamInfo providers (createRealtimeVideoStreamInfoProvider / createOfflineVideoStreamInfoProvider),
// whose values are the stream package's defaults (packages/stream/src/definition.ts), plus the
// streaming type and, offline, a longer buffer so a fast reader waits instead of dropping.

import { StreamingType } from '@kvs-ts/content-store';
import type { StreamDefinition } from '@kvs-ts/stream';

type Rest = Omit<StreamDefinition, 'streamName'>;

/** A camera: frames at their own pace; old frames dropped when the network cannot keep up (the default). */
export function realtimeStream(streamName: string, rest: Rest = {}): StreamDefinition {
  return { streamingType: StreamingType.REALTIME, ...rest, streamName };
}

/**
 * Near-realtime: as realtime, but the service may take a little longer to make fragments
 * available (PIC's STREAMING_TYPE_NEAR_REALTIME).
 */
export function nearRealtimeStream(streamName: string, rest: Rest = {}): StreamDefinition {
  return { streamingType: StreamingType.NEAR_REALTIME, ...rest, streamName };
}

/**
 * Offline: a file or a recording uploaded as fast as the network takes it. A full buffer makes
 * `putFrameAsync` wait for room (up to the client's offline timeout) instead of dropping frames.
 */
export function offlineStream(streamName: string, rest: Rest = {}): StreamDefinition {
  return { streamingType: StreamingType.OFFLINE, ...rest, streamName };
}
