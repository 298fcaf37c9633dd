// A plain reference of one content view: items are objects in an array, nothing is recycled, no
// bytes are stored (only the seed that generated them). Each method restates a rule of PIC
// (ContentView.c, Stream.c, StreamEvent.c) as directly as possible; the model test runs it beside
// the real view and compares cursors, items, removal reports and metrics after every command.
import {
  type ContentStorePressurePolicy,
  type ContentViewMetrics,
  ContentViewOverflowPolicy,
  type RemovedItem,
  RemoveReason,
  StreamingType,
  ViewItemFlags,
} from '../src/index';

const {
  STREAM_START,
  STREAM_START_DEBUG,
  FRAGMENT_START,
  FRAGMENT_END,
  RECEIVED_ACK,
  BUFFERING_ACK,
  PERSISTED_ACK,
  SKIP_ITEM,
} = ViewItemFlags;

export interface ViewConfig {
  itemCount: number;
  bufferDuration: number;
  overflowPolicy: ContentViewOverflowPolicy;
  pressurePolicy: ContentStorePressurePolicy;
  streamingType: StreamingType;
  maxLatency: number;
  connectionStalenessDuration: number;
  retentionPeriod: number;
}

export interface ModelItem {
  index: number;
  dts: number;
  pts: number;
  /** The PTS it was put with (kept when an in-flight item takes an evicted slot's times). */
  ownPts: number;
  /** FRAGMENT_START items put up to this one. */
  fragment: number;
  /** STREAM_START items put up to this one. */
  stream: number;
  duration: number;
  length: number;
  flags: number;
  /** Handed out by getNext since the last rollback. */
  handed: boolean;
  /** Seed of the payload bytes. */
  seed: number;
  header: { length: number; seed: number } | null;
}

export class ModelView {
  items: ModelItem[] = [];
  tail = 0;
  current = 0;
  head = 0;
  pin = -1;
  lastDts = 0;
  puts = 0;
  /** FRAGMENT_START items put so far. */
  fragments = 0;
  /** STREAM_START items put so far. */
  streams = 0;
  readonly log: RemovedItem[] = [];
  readonly counters = {
    droppedFrames: 0,
    droppedFragments: 0,
    skippedFrames: 0,
    storagePressures: 0,
    bufferPressures: 0,
    latencyPressures: 0,
    staleEvents: 0,
  };

  constructor(
    readonly id: number,
    readonly config: ViewConfig,
  ) {}

  at(index: number): ModelItem {
    const item = this.items[index - this.tail];
    if (item === undefined || item.index !== index) throw new Error(`model has no item ${index}`);
    return item;
  }

  /** contentViewCheckAvailability. */
  isFull(): boolean {
    if (this.items.length === 0) return false;
    return this.head - this.tail >= this.config.itemCount || this.durationFrom(this.tail) >= this.config.bufferDuration;
  }

  durationFrom(index: number): number {
    const newest = this.items[this.items.length - 1];
    return Math.max(0, newest.pts + newest.duration - this.at(index).pts);
  }

  overallDuration(): number {
    return this.items.length === 0 ? 0 : this.durationFrom(this.tail);
  }

  currentDuration(): number {
    return this.current === this.head ? 0 : this.durationFrom(this.current);
  }

  bytes(from: number): number {
    let sum = 0;
    for (const item of this.items) if (item.index >= from) sum += item.length + (item.header?.length ?? 0);
    return sum;
  }

  /** Whether an eviction step could remove anything: some item other than the in-flight one. */
  evictable(): boolean {
    return this.items.some((item) => item.index !== this.pin);
  }

  append(dts: number, pts: number, duration: number, flags: number, length: number, seed: number): void {
    this.items.push({
      index: this.head,
      dts,
      pts,
      ownPts: pts,
      fragment: flags & FRAGMENT_START ? ++this.fragments : this.fragments,
      stream: flags & STREAM_START ? ++this.streams : this.streams,
      duration,
      length,
      flags,
      handed: false,
      seed,
      header: null,
    });
    this.head++;
    this.lastDts = dts;
    this.puts++;
  }

  private report(item: ModelItem, reason: RemoveReason): void {
    const sent = item.handed;
    if (!sent && !(item.flags & SKIP_ITEM) && reason !== RemoveReason.ACKED) {
      if (this.config.streamingType === StreamingType.NEAR_REALTIME) this.counters.droppedFragments++;
      else this.counters.droppedFrames++;
    }
    this.log.push({
      stream: this.id,
      index: item.index,
      dts: item.dts,
      pts: item.ownPts,
      duration: item.duration,
      length: item.length,
      flags: item.flags,
      sent,
      reason,
    });
  }

