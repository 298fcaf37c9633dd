// The resuming GetMedia consumer: AWS's GetMedia capture served by a fake service that breaks
// the connection anywhere (a reset, or a clean close in the middle of an element); whatever the
// drops, every fragment comes out exactly once, in order, each one whole.
import { KvsServiceError } from '@kvs-ts/api';
import { consumeGetMedia, type MediaFragment, type StartSelector } from '@kvs-ts/getmedia';
import { readTestVector, testVectorsAvailable } from '@kvs-ts/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const available = await testVectorsAvailable();

/** The capture cut at its EBML headers: one GetMedia fragment each. */
function segments(bytes: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++)
    if (bytes[i] === 0x1a && bytes[i + 1] === 0x45 && bytes[i + 2] === 0xdf && bytes[i + 3] === 0xa3) starts.push(i);
  return starts.map((s, k) => bytes.subarray(s, starts[k + 1] ?? bytes.length));
}

interface Cut {
  /** Where the connection breaks, as a fraction of what it would send. */
  at: number;
  /** A reset (the read rejects) or a clean close. */
  reset: boolean;
}

/** A fake GetMedia: serves the fragments after the start, breaking connection k at cuts[k]. */
function service(parts: Uint8Array[], tokens: string[], cuts: Cut[]) {
  const opened: StartSelector[] = [];
  const open = async (start: StartSelector) => {
    opened.push(start);
    const from = start.startSelectorType === 'EARLIEST' ? 0 : tokens.indexOf(start.continuationToken ?? '') + 1;
    if (from === 0 && start.startSelectorType !== 'EARLIEST')
      throw new Error(`unknown token ${start.continuationToken}`);
    const body = parts.slice(from);
    const total = body.reduce((n, p) => n + p.length, 0);
    const cut = cuts[opened.length - 1];
    const limit = cut === undefined ? total : Math.floor(cut.at * total);
    let sent = 0;
    let index = 0;
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= limit) {
          if (cut === undefined || !cut.reset) controller.close();
          else controller.error(new Error('connection reset'));
          return;
        }
        const part = body[index];
        const n = Math.min(4096, part.length - offset, limit - sent);
        controller.enqueue(part.slice(offset, offset + n));
        sent += n;
        offset += n;
        if (offset === part.length) {
          index++;
          offset = 0;
        }
      },
    });
  };
  return { open, opened };
}

async function take(iterable: AsyncIterable<MediaFragment>, count: number): Promise<MediaFragment[]> {
  const out: MediaFragment[] = [];
  for await (const f of iterable) {
    out.push(f);
    if (out.length === count) break;
  }
  return out;
}

const capture = available ? await readTestVector('aws-parser-library/output_get_media.mkv') : undefined;

describe.skipIf(!available)(
  'consumeGetMedia (skipped: ../shared/test-vectors absent and KVS_TEST_VECTORS unset)',
  () => {
    const bytes = capture as Uint8Array;
    const parts = bytes === undefined ? [] : segments(bytes);
    const tokens = [
      '91343852333181432392682062607743920146159169392',
      '91343852333181432397633822764885441725874549018',
      '91343852333181432402585582922026963247510532162',
      '91343852333181432407537343079168484595829378270',
      '91343852333181432412489103236310005892133364608',
    ];

    it('reads the five fragments without drops', async () => {
      expect(parts).toHaveLength(5);
      const { open, opened } = service(parts, tokens, []);
      const got = await take(consumeGetMedia(open, { startSelectorType: 'EARLIEST' }, { follow: false }), 5);
      expect(got.map((f) => f.fragmentNumber)).toEqual(tokens);
      expect(opened).toHaveLength(1);
    });

    it('gets every fragment exactly once, whole, however the connections break (fast-check)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ at: fc.double({ min: 0, max: 0.999, noNaN: true }), reset: fc.boolean() }), {
            maxLength: 6,
          }),
          async (cuts) => {
            const { open, opened } = service(parts, tokens, cuts);
            const got = await take(
              consumeGetMedia(open, { startSelectorType: 'EARLIEST' }, { reconnectDelayUs: 0, maxReconnects: 10 }),
              5,
            );
            expect(got.map((f) => f.fragmentNumber)).toEqual(tokens);
            expect(got.map((f) => f.frames.length)).toEqual([60, 60, 60, 60, 60]);
            // Each reconnect started after the last fragment handed out.
            for (const s of opened.slice(1))
              expect(s.startSelectorType === 'EARLIEST' || tokens.includes(s.continuationToken ?? '')).toBe(true);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('gives up after maxReconnects failures in a row', async () => {
      const open = async () => {
        throw new Error('refused');
      };
      const reconnects: number[] = [];
      await expect(
        take(
          consumeGetMedia(
            open,
            { startSelectorType: 'NOW' },
            {
              reconnectDelayUs: 0,
              maxReconnects: 3,
              onReconnect: (_e, n) => reconnects.push(n),
            },
          ),
          1,
        ),
      ).rejects.toThrow(/STATUS_OPERATION_TIMED_OUT.*3 reconnects/);
      expect(reconnects).toEqual([1, 2, 3]);
    });

    it('stops when its signal aborts', async () => {
      const abort = new AbortController();
      const { open } = service(parts, tokens, []);
      const got: MediaFragment[] = [];
      for await (const f of consumeGetMedia(open, { startSelectorType: 'EARLIEST' }, { signal: abort.signal })) {
        got.push(f);
        if (got.length === 2) abort.abort();
      }
      expect(got).toHaveLength(2);
    });
  },
);

describe('GetMedia consumer and service errors', () => {
  const failing = (code: string, httpStatus: number) => {
    let calls = 0;
    return {
      open: async () => {
        calls++;
        throw new KvsServiceError({ code, httpStatus, message: 'no', operation: 'GetMedia' });
      },
      get calls() {
        return calls;
      },
    };
  };

  it('stops at once on an answer that asking again cannot change', async () => {
    for (const [code, status] of [
      ['ResourceNotFoundException', 404],
      ['NotAuthorizedException', 401],
      ['InvalidArgumentException', 400],
    ] as const) {
      const svc = failing(code, status);
      await expect(
        take(consumeGetMedia(svc.open, { startSelectorType: 'NOW' }, { reconnectDelayUs: 0 }), 1),
      ).rejects.toThrow(code);
      expect(svc.calls).toBe(1);
    }
  });

  it('retries throttling and the connection limits', async () => {
    for (const [code, status] of [
      ['ConnectionLimitExceededException', 400],
      ['ClientLimitExceededException', 400],
      ['ThrottlingException', 400],
    ] as const) {
      const svc = failing(code, status);
      await expect(
        take(consumeGetMedia(svc.open, { startSelectorType: 'NOW' }, { reconnectDelayUs: 0, maxReconnects: 2 }), 1),
      ).rejects.toThrow(/2 reconnects/);
      expect(svc.calls).toBe(3);
    }
  });
});
