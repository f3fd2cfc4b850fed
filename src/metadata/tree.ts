/**
 * What the metadata API answers for a path, once it knows the instance
 * (Nova's InstanceMetadata.lookup and ec2_md_print): the EC2 tree under /
 * and the OpenStack tree under /openstack, built from the same pure
 * functions as the config drive. Pure, like them: the API does the I/O.
 */
import path from 'node:path';
import {
  DEFAULT_DHCP_DOMAIN, EC2_VERSIONS, OPENSTACK_VERSIONS, dumpAsBytes, ec2MetaData, networkDataJson, openstackMetaData,
  vendorData2Json, vendorDataJson, type InstanceMetadataOptions, type InstanceMetadataSource,
} from './instance-metadata.js';
import { TEXT_PLAIN } from './error-page.js';

export const APPLICATION_JSON = 'application/json';

export interface MetadataData { kind: 'data'; body: Buffer; contentType: string }

export type MetadataAnswer =
  | MetadataData
  /** openstack/<version>/password: read or set by the API, which owns the stored password. */
  | { kind: 'password' }
  /** Nova's InvalidMetadataPath: the API answers 404. */
  | { kind: 'not-found' };

export interface TreeOptions extends InstanceMetadataOptions {
  /** Today, for hiding OpenStack versions dated in the future from the listing (Nova does). */
  now?: Date;
}

const NOT_FOUND: MetadataAnswer = { kind: 'not-found' };

function text(value: string | Buffer): MetadataData {
  return { kind: 'data', body: typeof value === 'string' ? Buffer.from(value, 'utf8') : value, contentType: TEXT_PLAIN };
}

function json(body: Buffer): MetadataData {
  return { kind: 'data', body, contentType: APPLICATION_JSON };
}

/** The path as Nova normalises it (posixpath.normpath): no '.', '..', repeated or trailing slashes. */
export function normalizeMetadataPath(raw: string): string {
  const normalized = path.posix.normalize(`/${raw}`);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

type Tree = unknown;

/**
 * Nova's ec2_md_print: a directory lists its keys sorted, subdirectories with
 * a trailing '/' (or their '_name', which only public-keys/0 has), a list one
 * item a line, and anything else as Python's str() would show it.
 */
export function ec2Print(data: Tree): string | Buffer {
  if (Buffer.isBuffer(data) || typeof data === 'string') return data;
  if (Array.isArray(data)) return data.map((item) => String(pyStr(item))).join('\n');
  if (data !== null && typeof data === 'object') {
    const dir = data as Record<string, unknown>;
    return Object.keys(dir).sort().filter((k) => k !== '_name').map((key) => {
      const value = dir[key];
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) {
        const name = (value as Record<string, unknown>)._name;
        return name !== undefined ? String(name) : `${key}/`;
      }
      return key;
    }).join('\n');
  }
  return pyStr(data);
}

function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