  private removeTail(reason: RemoveReason): ModelItem {
    const item = this.items.shift()!;
    this.tail++;
    this.report(item, reason);
    return item;
  }

  /** contentViewTrimTailItems, one step; returns the number of items removed. */
  trimTailItems(reason: RemoveReason): number {
    if (this.items.length === 0) return 0;
    const pin = this.pin;
    if (this.config.overflowPolicy === ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM) {
      if (this.tail !== pin) {
        this.removeTail(reason);
        if (this.current < this.tail) this.current = this.tail;
        return 1;
      }
      if (pin + 1 === this.head) return 0;
      const [inFlight, victim] = this.items.splice(0, 2);
      this.report(victim, reason);
      this.takeSlot(inFlight, victim);
      this.items.unshift(inFlight);
      this.tail = victim.index;
      this.current = this.tail + 1;
      this.pin = this.tail;
      return 1;
    }
    let dropped = 0;
    let held: ModelItem | undefined;
    let last: ModelItem | undefined;
    do {
      if (this.tail !== pin) {
        last = this.removeTail(reason);
        dropped++;
      } else {
        held = this.items.shift();
        this.tail++;
      }
    } while (this.tail !== this.head && (dropped === 0 || !(this.items[0].flags & FRAGMENT_START)));
    if (this.current <= this.tail) {
      this.current = this.tail;
      if (held !== undefined) {
        // The in-flight item comes back as the tail, in the last evicted item's time slot.
        if (pin !== this.tail - 1) this.takeSlot(held, last!);
        this.items.unshift(held);
        this.tail--;
        this.current = this.tail + 1;
        this.pin = this.tail;
      }
    } else if (held !== undefined) {
      throw new Error('model: in-flight item passed without the tail passing current');
    }
    return dropped;
  }

  private takeSlot(item: ModelItem, slot: ModelItem): void {
    item.index = slot.index;
    item.dts = slot.dts;
    item.pts = slot.pts;
    item.duration = slot.duration;
  }

  getNext(toBoundary: boolean): number {
    let i = this.current;
    while (i < this.head) {
      const f = this.at(i).flags;
      if (!(f & SKIP_ITEM) && (!toBoundary || f & (FRAGMENT_START | FRAGMENT_END))) break;
      i++;
    }
    this.pin = -1;
    if (i === this.head) {
      this.current = this.head;
      return -1;
    }
    this.current = i + 1;
    this.at(i).handed = true;
    this.pin = i;
    return i;
  }

  moveCurrent(index: number): void {
    this.pin = -1;
    for (let i = index; i < this.current; i++) this.at(i).handed = false;
    this.current = index;
  }

  rollback(duration: number, keyFrame: boolean, receivedAck: boolean): number {
    const start = this.current;
    this.pin = -1;
    if (start === this.tail || duration === 0) return start;
    let reference: number;
    if (start < this.head) {
      reference = this.at(start).pts;
    } else {
      const newest = this.at(this.head - 1);
      reference = newest.pts + newest.duration;
    }
    let target = start;
    let last = start;
    for (let i = start; ; i--) {
      if (i < this.head) {
        const item = this.at(i);
        if (!keyFrame || item.flags & FRAGMENT_START) {
          target = i;
          if (receivedAck && item.flags & RECEIVED_ACK) {
            target = last;
            break;
          }
          if (item.pts + duration <= reference) break;
          last = i;
        }
      }
      if (i === this.tail) break;
    }
    while (target < this.head && this.at(target).flags & SKIP_ITEM) target++;
    this.moveCurrent(target);
    return target;
  }

  trimTo(index: number, reason: RemoveReason): number {
    const stop = this.pin !== -1 && this.pin < index ? this.pin : index;
    let n = 0;
    while (this.tail < stop) {
      this.removeTail(reason);
      n++;
    }
    if (this.current < this.tail) this.current = this.tail;
    return n;
  }

  trimToNextFragment(index: number): number {
    let k = index + 1;
    for (;;) {
      while (k < this.head && (this.at(k).flags & SKIP_ITEM || !(this.at(k).flags & (FRAGMENT_START | FRAGMENT_END))))
        k++;
      if (k === this.head) return 0;
      const f = this.at(k).flags;
      if (f & FRAGMENT_START && f & PERSISTED_ACK) {
        k++;
        continue;
      }
      if (f & FRAGMENT_END) k++;
      return this.trimTo(k, RemoveReason.ACKED);
    }
  }

