// The status line of long commands: redrawn in place on a terminal (log-update, see
// docs/decisions/cli.md), a plain line every 10 s otherwise (logs, CI, pipes).

import { createLogUpdate } from 'log-update';
import type { TextSink } from './main';

const REDRAW_MS = 250;
const LOG_MS = 10_000;

/** A line that `start` shows until `stop`. */
export class Progress {
  private timer: ReturnType<typeof setInterval> | undefined;
  private redraw: ReturnType<typeof createLogUpdate> | undefined;

  /** `live`: stderr is a terminal to redraw on; else `sink` gets a line now and then. */
  constructor(
    private readonly sink: TextSink,
    private readonly live: boolean,
  ) {}

  start(line: () => string): void {
    if (this.live) {
      const redraw = createLogUpdate(process.stderr, { showCursor: true });
      this.redraw = redraw;
      this.timer = setInterval(() => redraw(line()), REDRAW_MS);
    } else {
      this.timer = setInterval(() => this.sink.write(`${line()}\n`), LOG_MS);
    }
    // A status line never keeps the process alive.
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.redraw?.clear();
    this.redraw?.done();
    this.redraw = undefined;
  }
}
