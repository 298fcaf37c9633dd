// What `import … from 'vitest'` resolves to under Deno (scripts/deno-test.mjs maps it here).
// Vitest's collection API on top of Deno.test: every `it` becomes one Deno.test named
// "describe > … > it", so Deno's passed/failed/ignored counts are per test, like Vitest's.
// Hooks run lazily: a suite's beforeAll before its first runnable test, its afterAll after its last.
// `expect` is Jest's `expect` package plus the few Vitest-only matchers listed in extraMatchers.
import { expect as jestExpect } from 'expect';

type Awaitable<T> = T | Promise<T>;
type Teardown = () => Awaitable<unknown>;
type Hook = (ctx?: TestContext) => Awaitable<unknown>;
type TestFn = (ctx: TestContext) => Awaitable<unknown>;
type Options = { timeout?: number; skip?: boolean; only?: boolean; todo?: boolean };

/** The context object Vitest passes to a test function (the parts that make sense here). */
export interface TestContext {
  expect: typeof expect;
  task: { name: string };
  skip(note?: string): never;
}

interface Suite {
  name: string;
  parent: Suite | undefined;
  skip: boolean;
  only: boolean;
  beforeAll: Hook[];
  afterAll: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
  /** Runnable tests in this suite and below that have not finished yet. */
  remaining: number;
  started: boolean;
  /** Error thrown by a beforeAll; every test below reports it. */
  setupError: unknown;
  teardowns: Teardown[];
}

const DEFAULT_TIMEOUT = 60_000;

function newSuite(name: string, parent: Suite | undefined, mode: Options): Suite {
  return {
    name,
    parent,
    skip: Boolean(mode.skip || mode.todo),
    only: Boolean(mode.only),
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
    remaining: 0,
    started: false,
    setupError: undefined,
    teardowns: [],
  };
}

// One module instance per test file: Deno runs each test module in its own worker.
const root = newSuite('', undefined, {});
let current = root;

function chain(suite: Suite): Suite[] {
  const out: Suite[] = [];
  for (let s: Suite | undefined = suite; s; s = s.parent) out.unshift(s);
  return out;
}

function fullName(suite: Suite, name: string): string {
  return [
    ...chain(suite)
      .map((s) => s.name)
      .filter(Boolean),
    name,
  ].join(' > ');
}

async function withTimeout<T>(work: () => Awaitable<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(work), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function runTeardowns(list: Teardown[], ms: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const fn of list.splice(0).reverse()) {
    try {
      await withTimeout(fn, ms, 'teardown');
    } catch (e) {
      errors.push(e);
    }
  }
  return errors;
}

function asTeardown(result: unknown): Teardown | undefined {
  return typeof result === 'function' ? (result as Teardown) : undefined;
}

function throwFirst(errors: unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map(String).join('\n'));
}

async function runTest(suite: Suite, name: string, fn: TestFn, timeout: number): Promise<void> {
  const suites = chain(suite);
  const errors: unknown[] = [];
  const eachTeardowns: Teardown[] = [];
  const ctx: TestContext = {
    expect,
    task: { name },
    skip(note?: string): never {
      throw new Error(`ctx.skip() is not supported by the Deno shim${note ? ` (${note})` : ''}; use it.skipIf`);
    },
  };
  try {
    for (const s of suites) {
      if (!s.started) {
        s.started = true;
        try {
          for (const hook of s.beforeAll) {
            const td = asTeardown(await withTimeout(() => hook(), timeout, 'beforeAll'));
            if (td) s.teardowns.push(td);
          }
        } catch (e) {
          s.setupError = e;
        }
      }
      if (s.setupError !== undefined) throw s.setupError;
    }
    for (const s of suites) {
      for (const hook of s.beforeEach) {
        const td = asTeardown(await withTimeout(() => hook(ctx), timeout, 'beforeEach'));
        if (td) eachTeardowns.push(td);
      }
    }
    jestExpect.setState({ assertionCalls: 0, expectedAssertionsNumber: null, isExpectingAssertions: false });
    await withTimeout(() => fn(ctx), timeout, 'test');
    const assertionErrors = jestExpect.extractExpectedAssertionsErrors();
    if (assertionErrors.length > 0) throw assertionErrors[0]?.error;
  } catch (e) {
    errors.push(e);
  } finally {
    for (const s of [...suites].reverse()) {
      for (const hook of s.afterEach) {
        try {
          await withTimeout(() => hook(ctx), timeout, 'afterEach');
        } catch (e) {
          errors.push(e);
        }
      }
    }
    errors.push(...(await runTeardowns(eachTeardowns, timeout)));
    for (const s of [...suites].reverse()) {
      if (--s.remaining > 0) continue;
      for (const hook of s.afterAll) {
        try {
          await withTimeout(() => hook(), timeout, 'afterAll');
        } catch (e) {
          errors.push(e);
        }
      }
      errors.push(...(await runTeardowns(s.teardowns, timeout)));
    }
  }
  throwFirst(errors);
}

