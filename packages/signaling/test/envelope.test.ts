// The envelope codec (../shared/spec/seeds-webrtc.md §5.3, §5.4): what is sent survives the
// service's relay (action → messageType, recipient → sender) unchanged, for any SDP text and any
// candidate; everything the docs forbid is refused with a KvsError before it is sent; incoming
// frames are read leniently but never silently misread.

import { isKvsError, KvsError } from '@kvs-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64Text,
  decodeMessage,
  encodeBase64Text,
  encodeMessage,
  MAX_PAYLOAD_LENGTH,
  type OutgoingMessage,
  type Role,
} from '../src/envelope';
import { isValidClientId, isValidCorrelationId } from '../src/ids';

const idChars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-'];
const validId = fc
  .array(fc.constantFrom(...idChars), { minLength: 1, maxLength: 256 })
  .map((c) => c.join(''))
  .filter((id) => !/^aws_/i.test(id));
const sdpText = fc.string({ minLength: 1, maxLength: 2000, unit: 'grapheme' });
const candidate = fc.record(
  {
    candidate: fc.string({ minLength: 1, maxLength: 300 }),
    sdpMid: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
    sdpMLineIndex: fc.option(fc.nat(20), { nil: null }),
    usernameFragment: fc.option(fc.string({ maxLength: 16 }), { nil: null }),
  },
  { requiredKeys: ['candidate'] },
);
const outgoing: fc.Arbitrary<OutgoingMessage> = fc.oneof(
  fc.record({
    action: fc.constant('SDP_OFFER' as const),
    description: sdpText.map((sdp) => ({ type: 'offer' as const, sdp })),
  }),
  fc.record({
    action: fc.constant('SDP_ANSWER' as const),
    description: sdpText.map((sdp) => ({ type: 'answer' as const, sdp })),
  }),
  fc.record({ action: fc.constant('ICE_CANDIDATE' as const), candidate }),
);

/** What the service delivers for an envelope a client sent. */
function relay(text: string, sender: string | undefined): string {
  const e = JSON.parse(text);
  return JSON.stringify({ senderClientId: sender, messageType: e.action, messagePayload: e.messagePayload });
}

describe('envelope round trip', () => {
  it('master → viewer and viewer → master, any SDP or candidate', () => {
    fc.assert(
      fc.property(
        outgoing,
        fc.constantFrom<Role>('MASTER', 'VIEWER'),
        validId,
        fc.option(validId, { nil: undefined }),
        (message, role, peer, correlationId) => {
          const recipientClientId = role === 'MASTER' ? peer : undefined;
          const text = encodeMessage({ ...message, recipientClientId, correlationId }, role);
          const envelope = JSON.parse(text);
          expect(envelope.action).toBe(message.action);
          expect(envelope.recipientClientId).toBe(recipientClientId);
          expect(envelope.correlationId).toBe(correlationId);
          expect(envelope.messagePayload.length).toBeLessThanOrEqual(MAX_PAYLOAD_LENGTH);
          const received = decodeMessage(relay(text, role === 'MASTER' ? undefined : peer));
          expect(received.senderClientId).toBe(role === 'MASTER' ? undefined : peer);
          if (message.action === 'ICE_CANDIDATE') {
            expect(received).toMatchObject({ type: 'ICE_CANDIDATE', candidate: message.candidate });
          } else {
            expect(received).toMatchObject({ type: message.action, description: message.description });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('base64 of UTF-8 text round-trips any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 500 }), (s) => {
        const b64 = encodeBase64Text(s);
        expect(b64).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
        expect(decodeBase64Text(b64)).toBe(s);
      }),
    );
  });

  it('a candidate is sent as the browser JSON AWS relays (C SDK frame of issue #1017)', () => {
    const c = {
      candidate: 'candidate:6 1 TCP 2105524479 a.local 9 typ host tcptype active',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: '444bb907',
    };
    const text = encodeMessage({ action: 'ICE_CANDIDATE', candidate: c, recipientClientId: 'v1' }, 'MASTER');
    expect(JSON.parse(text)).toEqual({
      action: 'ICE_CANDIDATE',
      recipientClientId: 'v1',
      messagePayload: encodeBase64Text(JSON.stringify(c)),
    });
  });
});

describe('envelope refusals', () => {
  const offer: OutgoingMessage = { action: 'SDP_OFFER', description: { type: 'offer', sdp: 'v=0' } };
  const refused = (f: () => unknown, status = 'STATUS_INVALID_ARG') => {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KvsError);
    expect(isKvsError(error, status as 'STATUS_INVALID_ARG')).toBe(true);
  };

  it('master without recipient, viewer with one', () => {
    refused(() => encodeMessage(offer, 'MASTER'));
    refused(() => encodeMessage({ ...offer, recipientClientId: 'm' }, 'VIEWER'));
  });

  it('any invalid recipient or correlation ID', () => {
    const badId = fc.oneof(
      fc.constant(''),
      fc.string({ minLength: 257, maxLength: 300 }),
      fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /[^A-Za-z0-9_.-]/.test(s)),
    );
    fc.assert(
      fc.property(badId, (id) => {
        expect(isValidCorrelationId(id)).toBe(false);
        refused(() => encodeMessage({ ...offer, recipientClientId: id }, 'MASTER'));
        refused(() => encodeMessage({ ...offer, correlationId: id }, 'VIEWER'));
      }),
    );
    expect(isValidClientId('AWS_reserved')).toBe(false);
    expect(isValidClientId('aws_reserved')).toBe(false);
    expect(isValidClientId('x'.repeat(256))).toBe(true);
    refused(() => encodeMessage({ ...offer, recipientClientId: 'Aws_x' }, 'MASTER'));
  });

  it('SDP of the wrong type, no SDP, end-of-candidates', () => {
    refused(() => encodeMessage({ action: 'SDP_OFFER', description: { type: 'answer', sdp: 'v=0' } }, 'VIEWER'));
    refused(() => encodeMessage({ action: 'SDP_ANSWER', description: { type: 'answer', sdp: '' } }, 'VIEWER'));
    refused(() => encodeMessage({ action: 'ICE_CANDIDATE', candidate: { candidate: '' } }, 'VIEWER'));
    refused(() => encodeMessage({ action: 'ICE_CANDIDATE', candidate: {} }, 'VIEWER'));
    refused(() => encodeMessage({ action: 'NOPE' } as unknown as OutgoingMessage, 'VIEWER'));
  });

  it('a payload over the limit, exactly at its edge', () => {
    // base64 of {"type":"offer","sdp":"…"}: 25 bytes of JSON around the SDP.
    const fits = 'a'.repeat((MAX_PAYLOAD_LENGTH / 4) * 3 - 25);
    expect(
      JSON.parse(encodeMessage({ action: 'SDP_OFFER', description: { type: 'offer', sdp: fits } }, 'VIEWER'))
        .messagePayload,
    ).toHaveLength(MAX_PAYLOAD_LENGTH);
    refused(
      () => encodeMessage({ action: 'SDP_OFFER', description: { type: 'offer', sdp: `${fits}a` } }, 'VIEWER'),
      'STATUS_INVALID_ARG_LEN',
    );
  });
});

