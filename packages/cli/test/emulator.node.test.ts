// `kvs emulator`: the command reaches the emulator's own flags and help.
import { describe, expect, it } from 'vitest';
import { main } from '../src/main';

function sink() {
  let text = '';
  return {
    write: (s: string) => (text += s),
    get text() {
      return text;
    },
  };
}

describe('kvs emulator', () => {
  it('--help lists the emulator’s flags and exits 0', async () => {
    const out = sink();
    const err = sink();
    expect(await main(['emulator', '--help'], out, err)).toBe(0);
    expect(out.text).toMatch(/usage: kvs emulator/);
    expect(out.text).toMatch(/--data-dir DIR/);
  });

  it('an unknown flag exits 2 with the help', async () => {
    const out = sink();
    const err = sink();
    expect(await main(['emulator', '--nope'], out, err)).toBe(2);
    expect(err.text).toMatch(/--nope/);
  });

  it('is listed in kvs help', async () => {
    const out = sink();
    expect(await main(['help'], out, sink())).toBe(0);
    expect(out.text).toMatch(/emulator \[options\]/);
  });
});
