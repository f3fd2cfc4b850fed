/**
 * Runs a piece of work so that bursts of requests cost at most two runs: one
 * in flight, and one more that starts after it and answers every request made
 * meanwhile (their changes may have missed the run in flight, never the next).
 */
export class CoalescingRun {
  private inFlight = false;
  private next?: { promise: Promise<void>; resolve(): void; reject(err: unknown): void };

  constructor(private readonly work: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.inFlight) {
      if (!this.next) {
        let resolve!: () => void;
        let reject!: (err: unknown) => void;
        const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
        this.next = { promise, resolve, reject };
      }
      return this.next.promise;
    }
    this.inFlight = true;
    return this.work().finally(() => this.drain());
  }

  /** Starts the pending run, if one was asked for, before anyone else can start another. */
  private drain(): void {
    const next = this.next;
    this.next = undefined;
    if (!next) {
      this.inFlight = false;
      return;
    }
    this.work().then(next.resolve, next.reject).finally(() => this.drain());
  }
}