describe('incoming frames', () => {
  const b64 = (v: unknown) => encodeBase64Text(JSON.stringify(v));

  it('PascalCase keys (as AWS C SDK sends) and missing senders', () => {
    expect(
      decodeMessage(JSON.stringify({ MessageType: 'SDP_ANSWER', MessagePayload: b64({ type: 'answer', sdp: 'x' }) })),
    ).toEqual({ type: 'SDP_ANSWER', description: { type: 'answer', sdp: 'x' } });
  });

  it('STATUS_RESPONSE, GO_AWAY without payload, RECONNECT_ICE_SERVER, unknown types', () => {
    expect(
      decodeMessage(
        JSON.stringify({
          messageType: 'STATUS_RESPONSE',
          statusResponse: {
            correlationId: 'c.1',
            errorType: 'InvalidArgumentException',
            statusCode: '400',
            description: 'bad',
          },
        }),
      ),
    ).toEqual({
      type: 'STATUS_RESPONSE',
      status: { correlationId: 'c.1', errorType: 'InvalidArgumentException', statusCode: '400', description: 'bad' },
    });
    expect(decodeMessage('{"messageType":"GO_AWAY"}')).toEqual({ type: 'GO_AWAY' });
    expect(
      decodeMessage(JSON.stringify({ messageType: 'RECONNECT_ICE_SERVER', messagePayload: encodeBase64Text('relay') })),
    ).toEqual({
      type: 'RECONNECT_ICE_SERVER',
      payload: 'relay',
    });
    expect(decodeMessage('{"messageType":"NEW_THING","senderClientId":"s","extra":1}')).toEqual({
      type: 'UNKNOWN',
      messageType: 'NEW_THING',
      senderClientId: 's',
      raw: { messageType: 'NEW_THING', senderClientId: 's', extra: 1 },
    });
  });

  it('refuses any malformed frame with STATUS_FORMAT_ERROR, never another error', () => {
    const frames = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          messageType: fc.constantFrom('SDP_OFFER', 'SDP_ANSWER', 'ICE_CANDIDATE', 'STATUS_RESPONSE'),
          messagePayload: fc.oneof(
            fc.string(),
            fc.base64String(),
            fc.json().map((j) => encodeBase64Text(j)),
          ),
        })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(frames, (text) => {
        try {
          const m = decodeMessage(text);
          // What decodes is a well-formed typed message.
          expect(typeof m.type).toBe('string');
          if (m.type === 'SDP_OFFER' || m.type === 'SDP_ANSWER') expect(typeof m.description.sdp).toBe('string');
          if (m.type === 'ICE_CANDIDATE') expect(typeof m.candidate.candidate).toBe('string');
        } catch (e) {
          expect(isKvsError(e, 'STATUS_FORMAT_ERROR')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an SDP of the other type in the payload is refused', () => {
    const text = JSON.stringify({ messageType: 'SDP_OFFER', messagePayload: b64({ type: 'answer', sdp: 'x' }) });
    expect(() => decodeMessage(text)).toThrow(/not an offer/);
  });
});
