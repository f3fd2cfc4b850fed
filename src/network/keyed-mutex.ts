/**
 * In-process serialization per key. Port creation on one network takes the
 * network's key so that allocators in this process never race each other for
 * the same lowest free address; racers in other processes are still caught by
 * the unique constraint and retried.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs fn once every key is free; keys are taken in sorted order so two callers never deadlock. */
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      // Drop the entry when nobody queued behind us, so the map does not grow with every network ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
