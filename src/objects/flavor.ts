import { defineObject } from './base.js';

export interface Flavor {
  id: number;
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: boolean;
  disabled: boolean;
  description: string | null;
  extra_specs: Record<string, string>;
}

export const FlavorObject = defineObject<Flavor>('Flavor', '1.2', {
  id: { kind: 'int' }, flavorid: { kind: 'string' }, name: { kind: 'string' },
  memory_mb: { kind: 'int' }, vcpus: { kind: 'int' }, root_gb: { kind: 'int' },
  ephemeral_gb: { kind: 'int' }, swap: { kind: 'int' }, rxtx_factor: { kind: 'float' },
  is_public: { kind: 'bool' }, disabled: { kind: 'bool' }, description: { kind: 'string', nullable: true },
  extra_specs: { kind: 'dict' },
});
