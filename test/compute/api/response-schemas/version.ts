/** A compute microversion ("2.47") with ordering, for the schemas' per-version deltas. */
export class Version {
  readonly major: number;
  readonly minor: number;

  constructor(readonly text: string) {
    const m = /^(\d+)\.(\d+)$/.exec(text);
    if (!m) throw new Error(`not a microversion: ${text}`);
    this.major = Number(m[1]);
    this.minor = Number(m[2]);
  }

  compare(other: string | Version): number {
    const o = typeof other === 'string' ? new Version(other) : other;
    return this.major - o.major || this.minor - o.minor;
  }

  atLeast(other: string): boolean { return this.compare(other) >= 0; }
  below(other: string): boolean { return this.compare(other) < 0; }
  toString(): string { return this.text; }
}
