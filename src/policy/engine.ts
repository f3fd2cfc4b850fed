/**
 * The oslo.policy check language: a parser that turns a check string into a
 * compiled predicate, and the semantics of each kind of check. Rules are
 * compiled once when loaded; a request only walks closures.
 *
 * Grammar (as oslo.policy reads it: whitespace separates tokens, parentheses
 * may stick to a check, `and`/`or`/`not` are case-insensitive):
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' expr ')' | check
 *   check   := '@' | '!' | kind ':' match
 */

/** What a check is evaluated against: who is calling and what they act on. */
export type Credentials = Readonly<Record<string, unknown>>;
export type Target = Readonly<Record<string, unknown>>;

export interface EvalContext {
  /** Looks up another rule for `rule:name`; undefined when there is none. */
  rule(name: string): CompiledCheck | undefined;
  /** Told when a `rule:name` names nothing (the check then denies). */
  onUnknownRule?(name: string): void;
}

export type CompiledCheck = (target: Target, creds: Credentials, ctx: EvalContext) => boolean;

export class PolicySyntaxError extends Error {}

type Token =
  | { kind: 'lparen' }
  | { kind: 'rparen' }
  | { kind: 'and' }
  | { kind: 'or' }
  | { kind: 'not' }
  | { kind: 'check'; text: string };

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  for (const word of rule.split(/\s+/)) {
    if (word.length === 0) continue;
    let tok = word;
    while (tok.startsWith('(')) {
      tokens.push({ kind: 'lparen' });
      tok = tok.slice(1);
    }
    if (tok.length === 0) continue;
    // Trailing parentheses close groups; a check's own "%(x)s" never ends in ')'.
    let trail = 0;
    while (tok.endsWith(')')) {
      trail++;
      tok = tok.slice(0, -1);
    }
    const lowered = tok.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') tokens.push({ kind: lowered });
    else if (tok.length > 0) tokens.push({ kind: 'check', text: tok });
    for (let i = 0; i < trail; i++) tokens.push({ kind: 'rparen' });
  }
  return tokens;
}