  private markSkip(index: number): void {
    const item = this.at(index);
    if (!(item.flags & SKIP_ITEM)) {
      item.flags |= SKIP_ITEM;
      this.counters.skippedFrames++;
    }
  }

  skipFragment(index: number, startPts: number | undefined): boolean {
    this.moveCurrent(index);
    if (startPts !== undefined && startPts !== this.at(index).pts) {
      for (let j = index - 1; j >= this.tail && this.at(j).pts >= startPts; j--) this.markSkip(j);
    }
    for (let k = index; ; ) {
      this.markSkip(k);
      k++;
      if (k === this.head) {
        this.current = k;
        return false;
      }
      if (this.at(k).flags & (FRAGMENT_START | STREAM_START | FRAGMENT_END)) {
        this.current = k;
        return true;
      }
    }
  }

  /** Items counted dropped when given up (dropItem), not when they leave. */
  givenUpDropped = 0;

  /** dropItem: an unacknowledged item not yet given up becomes SKIP, counts dropped, is reported. */
  dropItem(index: number, reports: [number, boolean][]): boolean {
    const item = this.at(index);
    if (item.flags & (RECEIVED_ACK | PERSISTED_ACK | SKIP_ITEM)) return false;
    item.flags |= SKIP_ITEM;
    if (this.config.streamingType === StreamingType.NEAR_REALTIME) this.counters.droppedFragments++;
    else this.counters.droppedFrames++;
    this.givenUpDropped++;
    reports.push([item.ownPts, (item.flags & FRAGMENT_START) !== 0]);
    return true;
  }

  /** dropUntilFragmentStart: drop up to an unskipped fragment or stream start, move current there. */
  dropUntilFragmentStart(from: number, reports: [number, boolean][]): number {
    let i = from;
    for (; i < this.head; i++) {
      const f = this.at(i).flags;
      if (f & (FRAGMENT_START | STREAM_START) && !(f & SKIP_ITEM)) break;
      this.dropItem(i, reports);
    }
    if (i !== this.current) this.moveCurrent(i);
    return i;
  }

  /** markFragmentSkipped: skipFragment's marking, no cursor moves. */
  markFragmentSkipped(index: number): void {
    this.markSkip(index);
    for (let k = index + 1; k < this.head; k++) {
      if (this.at(k).flags & (FRAGMENT_START | STREAM_START | FRAGMENT_END)) break;
      this.markSkip(k);
    }
  }

  /** The newest item whose [ts, ts + duration] contains `timestamp`, within the tail…head range. */
  find(timestamp: number, byPts: boolean): number {
    if (this.items.length === 0) return -1;
    const key = (item: ModelItem) => (byPts ? item.pts : item.dts);
    const oldest = this.items[0];
    const newest = this.items[this.items.length - 1];
    if (!(timestamp >= key(oldest) && timestamp <= key(newest) + newest.duration)) return -1;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i];
      if (key(item) <= timestamp && timestamp <= key(item) + item.duration) return item.index;
    }
    return -1;
  }

  staleness(): number {
    const limit = this.config.connectionStalenessDuration;
    if (limit === 0 || this.current === this.tail) return 0;
    const last = this.at(this.current - 1);
    for (let i = this.current - 1; i >= this.tail; i--) {
      const item = this.at(i);
      if (item.flags & BUFFERING_ACK) return 0;
      if (last.dts - item.dts > limit) {
        this.counters.staleEvents++;
        return last.dts - item.dts;
      }
    }
    return 0;
  }

  headerItem(): ModelItem | undefined {
    return this.items.find((item) => item.header !== null);
  }

  clearHeader(): void {
    const item = this.headerItem();
    if (item === undefined) return;
    item.header = null;
    item.flags &= ~STREAM_START;
  }

  setHeader(index: number, length: number, seed: number): boolean {
    const item = this.at(index);
    if (item.flags & STREAM_START && item.header === null) return false;
    this.clearHeader();
    item.header = { length, seed };
    item.flags |= STREAM_START | STREAM_START_DEBUG;
    return true;
  }

  removeAll(): number {
    this.pin = -1;
    return this.trimTo(this.head, RemoveReason.REMOVED);
  }

  metrics(): ContentViewMetrics {
    return {
      currentViewDuration: this.currentDuration(),
      overallViewDuration: this.overallDuration(),
      currentViewSize: this.bytes(this.current),
      overallViewSize: this.bytes(this.tail),
      currentViewItemCount: this.head - this.current,
      overallViewItemCount: this.head - this.tail,
      ...this.counters,
    };
  }
}
