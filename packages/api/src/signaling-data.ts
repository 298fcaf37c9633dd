// The signaling channel's HTTPS data plane (Kinesis Video Signaling API 2019-12-04:
// GetIceServerConfig, SendAlexaOfferToMaster; ../shared/spec/seeds-webrtc.md §4.2). Both go to the
// channel's HTTPS endpoint from GetSignalingChannelEndpoint (not the regional one), signed for
// `kinesisvideo` like every KVS call. As with archived-media.ts's DataPlane, the caller brings
// the HTTP client; here also the endpoint, since it comes per channel and role.

import type { CallOptions, KvsHttpClient } from './http';
import { objectOf, optionalNumber, requiredString } from './shapes';

/** The channel's HTTPS endpoint and the client to reach it with (a KinesisVideoApi's `http`). */
export interface SignalingPlane {
  readonly http: KvsHttpClient;
  /** SignalingEndpoints.https of GetSignalingChannelEndpoint. */
  readonly endpoint: string;
}

export interface GetIceServerConfigInput {
  channelArn: string;
  /** The viewer's client ID (a master leaves it out). */
  clientId?: string;
  /** Only `TURN` exists. */
  service?: 'TURN';
  username?: string;
}

/** One of AWS's IceServer entries (map to RTCIceServer as `{urls: uris, username, credential: password}`). */
export interface IceServer {
  uris: string[];
  username: string;
  password: string;
  /** How long the credentials stay valid, seconds (the wire's Ttl). */
  ttl: number;
}

export interface SendAlexaOfferToMasterInput {
  channelArn: string;
  senderClientId: string;
  /** The base64 SDP offer (1..10000 characters). */
  messagePayload: string;
}

const trim = (endpoint: string): string => endpoint.replace(/\/+$/, '');

/** GetIceServerConfig: the TURN servers of the channel, with credentials valid for `ttl` seconds. */
export async function getIceServerConfig(
  plane: SignalingPlane,
  input: GetIceServerConfigInput,
  options?: CallOptions,
): Promise<IceServer[]> {
  const op = 'GetIceServerConfig';
  const body = {
    ChannelARN: input.channelArn,
    ClientId: input.clientId,
    Service: input.service,
    Username: input.username,
  };
  const out = await plane.http.json(op, trim(plane.endpoint), '/v1/get-ice-server-config', body, options);
  const list = Array.isArray(out.IceServerList) ? out.IceServerList : [];
  return list.map((entry) => {
    const w = objectOf(entry, op, 'IceServer');
    return {
      uris: Array.isArray(w.Uris) ? w.Uris.filter((u): u is string => typeof u === 'string') : [],
      username: requiredString(w.Username, op, 'IceServer.Username'),
      password: requiredString(w.Password, op, 'IceServer.Password'),
      ttl: optionalNumber(w.Ttl) ?? 0,
    };
  });
}

/** SendAlexaOfferToMaster: the master's base64 SDP answer to the offer. */
export async function sendAlexaOfferToMaster(
  plane: SignalingPlane,
  input: SendAlexaOfferToMasterInput,
  options?: CallOptions,
): Promise<{ answer: string }> {
  const op = 'SendAlexaOfferToMaster';
  const body = {
    ChannelARN: input.channelArn,
    SenderClientId: input.senderClientId,
    MessagePayload: input.messagePayload,
  };
  const out = await plane.http.json(op, trim(plane.endpoint), '/v1/send-alexa-offer-to-master', body, options);
  return { answer: requiredString(out.Answer, op, 'Answer') };
}
