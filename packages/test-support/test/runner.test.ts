// The same file runs under Vitest (Node, Chromium) and under the Deno shim (scripts/deno/vitest-shim.ts):
// it pins down the runner semantics the shim must share with Vitest.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const log: string[] = [];

describe('hooks', () => {
  beforeAll(() => {
    log.push('beforeAll');
    return () => log.push('beforeAll teardown');
  });
  afterAll(() => {
    log.push('afterAll');
  });
  beforeEach(() => {
    log.push('beforeEach');
    return () => log.push('beforeEach teardown');
  });
  afterEach(() => {
    log.push('afterEach');
  });

  it('first', () => {
    log.push('first');
  });

  describe('inner', () => {
    beforeEach(() => {
      log.push('inner beforeEach');
    });
    it('second', async () => {
      await new Promise((r) => setTimeout(r, 1));
      log.push('second');
    });
  });
});

describe('after the hooks suite', () => {
  it('saw hooks in Vitest order', () => {
    expect(log).toEqual([
      'beforeAll',
      'beforeEach',
      'first',
      'afterEach',
      'beforeEach teardown',
      'beforeEach',
      'inner beforeEach',
      'second',
      'afterEach',
      'beforeEach teardown',
      'afterAll',
      'beforeAll teardown',
    ]);
  });
});

describe('modifiers', () => {
  it.skip('skip never runs', () => {
    throw new Error('ran a skipped test');
  });
  it.skipIf(true)('skipIf(true) never runs', () => {
    throw new Error('ran a skipped test');
  });
  it.runIf(false)('runIf(false) never runs', () => {
    throw new Error('ran a skipped test');
  });
  describe.skip('describe.skip', () => {
    it('never runs', () => {
      throw new Error('ran a skipped test');
    });
  });
  it.todo('todo is reported, not run');

  const seen: unknown[] = [];
  it.each([
    [1, 2, 3],
    [2, 3, 5],
  ])('each with arrays: %i + %i = %i', (a, b, sum) => {
    expect(a + b).toBe(sum);
    seen.push(sum);
  });
  it.each([{ n: 4 }, { n: 9 }])('each with objects: $n', ({ n }) => {
    expect(Math.sqrt(n) % 1).toBe(0);
    seen.push(n);
  });
  it('ran every each row', () => {
    expect(seen).toEqual([3, 5, 4, 9]);
  });
});

describe('expect', () => {
  it('has the Vitest matchers the tests use', async () => {
    expect(() => {
      throw new RangeError('boom');
    }).toThrowError(/boom/);
    expect(() => {}).not.toThrowError();
    await expect(Promise.reject(new Error('nope'))).rejects.toThrowError('nope');
    expect(1).toBeTypeOf('number');
    expect('x').not.toBeTypeOf('number');
    expect(3).toSatisfy((n: number) => n % 2 === 1);
    expect(2).toBeOneOf([1, 2]);
    expect(new Uint8Array([1, 2])).toEqual(new Uint8Array([1, 2]));
    expect({ a: 1, b: [2] }).toStrictEqual({ a: 1, b: [2] });
    expect([1, 2, 3]).toContain(2);
    expect(0.1 + 0.2).toBeCloseTo(0.3);
  });

  it('fails with the optional message', () => {
    expect(() => expect(1, 'custom context').toBe(2)).toThrow(/custom context/);
  });

  it('checks expect.assertions', async () => {
    expect.assertions(1);
    await Promise.resolve();
    expect(true).toBe(true);
  });
});
