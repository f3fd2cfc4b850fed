/** Row shapes of the image service's tables (see ../migrations.ts). */
import type { Kysely } from 'kysely';

export interface ImagesTable {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  protected: number;
  os_hidden: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deleted: number;
}

export interface ImagePropertiesTable {
  image_id: string;
  name: string;
  value: string;
}

export interface ImageTagsTable {
  image_id: string;
  value: string;
}

export interface ImageMembersTable {
  image_id: string;
  member_id: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface ImageTables {
  images: ImagesTable;
  image_properties: ImagePropertiesTable;
  image_tags: ImageTagsTable;
  image_members: ImageMembersTable;
}

export type ImageDb = Kysely<ImageTables>;
