// The PutMedia ACK stream parser: real ACK lines, every way a stream can be cut into chunks,
// the odd things a service body holds (error bodies, stray text, unknown keys, escapes, huge
// objects), and what each bad object is reported as.
import { ackErrorStatus, type FragmentAck, FragmentAckType, type KvsError, StatusCode } from '@kvs-ts/core';
import { AckParser } from '@kvs-ts/getmedia';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const encoder = new TextEncoder();

function parse(chunks: Array<string | Uint8Array>, options?: { maxObjectLength?: number }) {
  const acks: FragmentAck[] = [];
  const errors: Array<{ status: string; text: string }> = [];
  const parser = new AckParser(
    { ack: (a) => acks.push(a), error: (e: KvsError, text) => errors.push({ status: e.statusName, text }) },
    options,
  );
  for (const c of chunks) parser.push(typeof c === 'string' ? encoder.encode(c) : c);
  parser.end();
  return { acks, errors };
}

// The shape of the service's ACKs (PutMedia's documented examples; FragmentNumber is 47 digits).
const FN = '91343852333181432392682062607743920146264440141';
const REAL = [
  `{"EventType":"BUFFERING","FragmentTimecode":1700000000000,"FragmentNumber":"${FN}"}`,
  `{"EventType":"RECEIVED","FragmentTimecode":1700000000000,"FragmentNumber":"${FN}"}`,
  `{"EventType":"PERSISTED","FragmentTimecode":1700000000000,"FragmentNumber":"${FN}"}`,
  '{"EventType":"IDLE"}',
  `{"EventType":"ERROR","FragmentTimecode":1700000002000,"FragmentNumber":"${FN}","ErrorId":4004,"ErrorCode":"FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"}`,
];

describe('AckParser: the service’s ACK lines', () => {
  it('parses each kind, keeps the 47-digit fragment number as text, IDLE without a timecode', () => {
    const { acks, errors } = parse([REAL.join('\n')]);
    expect(errors).toEqual([]);
    expect(acks).toEqual([
      { ackType: FragmentAckType.BUFFERING, timecode: 1700000000000, fragmentNumber: FN, result: 200 },
      { ackType: FragmentAckType.RECEIVED, timecode: 1700000000000, fragmentNumber: FN, result: 200 },
      { ackType: FragmentAckType.PERSISTED, timecode: 1700000000000, fragmentNumber: FN, result: 200 },
      { ackType: FragmentAckType.IDLE, result: 200 },
      {
        ackType: FragmentAckType.ERROR,
        timecode: 1700000002000,
        fragmentNumber: FN,
        result: 4004,
        errorId: 4004,
        errorCode: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
      },
    ]);
    expect(ackErrorStatus(acks[4].result)).toBe(StatusCode.STATUS_ACK_ERR_FRAGMENT_TIMECODE_NOT_MONOTONIC);
  });

  it('maps every documented ErrorId to its status, and an unknown one to UNKNOWN_ACK_ERROR', () => {
    const ids = [4000, 4001, 4002, 4003, 4004, 4005, 4006, 4007, 4008, 4009, 4010, 4011, 4012];
    ids.push(4500, 4501, 4502, 4503, 4504, 4505, 4506, 4507, 5000, 5001);
    const lines = [...ids, 4242].map((id) => `{"EventType":"ERROR","FragmentTimecode":5,"ErrorId":${id}}`);
    const { acks, errors } = parse([lines.join('')]);
    expect(errors).toEqual([]);
    expect(acks.map((a) => a.result)).toEqual([...ids, 7000]);
    expect(acks.at(-1)?.errorId).toBe(4242);
    for (const a of acks.slice(0, -1))
      expect(ackErrorStatus(a.result)).not.toBe(StatusCode.STATUS_ACK_ERR_UNKNOWN_ACK_ERROR);
    expect(ackErrorStatus(acks.at(-1)?.result ?? 0)).toBe(StatusCode.STATUS_ACK_ERR_UNKNOWN_ACK_ERROR);
  });

  it('takes keys in any order, whitespace anywhere, unknown keys of any type, escapes and an unquoted fragment number', () => {
    const text = ` \r\n{ "Extra" : {"a":[1,{"b":"}]"}],"c":null} , "FragmentNumber" : ${FN} ,
      "ErrorCode":"A\\"B\\u00e9\\n", "Flag": true, "ErrorId" : 4006 , "EventType" : "ERROR", "FragmentTimecode" : 0 }\t`;
    const { acks, errors } = parse([text]);
    expect(errors).toEqual([]);
    expect(acks).toEqual([
      {
        ackType: FragmentAckType.ERROR,
        timecode: 0,
        fragmentNumber: FN,
        result: 4006,
        errorId: 4006,
        errorCode: 'A"Bé\n',
      },
    ]);
  });
});

