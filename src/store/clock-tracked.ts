/**
 * A store whose every call a virtual clock waits for. Under virtual time the clock moves as soon as nothing is
 * queued; a store that answers over the network (PostgreSQL) would otherwise let a run's whole time pass while the
 * engine waits for one query. An in-process store (SQLite) answers within the turn and needs none of this.
 */
interface Tracker {
  track<T>(work: Promise<T>): Promise<T>;
}

export function clockTracked<S extends object>(store: S, clock: Tracker): S {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value, target, args);
        return result instanceof Promise ? clock.track(result) : result;
      };
    },
  });
}
