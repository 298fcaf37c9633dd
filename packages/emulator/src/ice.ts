// The signaling channel's HTTPS data plane (Kinesis Video Signaling API 2019-12-04:
// GetIceServerConfig, SendAlexaOfferToMaster; ../shared/spec/seeds-webrtc.md §4.2), served on the
// emulator's own address, which GetSignalingChannelEndpoint answers as the HTTPS endpoint.
// The ICE servers are loopback TURN-shaped entries in AWS's response shape; nothing listens on
// their port: the emulator relays signaling, not media. Credentials follow the common TURN REST
// convention (username `{expiry}:{id}`, password an HMAC of it), so they differ per call and expire.

import { createHmac, randomBytes } from 'node:crypto';
import { invalidArgument } from './errors';
import type { ChannelActionContext } from './signaling-channels';

/** TURN credential lifetime, s: the documented 5 minutes (seeds-webrtc.md §6.3). */
export const ICE_SERVER_TTL_S = 300;
/** The port put in the TURN URIs (the standard STUN/TURN port; nothing listens there). */
export const TURN_PORT = 3478;

const ID_RE = /^[a-zA-Z0-9_.-]{1,256}$/;
const BASE64_RE = /^[a-zA-Z0-9+/=]+$/;
const secret = randomBytes(32);

type Body = Record<string, unknown>;

function turnHost(ctx: ChannelActionContext): string {
  return new URL(ctx.signaling.httpsEndpoint).hostname;
}

export const dataPlaneActions: Record<string, (body: Body, ctx: ChannelActionContext) => unknown> = {
  'v1/get-ice-server-config'(body, ctx) {
    const arn = body.ChannelARN;
    if (typeof arn !== 'string' || arn === '') throw invalidArgument('ChannelARN is required');
    const channel = ctx.signaling.channels.find({ ChannelARN: arn });
    if (body.ClientId !== undefined && (typeof body.ClientId !== 'string' || !ID_RE.test(body.ClientId)))
      throw invalidArgument('ClientId is not valid');
    if (body.Service !== undefined && body.Service !== 'TURN') throw invalidArgument('Service must be TURN');
    if (body.Username !== undefined && (typeof body.Username !== 'string' || body.Username.length > 256))
      throw invalidArgument('Username is not valid');
    ctx.signaling.hub.takeChannelRate(channel.arn, 'iceConfig');
    const host = turnHost(ctx);
    const expiry = Math.floor(Date.now() / 1000) + ICE_SERVER_TTL_S;
    // Two servers with UDP and TCP URIs, as the service tends to answer (seeds-webrtc.md §4.2).
    const servers = [0, 1].map((i) => {
      const username = `${expiry}:${Buffer.from(`${channel.name}/${body.ClientId ?? 'master'}/${i}`).toString('base64url')}`;
      return {
        Uris: [
          `turn:${host}:${TURN_PORT}?transport=udp`,
          `turns:${host}:${TURN_PORT}?transport=udp`,
          `turns:${host}:${TURN_PORT}?transport=tcp`,
        ],
        Username: username,
        Password: createHmac('sha1', secret).update(username).digest('base64'),
        Ttl: ICE_SERVER_TTL_S,
      };
    });
    return { IceServerList: servers };
  },

  async 'v1/send-alexa-offer-to-master'(body, ctx) {
    const arn = body.ChannelARN;
    if (typeof arn !== 'string' || arn === '') throw invalidArgument('ChannelARN is required');
    const sender = body.SenderClientId;
    if (typeof sender !== 'string' || !ID_RE.test(sender)) throw invalidArgument('SenderClientId is not valid');
    const payload = body.MessagePayload;
    if (typeof payload !== 'string' || payload.length < 1 || payload.length > 10_000 || !BASE64_RE.test(payload))
      throw invalidArgument('MessagePayload must be 1 to 10000 base64 characters');
    const channel = ctx.signaling.channels.find({ ChannelARN: arn });
    ctx.signaling.hub.takeChannelRate(channel.arn, 'alexa');
    return { Answer: await ctx.signaling.hub.alexaOffer(channel, sender, payload) };
  },
};