function parseArgs(a: unknown, b: unknown): { fn: TestFn | undefined; options: Options } {
  // Vitest accepts (name, fn, timeout | options) and (name, options, fn).
  if (typeof a === 'function') return { fn: a as TestFn, options: typeof b === 'number' ? { timeout: b } : (b ?? {}) };
  return { fn: typeof b === 'function' ? (b as TestFn) : undefined, options: (a as Options) ?? {} };
}

function registerTest(name: string, a: unknown, b: unknown, mode: Options): void {
  const { fn, options } = parseArgs(a, b);
  const suite = current;
  const todo = mode.todo || options.todo || fn === undefined;
  const ignore = todo || mode.skip || options.skip || chain(suite).some((s) => s.skip);
  if (!ignore) for (const s of chain(suite)) s.remaining++;
  Deno.test({
    name: fullName(suite, todo ? `${name} (todo)` : name),
    ignore,
    only: Boolean(mode.only || options.only || chain(suite).some((s) => s.only)),
    // Vitest has no leak sanitizers; resources opened in beforeAll may legitimately outlive a test.
    sanitizeOps: false,
    sanitizeResources: false,
    sanitizeExit: false,
    fn: () => runTest(suite, name, fn as TestFn, options.timeout ?? DEFAULT_TIMEOUT),
  });
}

function registerSuite(name: string, a: unknown, b: unknown, mode: Options): void {
  const { fn } = parseArgs(a, b);
  if (fn === undefined || mode.todo) {
    registerTest(name, undefined, undefined, { todo: true });
    return;
  }
  const suite = newSuite(name, current, mode);
  current = suite;
  try {
    const result = (fn as () => unknown)();
    if (result instanceof Promise) {
      throw new Error(`describe('${name}') returned a promise: async describe is not supported by the Deno shim`);
    }
  } finally {
    current = suite.parent as Suite;
  }
}

// ---- each: printf-style names (%s %d %i %f %j %o %O %# %%) and $field for object rows ----

function formatName(template: string, row: unknown, index: number): string {
  const args = Array.isArray(row) ? [...row] : [row];
  let name = template.replace(/%[sdifjoO#%]/g, (spec) => {
    if (spec === '%%') return '%';
    if (spec === '%#') return String(index);
    const v = args.shift();
    if (spec === '%d' || spec === '%i') return String(spec === '%i' ? Math.trunc(Number(v)) : Number(v));
    if (spec === '%f') return String(Number(v));
    if (spec === '%s') return typeof v === 'string' ? v : String(v);
    return JSON.stringify(v) ?? String(v);
  });
  if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
    name = name.replace(/\$([\w.]+)/g, (whole, path: string) => {
      let v: unknown = row;
      for (const key of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[key];
      return v === undefined ? whole : typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
    });
  }
  return name;
}

function each(register: (name: string, a: unknown, b: unknown) => void) {
  return (table: readonly unknown[]) =>
    (template: string, fn: (...args: unknown[]) => unknown, options?: number | Options) =>
      table.forEach((row, i) => {
        const call = () => (Array.isArray(row) ? fn(...row) : fn(row));
        register(formatName(template, row, i), call, options);
      });
}

// ---- public API ----

type Register = (name: string, a?: unknown, b?: unknown) => void;
interface Api extends Register {
  skip: Register;
  only: Register;
  todo: (name: string) => void;
  skipIf(condition: unknown): Register;
  runIf(condition: unknown): Register;
  each: ReturnType<typeof each>;
  concurrent: Register;
  sequential: Register;
}

