/**
 * keystone-manage bootstrap, run at every start: makes sure the default
 * domain, the admin/demo/service projects, the admin/member/reader roles
 * (admin implies member implies reader) and the admin and demo users exist.
 * It is idempotent and safe when several processes start at once.
 */
import type { Logger } from 'pino';
import { Conflict } from '../errors.js';
import type { Project, Role, User } from './model.js';
import { generatePassword, verifyPassword } from './passwords.js';
import type { IdentityStore } from './store.js';

export interface BootstrapOptions {
  adminPassword?: string;
  demoPassword?: string;
}

export interface BootstrapResult {
  /** Passwords made up on first creation, for the caller to print once. */
  generated: { admin?: string; demo?: string };
}

export interface BootstrapHooks {
  logger: Logger;
  /** Tokens of a user whose password changed must stop working. */
  onPasswordChanged(userId: string): Promise<void>;
}

export const DEFAULT_DOMAIN_ID = 'default';

export async function bootstrapIdentity(store: IdentityStore, opts: BootstrapOptions, hooks: BootstrapHooks): Promise<BootstrapResult> {
  await store.ensureDomain(DEFAULT_DOMAIN_ID, 'Default', 'The default domain');

  const project = (name: string, description: string): Promise<Project> =>
    findOrCreate(
      () => store.findProject(name, DEFAULT_DOMAIN_ID),
      () => store.createProject({ name, domainId: DEFAULT_DOMAIN_ID, description }),
    );
  const adminProject = await project('admin', 'Bootstrap project for initializing the cloud.');
  const demoProject = await project('demo', 'Project for the demo user.');
  await project('service', 'Project for service users.');

  const role = (name: string): Promise<Role> =>
    findOrCreate(() => store.findRoleByName(name), () => store.createRole({ name }));
  const admin = await role('admin');
  const member = await role('member');
  const reader = await role('reader');
  await store.addImpliedRole(admin.id, member.id);
  await store.addImpliedRole(member.id, reader.id);

  const generated: BootstrapResult['generated'] = {};
  const adminUser = await ensureUser(store, hooks, 'admin', opts.adminPassword, (pw) => { generated.admin = pw; });
  const demoUser = await ensureUser(store, hooks, 'demo', opts.demoPassword, (pw) => { generated.demo = pw; });
  await store.grant(adminUser.id, adminProject.id, admin.id);
  await store.grant(demoUser.id, demoProject.id, member.id);
  return { generated };
}

async function ensureUser(
  store: IdentityStore, hooks: BootstrapHooks, name: string, password: string | undefined,
  reportGenerated: (pw: string) => void,
): Promise<User> {
  const existing = await store.getUserWithHash({ name, domainId: DEFAULT_DOMAIN_ID });
  if (existing) {
    if (password && !(await verifyPassword(password, existing.hash, store.passwordCost))) {
      await store.setPasswordHash(existing.user.id, await store.hashPassword(password));
      await hooks.onPasswordChanged(existing.user.id);
      hooks.logger.info({ user: name }, 'bootstrap: password updated from configuration');
    }
    return existing.user;
  }
  const chosen = password || generatePassword();
  try {
    const user = await store.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: chosen });
    if (!password) reportGenerated(chosen);
    return user;
  } catch (err) {
    // Another process bootstrapping at the same moment created it; its password wins.
    if (!(err instanceof Conflict)) throw err;
    const raced = await store.findUser(name, DEFAULT_DOMAIN_ID);
    if (!raced) throw err;
    return raced;
  }
}

async function findOrCreate<T>(find: () => Promise<T | undefined>, create: () => Promise<T>): Promise<T> {
  const found = await find();
  if (found) return found;
  try {
    return await create();
  } catch (err) {
    if (!(err instanceof Conflict)) throw err;
    const raced = await find();
    if (!raced) throw err;
    return raced;
  }
}
