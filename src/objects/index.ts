export * from './base.js';
export * from './flavor.js';
export * from './image-meta.js';
export * from './network-request.js';
export * from './block-device-mapping.js';
export * from './request-spec.js';
export * from './selection.js';
export * from './instance.js';