describe('AckParser: what is not an ACK', () => {
  const cases: Array<[string, string, string]> = [
    [
      'an error body',
      '{"message":"The security token included in the request is expired"}',
      'STATUS_INVALID_PARSED_ACK_TYPE',
    ],
    ['an unknown EventType', '{"EventType":"DONE","FragmentTimecode":1}', 'STATUS_INVALID_PARSED_ACK_TYPE'],
    ['an empty object', '{}', 'STATUS_INVALID_PARSED_ACK_TYPE'],
    ['an ERROR without ErrorId', '{"EventType":"ERROR","FragmentTimecode":1}', 'STATUS_MISSING_ERR_ACK_ID'],
    ['a duplicate key', '{"EventType":"IDLE","EventType":"IDLE"}', 'STATUS_INVALID_ACK_DUPLICATE_KEY_NAME'],
    [
      'a timecode beyond 2^53',
      '{"EventType":"RECEIVED","FragmentTimecode":9007199254740993}',
      'STATUS_INVALID_ACK_INVALID_VALUE_START',
    ],
    ['a negative timecode', '{"EventType":"RECEIVED","FragmentTimecode":-1}', 'STATUS_INVALID_ACK_INVALID_VALUE_START'],
    ['a fractional ErrorId', '{"EventType":"ERROR","ErrorId":4000.5}', 'STATUS_INVALID_ACK_INVALID_VALUE_START'],
    ['an object as EventType', '{"EventType":{"x":1}}', 'STATUS_INVALID_ACK_INVALID_VALUE_START'],
    ['a missing colon', '{"EventType" "IDLE"}', 'STATUS_INVALID_ACK_INVALID_VALUE_END'],
    ['a trailing comma', '{"EventType":"IDLE",}', 'STATUS_INVALID_ACK_INVALID_VALUE_END'],
    ['a bare key', '{EventType:"IDLE"}', 'STATUS_INVALID_ACK_INVALID_VALUE_END'],
    ['a control character in a string', '{"EventType":"ID\u0001LE"}', 'STATUS_INVALID_ACK_INVALID_VALUE_START'],
    ['text outside objects', '<html>Service Unavailable</html>', 'STATUS_INVALID_ACK_KEY_START'],
    ['a body cut inside an object', '{"EventType":"RECEIVED","Fragm', 'STATUS_INVALID_ACK_INVALID_VALUE_END'],
  ];
  for (const [what, text, status] of cases) {
    it(`reports ${what} (${status}) and goes on with the next ACK`, () => {
      const { acks, errors } = parse([`${REAL[0]}${text}\n${REAL[1]}`]);
      expect(errors.map((e) => e.status)).toEqual([status]);
      // A cut body ends the stream: the ACK after it is part of the cut object.
      const expected = what === 'a body cut inside an object' ? 1 : 2;
      expect(acks.map((a) => a.ackType)).toEqual(
        [FragmentAckType.BUFFERING, FragmentAckType.RECEIVED].slice(0, expected),
      );
    });
  }

  it('keeps at most maxObjectLength bytes of one object: a longer one is reported and skipped', () => {
    const huge = `{"EventType":"IDLE","Pad":"${'x'.repeat(100_000)}"}`;
    const { acks, errors } = parse([REAL[3], huge, REAL[3]], { maxObjectLength: 1024 });
    expect(errors.map((e) => e.status)).toEqual(['STATUS_INVALID_ACK_SEGMENT_LEN']);
    expect(errors[0].text.length).toBeLessThanOrEqual(512);
    expect(acks).toHaveLength(2);
  });

  it('refuses a maxObjectLength below 64 bytes', () => {
    expect(() => new AckParser({ ack: () => {} }, { maxObjectLength: 10 })).toThrow(/STATUS_INVALID_ARG/);
  });
});

