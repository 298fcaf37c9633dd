// docs/guides/status-codes.md against the sources: every status a package throws or reports has an
// entry there, every anchor there names a real status, and KvsError links to the entry.
// Node-only: it reads the guide and the other packages' sources from disk.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KvsError } from '../src/error';
import { ackErrorStatus, ServiceCallResult } from '../src/service-call';
import { StatusCode, type StatusName, statusName } from '../src/status';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDE = 'docs/guides/status-codes.md';
const guide = readFileSync(join(root, GUIDE), 'utf8');

/** Packages whose sources users never run (test helpers). */
const NOT_SHIPPED = new Set(['test-support']);
/** STATUS_… literals in the sources that are not status codes (a WebRTC signaling message type). */
const NOT_STATUS = new Set(['STATUS_RESPONSE']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? sources(path)
      : /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)
        ? [path]
        : [];
  });
}

/** Status names each source file throws or reports: 'STATUS_…' literals and StatusCode.STATUS_… (or an alias). */
function statusesInSources(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const packagesDir = join(root, 'packages');
  for (const pkg of readdirSync(packagesDir)) {
    if (NOT_SHIPPED.has(pkg)) continue;
    const src = join(packagesDir, pkg, 'src');
    if (!statSync(join(packagesDir, pkg)).isDirectory()) continue;
    let files: string[];
    try {
      files = sources(src);
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const aliases = ['StatusCode', ...[...text.matchAll(/const (\w+) = StatusCode;/g)].map((m) => m[1])];
      const patterns = [
        /['"](STATUS_[A-Z0-9_]+)['"]/g,
        new RegExp(`\\b(?:${aliases.join('|')})\\.(STATUS_[A-Z0-9_]+)`, 'g'),
      ];
      for (const pattern of patterns)
        for (const m of text.matchAll(pattern)) {
          const where = found.get(m[1]) ?? [];
          where.push(relative(root, file));
          found.set(m[1], where);
        }
    }
  }
  return found;
}

/** `### STATUS_…` entry headings, with the value line that follows each. */
function entries(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of guide.matchAll(/^### (STATUS_[A-Z0-9_]+)\n\n(.*)$/gm)) {
    expect(out.has(m[1]), `${m[1]} has two entries`).toBe(false);
    out.set(m[1], m[2]);
  }
  return out;
}

/** Every anchor the guide defines or links to that looks like a status: headings, <a id>, #links. */
function statusAnchors(): Set<string> {
  const anchors = new Set<string>();
  for (const m of guide.matchAll(/^#{1,6} (STATUS_[A-Z0-9_]+)\s*$/gm)) anchors.add(m[1].toLowerCase());
  for (const m of guide.matchAll(/<a id="(status_[a-z0-9_]+)"><\/a>/g)) anchors.add(m[1]);
  for (const m of guide.matchAll(/\]\(#(status_[a-z0-9_]+)\)/g)) anchors.add(m[1]);
  return anchors;
}

const names = Object.keys(StatusCode) as StatusName[];
const byAnchor = new Map(names.map((n) => [n.toLowerCase(), n]));

describe('status-code guide', () => {
  const used = statusesInSources();

  it('finds the statuses the sources throw and report', () => {
    // A sanity floor, so a broken scan cannot pass by finding nothing.
    expect(used.size).toBeGreaterThan(100);
    for (const n of ['STATUS_INVALID_ARG', 'STATUS_STORE_OUT_OF_MEMORY', 'STATUS_ACK_ERR_KMS_KEY_NOT_FOUND'])
      expect(used.has(n), n).toBe(true);
  });

  it('every STATUS_ literal in the sources is a real status (or a known non-status)', () => {
    const unknown = [...used.keys()].filter((n) => !(n in StatusCode) && !NOT_STATUS.has(n));
    expect(unknown.map((n) => `${n} (${used.get(n)?.join(', ')})`)).toEqual([]);
  });

  it('has an entry for every status a package throws or reports', () => {
    const documented = entries();
    const missing = [...used.keys()].filter((n) => n in StatusCode && !documented.has(n));
    expect(missing.map((n) => `${n} (${used.get(n)?.join(', ')})`)).toEqual([]);
  });

  it('gives each entry its hex and decimal value', () => {
    for (const [name, line] of entries()) {
      const value = StatusCode[name as StatusName];
      expect(value, `${name} is not a StatusCode`).toBeTypeOf('number');
      expect(line, name).toMatch(new RegExp(`^\`0x${value.toString(16).padStart(8, '0')}\` \\(${value}\\)`));
    }
  });

  it('every status anchor names a real StatusCode', () => {
    const bad = [...statusAnchors()].filter((a) => !byAnchor.has(a));
    expect(bad).toEqual([]);
  });

  it('has an anchor for every StatusCode, so every KvsError link resolves', () => {
    const anchors = statusAnchors();
    expect(names.filter((n) => !anchors.has(n.toLowerCase()))).toEqual([]);
    expect(guide).toMatch(/^## Unknown status codes$/m);
  });

  it('maps every ACK ErrorId as ackErrorStatus does', () => {
    const rows = [...guide.matchAll(/^\|\s*(\d{4})\s*\|\s*`([A-Z_]+)`\s*\|\s*\[`(STATUS_[A-Z0-9_]+)`\]/gm)];
    const ackResults = Object.entries(ServiceCallResult).filter(([, v]) => v >= 4000 && v <= 7000);
    expect(rows.map((r) => Number(r[1])).sort()).toEqual(ackResults.map(([, v]) => v).sort());
    for (const [, id, result, status] of rows) {
      expect(ServiceCallResult[result as keyof typeof ServiceCallResult], id).toBe(Number(id));
      expect(status, `ErrorId ${id}`).toBe(statusName(ackErrorStatus(Number(id))));
    }
  });
});

describe('KvsError links to the guide', () => {
  it('exposes the entry as `guide`, by name or by code', () => {
    const e = new KvsError('STATUS_INVALID_ARG', 'bad');
    expect(e.guide).toBe(`${GUIDE}#status_invalid_arg`);
    expect(new KvsError(StatusCode.STATUS_STORE_OUT_OF_MEMORY, 'full').guide).toBe(
      `${GUIDE}#status_store_out_of_memory`,
    );
    expect(KvsError.guideFor('STATUS_ACK_ERR_STREAM_READ_ERROR')).toBe(`${GUIDE}#status_ack_err_stream_read_error`);
    expect(KvsError.guideFor(0x52000fff)).toBe(`${GUIDE}#unknown-status-codes`);
  });

  it('ends the message (so the stack trace and toString()) with the link', () => {
    const e = new KvsError('STATUS_FORMAT_ERROR', 'bad byte', { offset: 7 });
    expect(e.message).toBe(`STATUS_FORMAT_ERROR: bad byte (at byte 7) (see ${GUIDE}#status_format_error)`);
    expect(String(e)).toBe(`KvsError: ${e.message}`);
    expect(e.stack?.split('\n')[0]).toBe(`KvsError: ${e.message}`);
    expect(Object.keys(e)).not.toContain('guide');
  });

  it('links every status a package reports to an entry of the guide', () => {
    const documented = entries();
    for (const name of statusesInSources().keys()) {
      if (!(name in StatusCode)) continue;
      const anchor = KvsError.guideFor(name as StatusName).split('#')[1];
      expect(documented.has(byAnchor.get(anchor) ?? ''), name).toBe(true);
    }
  });
});