/** Nova's find_path_in_tree, answering not-found where Python would have failed on a leaf. */
function findInTree(data: Tree, tokens: readonly string[]): Tree | undefined {
  let node: Tree = data;
  for (const token of tokens) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || Buffer.isBuffer(node)) return undefined;
    if (!Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

function ec2Tree(src: InstanceMetadataSource, version: string, opts: TreeOptions): Record<string, unknown> | undefined {
  const resolved = version === 'latest' ? EC2_VERSIONS[EC2_VERSIONS.length - 1] : version;
  if (!(EC2_VERSIONS as readonly string[]).includes(resolved!)) return undefined;
  const md = ec2MetaData(src, resolved!, opts) as Record<string, unknown>;
  const keys = md['public-keys'] as Record<string, Record<string, unknown>> | undefined;
  // The web tree shows the key as '0=<name>' where a drive's JSON has no name at all.
  if (keys?.[0]) keys[0] = { _name: `0=${src.keyName}`, ...keys[0] };
  const tree: Record<string, unknown> = { 'meta-data': md };
  if (src.userData) tree['user-data'] = src.userData;
  return tree;
}

function atLeast(required: string, requested: string): boolean {
  const versions: readonly string[] = OPENSTACK_VERSIONS;
  return versions.indexOf(requested) >= versions.indexOf(required);
}

function openstackItem(src: InstanceMetadataSource, tokens: readonly string[], opts: TreeOptions): MetadataAnswer {
  // openstack/content/<key>: personality files, which only a config drive carries (they are not stored).
  if (tokens[0] === 'content') {
    const index = tokens.length === 2 && /^\d{4}$/.test(tokens[1]!) ? Number(tokens[1]) : -1;
    const file = src.files?.[index];
    return file ? text(file.contents) : NOT_FOUND;
  }
  const version = tokens[0] === 'latest' ? OPENSTACK_VERSIONS[OPENSTACK_VERSIONS.length - 1]! : tokens[0]!;
  if (!(OPENSTACK_VERSIONS as readonly string[]).includes(version)) return NOT_FOUND;
  const item = tokens.length === 1 ? null : tokens.slice(1).join('/');
  switch (item) {
    case null: {
      const names = ['meta_data.json'];
      if (src.userData) names.push('user_data');
      if (atLeast('2013-04-04', version)) names.push('password');
      if (atLeast('2013-10-17', version)) names.push('vendor_data.json');
      if (atLeast('2015-10-15', version)) names.push('network_data.json');
      if (atLeast('2016-10-06', version)) names.push('vendor_data2.json');
      return text(names.join('\n'));
    }
    case 'meta_data.json':
      return json(dumpAsBytes(openstackMetaData(src, version, opts)));
    case 'user_data':
      return src.userData ? text(src.userData) : NOT_FOUND;
    case 'password':
      return atLeast('2013-04-04', version) ? { kind: 'password' } : NOT_FOUND;
    case 'vendor_data.json':
      return atLeast('2013-10-17', version) ? json(vendorDataJson()) : NOT_FOUND;
    case 'vendor_data2.json':
      return atLeast('2016-10-06', version) ? json(vendorData2Json()) : NOT_FOUND;
    case 'network_data.json':
      // Nova serves it at every version, and as text/plain: its handler never sets a JSON type.
      return text(networkDataJson(src.networkInfo));
    default:
      return NOT_FOUND;
  }
}

/** The list of versions a bare /openstack or / shows. */
function versionListing(root: 'ec2' | 'openstack', now: Date): string {
  if (root === 'ec2') return [...EC2_VERSIONS, 'latest'].join('\n');
  const today = now.toISOString().slice(0, 10);
  return [...OPENSTACK_VERSIONS.filter((v) => v <= today), 'latest'].join('\n');
}

/** The EC2 version listing Nova gives for '/' to anyone, before it knows who asks. */
export function rootListing(): MetadataData {
  return text(versionListing('ec2', new Date()));
}

/** Nova's InstanceMetadata.lookup for one instance; `rawPath` is the request's path without its query. */
export function lookupMetadata(src: InstanceMetadataSource, rawPath: string, opts: TreeOptions = {}): MetadataAnswer {
  const normalized = normalizeMetadataPath(rawPath);
  let tokens = normalized.split('/').slice(1);
  // Anything outside /openstack and /ec2 is the EC2 tree.
  if (tokens[0] !== 'ec2' && tokens[0] !== 'openstack') tokens = tokens[0] === '' ? ['ec2'] : ['ec2', ...tokens];
  const root = tokens[0] as 'ec2' | 'openstack';
  if (tokens.length === 1) return text(versionListing(root, opts.now ?? new Date()));
  const treeOpts = { ...opts, dhcpDomain: opts.dhcpDomain ?? DEFAULT_DHCP_DOMAIN };
  if (root === 'openstack') return openstackItem(src, tokens.slice(1), treeOpts);
  const tree = ec2Tree(src, tokens[1]!, treeOpts);
  if (!tree) return NOT_FOUND;
  const found = findInTree(tree, tokens.slice(2));
  return found === undefined ? NOT_FOUND : text(ec2Print(found));
}