// Random ACK streams, written out with random formatting and cut into random chunks.
const ackArb: fc.Arbitrary<FragmentAck> = fc.oneof(
  fc.record({
    ackType: fc.constantFrom(FragmentAckType.BUFFERING, FragmentAckType.RECEIVED, FragmentAckType.PERSISTED),
    timecode: fc.maxSafeNat(),
    fragmentNumber: fc.stringMatching(/^[0-9]{1,47}$/),
    result: fc.constant(200),
  }),
  fc.constant<FragmentAck>({ ackType: FragmentAckType.IDLE, result: 200 }),
  fc
    .record({
      timecode: fc.nat(),
      fragmentNumber: fc.stringMatching(/^[0-9]{47}$/),
      errorId: fc.constantFrom(4000, 4004, 4012, 4507, 5001),
      errorCode: fc.string({ maxLength: 40 }),
    })
    .map((e) => ({ ackType: FragmentAckType.ERROR, result: e.errorId, ...e }) as FragmentAck),
);

const NAMES = ['', 'BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR', 'IDLE'];
const spaceArb = fc.constantFrom('', ' ', '\n', '\r\n', '\t', '  ');

function render(ack: FragmentAck, order: number[], space: string[], extra: string | undefined): string {
  const fields: string[] = [`"EventType":${JSON.stringify(NAMES[ack.ackType])}`];
  if (ack.timecode !== undefined) fields.push(`"FragmentTimecode":${ack.timecode}`);
  if (ack.fragmentNumber !== undefined) fields.push(`"FragmentNumber":"${ack.fragmentNumber}"`);
  if (ack.errorId !== undefined) fields.push(`"ErrorId":${ack.errorId}`);
  if (ack.errorCode !== undefined) fields.push(`"ErrorCode":${JSON.stringify(ack.errorCode)}`);
  if (extra !== undefined) fields.push(`"Unknown":${extra}`);
  const sorted = fields.map((f, i) => [order[i % order.length] ?? i, f] as const).sort((a, b) => a[0] - b[0]);
  const s = (i: number) => space[i % space.length] ?? '';
  return `${s(0)}{${s(1)}${sorted.map(([, f]) => f).join(`${s(2)},${s(3)}`)}${s(4)}}${s(5)}`;
}

describe('AckParser: any chunking', () => {
  it('finds the same ACKs however the stream is split or merged (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ack: ackArb,
            order: fc.array(fc.nat(10), { minLength: 1, maxLength: 6 }),
            space: fc.array(spaceArb, { minLength: 1, maxLength: 6 }),
            extra: fc.option(fc.json({ maxDepth: 2 }), { nil: undefined }),
          }),
          { maxLength: 12 },
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        (items, cutSeeds) => {
          const bytes = encoder.encode(items.map((i) => render(i.ack, i.order, i.space, i.extra)).join(''));
          const cuts = [...new Set(cutSeeds.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort(
            (a, b) => a - b,
          );
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (const c of cuts) {
            chunks.push(bytes.subarray(at, c));
            at = c;
          }
          chunks.push(bytes.subarray(at));
          const { acks, errors } = parse(chunks);
          expect(errors).toEqual([]);
          expect(acks).toEqual(items.map((i) => i.ack));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('byte by byte and all at once give the same result on the real lines', () => {
    const all = encoder.encode(REAL.join('\r\n'));
    const bytewise = parse([...all].map((b) => Uint8Array.of(b)));
    expect(bytewise).toEqual(parse([all]));
    expect(bytewise.acks).toHaveLength(5);
  });
});
