/**
 * The policy enforcer: registered defaults, overridden by an operator's
 * policy.yaml, compiled once at load. Credentials are derived from the
 * validated token the way oslo.context's to_policy_values() does.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import type { Logger } from 'pino';
import type { AuthContext } from '../http/auth.js';
import { PolicyNotAuthorized } from '../errors.js';
import { compileCheck, referencedRules, PolicySyntaxError, type CompiledCheck, type Credentials, type EvalContext } from './engine.js';
import type { Authorizer, PolicyRuleDefault, PolicyTarget } from './types.js';

export interface PolicyEnforcerOptions {
  /** policy.yaml (or JSON) with overrides; a path that does not exist means none. */
  policyFile?: string;
  logger?: Logger;
}

/** A policy file or rule that cannot be used; the message names the file and the rule. */
export class PolicyLoadError extends Error {}

/** Decides what `is_admin:True` means (Nova's check_is_admin). */
const IS_ADMIN_RULE = 'context_is_admin';
/** What oslo.policy falls back to for an action that has no rule, when defined. */
const DEFAULT_RULE = 'default';

export class PolicyEnforcer implements Authorizer {
  private readonly rules = new Map<string, CompiledCheck>();
  private readonly checkStrings = new Map<string, string>();
  private readonly credsCache = new WeakMap<AuthContext, Credentials>();
  private readonly logger?: Logger;
  private readonly ctx: EvalContext;
  private readonly warnedUnknown = new Set<string>();

  constructor(defaults: readonly PolicyRuleDefault[], opts: PolicyEnforcerOptions = {}) {
    this.logger = opts.logger;
    for (const d of defaults) this.setRule(d.name, d.checkStr, 'default rule');
    if (opts.policyFile) {
      for (const [name, checkStr] of readOverrides(opts.policyFile)) {
        this.setRule(name, checkStr, `policy file ${opts.policyFile}`);
      }
    }
    this.checkReferences(opts.policyFile);
    this.ctx = {
      rule: (name) => this.rules.get(name),
      onUnknownRule: (name) => this.unknownRule(name),
    };
  }

  /** The effective check string of a rule (after overrides), for diagnostics. */
  checkString(name: string): string | undefined {
    return this.checkStrings.get(name);
  }

  allowed(action: string, target: PolicyTarget, auth: AuthContext): boolean {
    return this.enforce(action, target, this.credentials(auth));
  }

  authorize(action: string, target: PolicyTarget, auth: AuthContext): void {
    if (!this.allowed(action, target, auth)) throw new PolicyNotAuthorized(action);
  }

  /** Evaluates a rule against explicit credentials (tests, and callers without a token). */
  enforce(action: string, target: PolicyTarget, creds: Credentials): boolean {
    const rule = this.rules.get(action) ?? this.rules.get(DEFAULT_RULE);
    if (!rule) {
      this.unknownRule(action);
      return false;
    }
    return rule(target, creds, this.ctx);
  }

  /** oslo.context's policy values for a token, plus Nova's is_admin. */
  credentials(auth: AuthContext): Credentials {
    const cached = this.credsCache.get(auth);
    if (cached) return cached;
    const base: Record<string, unknown> = {
      user_id: auth.userId,
      user_domain_id: auth.userDomainId,
      project_id: auth.projectId || null,
      project_domain_id: auth.projectDomainId || null,
      tenant: auth.projectId || null,
      domain_id: null,
      system_scope: null,
      roles: auth.roles,
      is_admin_project: auth.isAdminProject,
    };
    // Nova decides is_admin by evaluating context_is_admin on the caller's own project.
    const isAdminRule = this.rules.get(IS_ADMIN_RULE);
    base.is_admin = isAdminRule
      ? isAdminRule({ project_id: auth.projectId, user_id: auth.userId }, base, this.ctx)
      : auth.roles.some((r) => r.toLowerCase() === 'admin');
    const creds = Object.freeze(base);
    this.credsCache.set(auth, creds);
    return creds;
  }

  private setRule(name: string, checkStr: string, source: string): void {
    try {
      this.rules.set(name, compileCheck(checkStr));
      this.checkStrings.set(name, checkStr);
    } catch (err) {
      if (err instanceof PolicySyntaxError) {
        throw new PolicyLoadError(`${source}: rule "${name}" has an invalid check string "${checkStr}": ${err.message}`);
      }
      throw err;
    }
  }

  /** Refuses cycles (they would never terminate) and warns of references to nothing. */
  private checkReferences(policyFile: string | undefined): void {
    const where = policyFile ? ` (after overrides from ${policyFile})` : '';
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, chain: string[]): void => {
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') {
        throw new PolicyLoadError(`policy rules refer to each other in a cycle${where}: ${[...chain, name].join(' -> ')}`);
      }
      const checkStr = this.checkStrings.get(name);
      if (checkStr === undefined) return;
      state.set(name, 'visiting');
      for (const ref of referencedRules(checkStr)) {
        if (!this.checkStrings.has(ref)) {
          this.logger?.warn({ rule: name, missing: ref }, 'policy rule refers to an undefined rule; that check denies');
        }
        visit(ref, [...chain, name]);
      }
      state.set(name, 'done');
    };
    for (const name of this.checkStrings.keys()) visit(name, []);
  }

  private unknownRule(name: string): void {
    if (this.warnedUnknown.has(name)) {
      this.logger?.debug({ rule: name }, 'policy rule not defined; denied');
      return;
    }
    this.warnedUnknown.add(name);
    this.logger?.warn({ rule: name }, 'policy rule not defined; denied');
  }
}

/** The name → check string mapping of a policy file; none when the file does not exist. */
export function readOverrides(file: string): Array<[string, string]> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PolicyLoadError(`policy file ${file} cannot be read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so policy.json parses here too.
    doc = YAML.parse(text);
  } catch (err) {
    throw new PolicyLoadError(`policy file ${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PolicyLoadError(`policy file ${file} must be a mapping of rule name to check string`);
  }
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw new PolicyLoadError(`policy file ${file}: rule "${name}" must be a check string, not ${value === null ? 'null' : typeof value}`);
    }
    out.push([name, value]);
  }
  return out;
}
