// Credentials: static, from the environment, and `refreshing` (ahead of expiry, single flight
// under concurrent calls, failures to every waiter then a retry), all on a fake clock.

import { type AwsCredentials, fromEnv, refreshing, resolveCredentials } from '@kvs-ts/api';
import { isKvsError } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';

const MINUTE_US = 60_000_000;

/** A clock the test moves. */
function fakeClock(startUs = Date.UTC(2024, 0, 1) * 1000) {
  let now = startUs;
  return { now: () => now, advance: (us: number) => (now += us) };
}

/** A deferred result, so a test decides when a fetch finishes. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function creds(n: number, expiresAtUs?: number): AwsCredentials {
  return {
    accessKeyId: `AKID${n}`,
    secretAccessKey: `secret${n}`,
    sessionToken: `token${n}`,
    expiration: expiresAtUs === undefined ? undefined : new Date(expiresAtUs / 1000),
  };
}

describe('static credentials', () => {
  it('become a provider that always gives them', async () => {
    const provider = resolveCredentials({ accessKeyId: 'AKID', secretAccessKey: 'secret' });
    expect(await provider()).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'secret' });
    expect(await provider()).toEqual(await provider());
  });

  it('pass a provider through unchanged (AWS SDK v3 providers plug in)', () => {
    const provider = async () => creds(1);
    expect(resolveCredentials(provider)).toBe(provider);
  });

  it('are refused without an access key or secret', () => {
    expect(() => resolveCredentials({ accessKeyId: '', secretAccessKey: 'x' })).toThrow(/accessKeyId/);
    expect(() => resolveCredentials({ accessKeyId: 'x' } as AwsCredentials)).toThrow(/secretAccessKey/);
  });
});

describe('fromEnv', () => {
  it('reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'envsecret',
      AWS_SESSION_TOKEN: 'envtoken',
      AWS_CREDENTIAL_EXPIRATION: '2030-01-02T03:04:05Z',
    };
    expect(await fromEnv(env)()).toEqual({
      accessKeyId: 'AKIDENV',
      secretAccessKey: 'envsecret',
      sessionToken: 'envtoken',
      expiration: new Date('2030-01-02T03:04:05Z'),
    });
  });

  it('reads at each call, so a changed environment is seen', async () => {
    const env: Record<string, string> = { AWS_ACCESS_KEY_ID: 'A1', AWS_SECRET_ACCESS_KEY: 's' };
    const provider = fromEnv(env);
    expect((await provider()).accessKeyId).toBe('A1');
    env.AWS_ACCESS_KEY_ID = 'A2';
    expect((await provider()).accessKeyId).toBe('A2');
  });

  it('fails when a key is missing or empty, or the expiration is not a date', async () => {
    await expect(fromEnv({ AWS_ACCESS_KEY_ID: 'A' })()).rejects.toThrow(/AWS_SECRET_ACCESS_KEY/);
    await expect(fromEnv({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: 's' })()).rejects.toThrow(/AWS_ACCESS_KEY_ID/);
    const bad = { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 's', AWS_CREDENTIAL_EXPIRATION: 'soon' };
    const error = await fromEnv(bad)().catch((e: unknown) => e);
    expect(isKvsError(error, 'STATUS_INVALID_ARG')).toBe(true);
  });
});

describe('refreshing', () => {
  it('caches until the refresh window, then fetches again ahead of expiry (default 5 min before)', async () => {
    const clock = fakeClock();
    let n = 0;
    const provider = refreshing(async () => creds(++n, clock.now() + 60 * MINUTE_US), { now: clock.now });
    expect((await provider()).accessKeyId).toBe('AKID1');
    clock.advance(54 * MINUTE_US);
    expect((await provider()).accessKeyId).toBe('AKID1');
    clock.advance(1 * MINUTE_US); // 5 min before expiry
    expect((await provider()).accessKeyId).toBe('AKID2');
    expect(n).toBe(2);
  });

  it('honours refreshBeforeUs', async () => {
    const clock = fakeClock();
    let n = 0;
    const provider = refreshing(async () => creds(++n, clock.now() + 60 * MINUTE_US), {
      now: clock.now,
      refreshBeforeUs: 20 * MINUTE_US,
    });
    await provider();
    clock.advance(39 * MINUTE_US);
    expect((await provider()).accessKeyId).toBe('AKID1');
    clock.advance(1 * MINUTE_US);
    expect((await provider()).accessKeyId).toBe('AKID2');
  });

  it('keeps credentials without an expiration for good', async () => {
    const clock = fakeClock();
    let n = 0;
    const provider = refreshing(async () => creds(++n), { now: clock.now });
    await provider();
    clock.advance(1_000 * 60 * MINUTE_US);
    expect((await provider()).accessKeyId).toBe('AKID1');
    expect(n).toBe(1);
  });

  it('refreshes short-lived credentials at half their life rather than at every call', async () => {
    const clock = fakeClock();
    let n = 0;
    const provider = refreshing(async () => creds(++n, clock.now() + 4 * MINUTE_US), { now: clock.now });
    await provider();
    clock.advance(1 * MINUTE_US);
    expect((await provider()).accessKeyId).toBe('AKID1');
    clock.advance(1 * MINUTE_US);
    expect((await provider()).accessKeyId).toBe('AKID2');
  });

  it('runs one fetch for any number of concurrent calls (single flight)', async () => {
    const clock = fakeClock();
    let calls = 0;
    const pending = deferred<AwsCredentials>();
    const provider = refreshing(
      () => {
        calls++;
        return pending.promise;
      },
      { now: clock.now },
    );
    const waiters = Array.from({ length: 10 }, () => provider());
    expect(calls).toBe(1);
    pending.resolve(creds(7, clock.now() + 60 * MINUTE_US));
    const got = await Promise.all(waiters);
    expect(new Set(got.map((c) => c.accessKeyId))).toEqual(new Set(['AKID7']));
    expect(calls).toBe(1);
  });

  it('single-flights the refresh too: concurrent calls in the window share one fetch', async () => {
    const clock = fakeClock();
    let calls = 0;
    let pending = deferred<AwsCredentials>();
    const provider = refreshing(
      () => {
        calls++;
        return pending.promise;
      },
      { now: clock.now },
    );
    const first = provider();
    pending.resolve(creds(1, clock.now() + 60 * MINUTE_US));
    await first;
    clock.advance(56 * MINUTE_US);
    pending = deferred<AwsCredentials>();
    const waiters = [provider(), provider(), provider()];
    expect(calls).toBe(2);
    pending.resolve(creds(2, clock.now() + 60 * MINUTE_US));
    expect((await Promise.all(waiters)).map((c) => c.accessKeyId)).toEqual(['AKID2', 'AKID2', 'AKID2']);
  });

  it('throws a failed fetch to every waiter, then tries again on the next call', async () => {
    const clock = fakeClock();
    let calls = 0;
    const failing = deferred<AwsCredentials>();
    const provider = refreshing(
      () => {
        calls++;
        return calls === 1 ? failing.promise : Promise.resolve(creds(calls, clock.now() + 60 * MINUTE_US));
      },
      { now: clock.now },
    );
    const waiters = [provider(), provider(), provider()].map((p) => p.catch((e: unknown) => e));
    failing.reject(new Error('IoT endpoint down'));
    for (const outcome of await Promise.all(waiters)) expect((outcome as Error).message).toBe('IoT endpoint down');
    expect(calls).toBe(1);
    expect((await provider()).accessKeyId).toBe('AKID2');
    expect(calls).toBe(2);
  });

  it('retries after a fetch that throws synchronously', async () => {
    let calls = 0;
    const provider = refreshing((() => {
      calls++;
      if (calls === 1) throw new Error('sync');
      return Promise.resolve(creds(calls));
    }) as () => Promise<AwsCredentials>);
    await expect(provider()).rejects.toThrow('sync');
    expect((await provider()).accessKeyId).toBe('AKID2');
  });

  it('rejects what is not credentials', async () => {
    const provider = refreshing(async () => ({ accessKeyId: 'A' }) as AwsCredentials);
    await expect(provider()).rejects.toThrow(/secretAccessKey/);
  });
});
