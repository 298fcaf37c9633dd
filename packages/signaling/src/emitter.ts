// A small typed event emitter. Node's `events` is not isomorphic and eventemitter3 is not a
// dependency of this package; this is all the client and sessions need: on / once / off / emit,
// with listener types checked against an event map. A listener that throws does not stop the
// others: the error goes to `error` listeners (or is rethrown asynchronously if there are none),
// so one application bug cannot wedge the signaling state machine that is emitting.

/** Event name → listener arguments. */
// biome-ignore lint/suspicious/noExplicitAny: listener argument tuples of any shape
export type EventMap = Record<string, any[]>;

/** A listener of event `K`. */
export type Listener<E extends EventMap, K extends keyof E> = (...args: E[K]) => void;

export class TypedEmitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Set<Listener<E, keyof E>>>();

  /** Calls `listener` on every `event`; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener as Listener<E, keyof E>);
    return () => this.off(event, listener);
  }

  /** Calls `listener` on the next `event` only. */
  once<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E, K>): void {
    this.listeners.get(event)?.delete(listener as Listener<E, keyof E>);
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        if (event !== 'error' && this.listenerCount('error') > 0) this.emit('error' as K, ...([error] as E[K]));
        else
          queueMicrotask(() => {
            throw error;
          });
      }
    }
  }
}