function api(register: (name: string, a: unknown, b: unknown, mode: Options) => void): Api {
  const plain: Register = (name, a, b) => register(name, a, b, {});
  const skip: Register = (name, a, b) => register(name, a, b, { skip: true });
  return Object.assign(plain, {
    skip,
    only: ((name, a, b) => register(name, a, b, { only: true })) as Register,
    todo: (name: string) => register(name, undefined, undefined, { todo: true }),
    skipIf: (condition: unknown) => (condition ? skip : plain),
    runIf: (condition: unknown) => (condition ? plain : skip),
    each: each(plain),
    // No concurrency here: tests in a file run one after another.
    concurrent: plain,
    sequential: plain,
  });
}

/** Vitest's `describe` (and `suite`). */
export const describe: Api = api(registerSuite);
export const suite: Api = describe;
/** Vitest's `it` (and `test`). */
export const it: Api = api(registerTest);
export const test: Api = it;

/** Runs once before the first test of the enclosing suite (a returned function runs at its end). */
export function beforeAll(fn: Hook): void {
  current.beforeAll.push(fn);
}
/** Runs once after the last test of the enclosing suite. */
export function afterAll(fn: Hook): void {
  current.afterAll.push(fn);
}
/** Runs before every test in the enclosing suite (a returned function runs after the test). */
export function beforeEach(fn: Hook): void {
  current.beforeEach.push(fn);
}
/** Runs after every test in the enclosing suite. */
export function afterEach(fn: Hook): void {
  current.afterEach.push(fn);
}

// ---- expect ----

type MatcherThis = { isNot: boolean; equals(a: unknown, b: unknown): boolean };

jestExpect.extend({
  // Jest 30 dropped the alias; Vitest keeps it. A rejected value arrives as the error itself.
  toThrowError(this: MatcherThis, received: unknown, expected?: unknown) {
    const thrower =
      typeof received === 'function'
        ? received
        : () => {
            throw received;
          };
    try {
      const e = jestExpect(thrower);
      (this.isNot ? e.not : e).toThrow(expected as string);
      return { pass: !this.isNot, message: () => '' };
    } catch (err) {
      return { pass: this.isNot, message: () => (err as Error).message };
    }
  },
  toBeTypeOf(this: MatcherThis, received: unknown, type: string) {
    const actual = typeof received;
    return {
      pass: actual === type,
      message: () => `expected typeof ${actual} ${this.isNot ? 'not ' : ''}to be ${type}`,
    };
  },
  toSatisfy(this: MatcherThis, received: unknown, predicate: (v: unknown) => boolean, message?: string) {
    return { pass: Boolean(predicate(received)), message: () => message ?? 'expected value to satisfy the predicate' };
  },
  toBeOneOf(this: MatcherThis, received: unknown, options: readonly unknown[]) {
    const pass = options.some((o) => this.equals(received, o));
    return { pass, message: () => `expected ${String(received)} ${this.isNot ? 'not ' : ''}to be one of the options` };
  },
});

function withMessage<T extends object>(target: T, message: string): T {
  const prefix = (e: unknown) => {
    if (e instanceof Error) e.message = `${message}: ${e.message}`;
    return e;
  };
  return new Proxy(target, {
    get(t, key) {
      const v = Reflect.get(t, key) as unknown;
      if (typeof v === 'function') {
        return (...args: unknown[]) => {
          try {
            const r = (v as (...a: unknown[]) => unknown).apply(t, args);
            return r instanceof Promise
              ? r.catch((e) => {
                  throw prefix(e);
                })
              : r;
          } catch (e) {
            throw prefix(e);
          }
        };
      }
      return v !== null && typeof v === 'object' ? withMessage(v, message) : v;
    },
  });
}

/** Vitest's `expect(value, message?)`: Jest's expect, with Vitest's optional failure-message prefix. */
export const expect = Object.assign(
  (actual: unknown, message?: string) =>
    message === undefined ? jestExpect(actual) : withMessage(jestExpect(actual), message),
  jestExpect,
) as unknown as typeof jestExpect;
