import { defineObject } from './base.js';

export interface NetworkRequest {
  network_id: string | null;
  port_id: string | null;
  address: string | null;
}

export const NetworkRequestObject = defineObject<NetworkRequest>('NetworkRequest', '1.3', {
  network_id: { kind: 'string', nullable: true },
  port_id: { kind: 'string', nullable: true },
  address: { kind: 'string', nullable: true },
});

/** 'auto' and 'none' are Nova's 2.37 special values; otherwise the explicit list. */
export interface NetworkRequestList {
  mode: 'auto' | 'none' | 'explicit';
  objects: NetworkRequest[];
}

export const NetworkRequestListObject = defineObject<NetworkRequestList>('NetworkRequestList', '1.1', {
  mode: { kind: 'string' },
  objects: { kind: NetworkRequestObject, list: true },
});
