/**
 * JSON written as text rather than through JSON.stringify, so a hostile body can
 * hold what a JS object cannot: duplicate keys, a literal `__proto__` key,
 * numbers past a double (1e309, 99999999999999999999) and bytes that are not
 * UTF-8 at all.
 */

/** A piece of JSON text, spliced in verbatim. */
export interface Raw { raw: string }
export const raw = (text: string): Raw => ({ raw: text });

/**
 * Stands for bytes that are not valid UTF-8 inside a JSON string; `toPayload`
 * swaps it for the bytes themselves, since no JS string can carry them.
 */
export const BAD_UTF8_MARKER = '\u0001kilonova-fuzz-bad-utf8\u0001';
const BAD_UTF8_BYTES = Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80]);

export function isRaw(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Raw).raw === 'string';
}

/** Serialises plain values, with Raw pieces copied as they are. */
export function toText(value: unknown): string {
  if (isRaw(value)) return value.raw;
  if (Array.isArray(value)) return `[${value.map(toText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A JSON object written from entries, so keys may repeat or be `__proto__`. */
export function objectText(entries: Array<[string, string]>): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** The bytes to send: the text, with every bad-UTF-8 marker replaced by invalid bytes. */
export function toPayload(text: string): string | Buffer {
  const marker = JSON.stringify(BAD_UTF8_MARKER).slice(1, -1);
  if (!text.includes(marker)) return text;
  const parts = text.split(marker);
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) chunks.push(BAD_UTF8_BYTES);
    chunks.push(Buffer.from(p, 'utf8'));
  });
  return Buffer.concat(chunks);
}

/** Every path to a node under the root of a template (object keys and array indexes). */
export function nodePaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (isRaw(value)) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => { out.push([...prefix, i], ...nodePaths(v, [...prefix, i])); });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...nodePaths(v, [...prefix, k]));
  }
  return out;
}

export type Perturbation =
  | { op: 'replace'; path: Array<string | number>; with: string }
  | { op: 'delete'; path: Array<string | number> }
  /** Adds a sibling key (possibly `__proto__` or a duplicate of an existing key) next to the node at path. */
  | { op: 'addKey'; path: Array<string | number>; key: string; with: string };

/** The template's JSON text with one node replaced, removed, or given a hostile sibling. */
export function perturbedText(value: unknown, p: Perturbation, at: Array<string | number> = []): string {
  const here = (path: Array<string | number>) => path.length === at.length + 1 && at.every((s, i) => s === path[i]);
  const below = (path: Array<string | number>) => path.length > at.length + 1 && at.every((s, i) => s === path[i]);
  if (isRaw(value)) return value.raw;
  if (Array.isArray(value)) {
    const items: string[] = [];
    value.forEach((v, i) => {
      if (here(p.path) && p.path[at.length] === i) {
        if (p.op === 'replace') items.push(p.with);
        else if (p.op === 'addKey') items.push(toText(v), p.with);
      } else items.push(below(p.path) && p.path[at.length] === i ? perturbedText(v, p, [...at, i]) : toText(v));
    });
    return `[${items.join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(value)) {
      if (here(p.path) && p.path[at.length] === k) {
        if (p.op === 'replace') entries.push([k, p.with]);
        else if (p.op === 'addKey') entries.push([k, toText(v)], [p.key, p.with]);
      } else entries.push([k, below(p.path) && p.path[at.length] === k ? perturbedText(v, p, [...at, k]) : toText(v)]);
    }
    return objectText(entries);
  }
  return toText(value);
}
