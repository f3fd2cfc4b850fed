/**
 * clouds.yaml for the bootstrap users, so `openstack --os-cloud kilonova`
 * works at once. It also keeps generated passwords across restarts (0600).
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export interface CloudCredentials {
  authUrl: string;
  region: string;
  admin: string;
  demo: string;
}

export function cloudsYamlPath(statePath: string): string {
  return path.join(statePath, 'clouds.yaml');
}

function cloud(authUrl: string, region: string, user: string, password: string, project: string) {
  return {
    auth: { auth_url: authUrl, username: user, password, project_name: project, user_domain_name: 'Default', project_domain_name: 'Default' },
    region_name: region,
    interface: 'public',
    identity_api_version: 3,
  };
}

export function writeCloudsYaml(statePath: string, c: CloudCredentials): string {
  const file = cloudsYamlPath(statePath);
  const doc = {
    clouds: {
      kilonova: cloud(c.authUrl, c.region, 'admin', c.admin, 'admin'),
      'kilonova-demo': cloud(c.authUrl, c.region, 'demo', c.demo, 'demo'),
    },
  };
  fs.writeFileSync(file, YAML.stringify(doc), { mode: 0o600 });
  return file;
}

/** Passwords written by an earlier start, if any. */
export function readStoredPasswords(statePath: string): { admin?: string; demo?: string } {
  try {
    const doc = YAML.parse(fs.readFileSync(cloudsYamlPath(statePath), 'utf8')) as { clouds?: Record<string, { auth?: { password?: string } }> };
    return { admin: doc?.clouds?.kilonova?.auth?.password, demo: doc?.clouds?.['kilonova-demo']?.auth?.password };
  } catch {
    return {};
  }
}
