/**
 * Rendered detail views of servers, kept as JSON text and keyed by the row's
 * version (bumped by every change to the server, its metadata or faults) and
 * by what else shapes the view (microversion, policy outcomes, base URL). A
 * list of a thousand servers then renders only what changed since last time.
 */
export class ServerViewCache {
  private readonly entries = new Map<string, { version: number; json: string }>();

  constructor(private readonly maxEntries = 50_000) {}

  get(viewKey: string, uuid: string, version: number): string | undefined {
    const e = this.entries.get(`${viewKey}|${uuid}`);
    return e && e.version === version ? e.json : undefined;
  }

  set(viewKey: string, uuid: string, version: number, json: string): void {
    const key = `${viewKey}|${uuid}`;
    this.entries.delete(key); // re-insert: Map order is then least recently rendered first
    if (this.entries.size >= this.maxEntries) {
      const drop = Math.ceil(this.maxEntries / 10);
      let i = 0;
      for (const k of this.entries.keys()) {
        if (i++ >= drop) break;
        this.entries.delete(k);
      }
    }
    this.entries.set(key, { version, json });
  }
}
