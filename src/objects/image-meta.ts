import { defineObject } from './base.js';

/** What the compute side needs to know about the image a server boots from. */
export interface ImageMeta {
  id: string;
  name: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  min_disk: number;
  min_ram: number;
  properties: Record<string, string>;
}

export const ImageMetaObject = defineObject<ImageMeta>('ImageMeta', '1.0', {
  id: { kind: 'string' }, name: { kind: 'string', nullable: true },
  disk_format: { kind: 'string', nullable: true }, container_format: { kind: 'string', nullable: true },
  size: { kind: 'int', nullable: true }, min_disk: { kind: 'int' }, min_ram: { kind: 'int' },
  properties: { kind: 'dict' },
});