/** Parses and compiles a check string. Throws PolicySyntaxError on bad syntax. */
export function compileCheck(checkStr: string): CompiledCheck {
  if (checkStr.trim().length === 0) return allow;
  const tokens = tokenize(checkStr);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const describe = (t: Token | undefined): string =>
    t === undefined ? 'end of rule' : t.kind === 'check' ? `"${t.text}"` : t.kind === 'lparen' ? '"("' : t.kind === 'rparen' ? '")"' : `"${t.kind}"`;

  const parseOr = (): CompiledCheck => {
    const parts = [parseAnd()];
    while (peek()?.kind === 'or') {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : anyOf(parts);
  };
  const parseAnd = (): CompiledCheck => {
    const parts = [parseUnary()];
    while (peek()?.kind === 'and') {
      pos++;
      parts.push(parseUnary());
    }
    return parts.length === 1 ? parts[0]! : allOf(parts);
  };
  const parseUnary = (): CompiledCheck => {
    const t = peek();
    if (t?.kind === 'not') {
      pos++;
      const inner = parseUnary();
      return (target, creds, ctx) => !inner(target, creds, ctx);
    }
    if (t?.kind === 'lparen') {
      pos++;
      const inner = parseOr();
      if (peek()?.kind !== 'rparen') throw new PolicySyntaxError(`expected ")" but found ${describe(peek())}`);
      pos++;
      return inner;
    }
    if (t?.kind === 'check') {
      pos++;
      return compileSingleCheck(t.text);
    }
    throw new PolicySyntaxError(`expected a check but found ${describe(t)}`);
  };

  const result = parseOr();
  if (pos !== tokens.length) throw new PolicySyntaxError(`unexpected ${describe(peek())}`);
  return result;
}

const allow: CompiledCheck = () => true;
const deny: CompiledCheck = () => false;

function anyOf(parts: CompiledCheck[]): CompiledCheck {
  return (target, creds, ctx) => {
    for (const p of parts) if (p(target, creds, ctx)) return true;
    return false;
  };
}

function allOf(parts: CompiledCheck[]): CompiledCheck {
  return (target, creds, ctx) => {
    for (const p of parts) if (!p(target, creds, ctx)) return false;
    return true;
  };
}

function compileSingleCheck(text: string): CompiledCheck {
  if (text === '@') return allow;
  if (text === '!') return deny;
  const colon = text.indexOf(':');
  if (colon < 0) throw new PolicySyntaxError(`"${text}" is not a check (expected kind:match, "@" or "!")`);
  const kind = text.slice(0, colon);
  const match = compileMatch(text.slice(colon + 1));
  if (kind.length === 0) throw new PolicySyntaxError(`"${text}" has no kind before ":"`);

  if (kind === 'rule') {
    const name = text.slice(colon + 1);
    return (target, creds, ctx) => {
      const rule = ctx.rule(name);
      if (!rule) {
        ctx.onUnknownRule?.(name);
        return false;
      }
      return rule(target, creds, ctx);
    };
  }

  if (kind === 'role') {
    return (target, creds) => {
      const wanted = match(target);
      if (wanted === undefined) return false;
      const roles = creds.roles;
      if (!Array.isArray(roles)) return false;
      const lower = wanted.toLowerCase();
      for (const r of roles) if (typeof r === 'string' && r.toLowerCase() === lower) return true;
      return false;
    };
  }

  // A kind that is a Python literal ('member', True, 42) compares the match to
  // that literal; any other kind is a dotted path into the credentials.
  const literal = pythonLiteral(kind);
  if (literal !== undefined) {
    return (target) => match(target) === literal;
  }
  const path = kind.split('.');
  return (target, creds) => {
    const wanted = match(target);
    if (wanted === undefined) return false;
    return findInCredentials(creds, path, 0, wanted);
  };
}

/** oslo.policy's walk: a list on the way matches when any element does. */
function findInCredentials(value: unknown, path: string[], i: number, wanted: string): boolean {
  if (i === path.length) return pyStr(value) === wanted;
  if (value === null || typeof value !== 'object') return false;
  const key = path[i]!;
  if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
  const next = (value as Record<string, unknown>)[key];
  if (Array.isArray(next)) return next.some((v) => findInCredentials(v, path, i + 1, wanted));
  return findInCredentials(next, path, i + 1, wanted);
}

/**
 * The right side of a check, with "%(attr)s" substituted from the target the
 * way Python's `%` operator does. Returns undefined when an attribute is
 * missing (the check then fails, as oslo.policy's KeyError does).
 */
function compileMatch(raw: string): (target: Target) => string | undefined {
  if (!raw.includes('%')) return () => raw;
  const parts: Array<string | { key: string }> = [];
  const re = /%\(([^)]*)\)s|%%/g;
  let last = 0;
  for (let m = re.exec(raw); m !== null; m = re.exec(raw)) {
    if (m.index > last) parts.push(raw.slice(last, m.index));
    parts.push(m[0] === '%%' ? '%' : { key: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < raw.length) parts.push(raw.slice(last));
  return (target) => {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else {
        const v = lookupTarget(target, p.key);
        if (v === undefined) return undefined;
        out += pyStr(v);
      }
    }
    return out;
  };
}

/**
 * Keystone flattens its targets into "target.user.id" keys while Nova passes
 * flat dicts; accept a literal key first, then a dotted path through nested objects.
 */
function lookupTarget(target: Target, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(target, key)) return target[key];
  if (!key.includes('.')) return undefined;
  let value: unknown = target;
  for (const seg of key.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, seg)) return undefined;
    value = (value as Record<string, unknown>)[seg];
  }
  return value;
}

/** How Python's str() prints a value, so "True" matches a boolean true. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** The str() of a Python literal kind, or undefined when the kind is not a literal. */
function pythonLiteral(kind: string): string | undefined {
  if (kind === 'True' || kind === 'False' || kind === 'None') return kind;
  if (/^-?\d+$/.test(kind)) return String(Number.parseInt(kind, 10));
  if (kind.length >= 2 && (kind[0] === "'" || kind[0] === '"') && kind[kind.length - 1] === kind[0]) {
    return kind.slice(1, -1);
  }
  return undefined;
}

/** The `rule:` names a check string refers to (for load-time diagnostics). */
export function referencedRules(checkStr: string): string[] {
  const out: string[] = [];
  for (const word of checkStr.split(/\s+/)) {
    const tok = word.replace(/^\(+/, '').replace(/\)+$/, '');
    if (tok.startsWith('rule:')) out.push(tok.slice(5));
  }
  return out;
}
