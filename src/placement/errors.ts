/**
 * Placement's error codes (the `code` of its error bodies, microversion 1.23+),
 * on top of the shared fault catalog.
 */
import { BadRequest, Conflict, NotFound } from '../errors.js';

export const ErrorCodes = {
  DEFAULT: 'placement.undefined_code',
  INVENTORY_INUSE: 'placement.inventory.inuse',
  CONCURRENT_UPDATE: 'placement.concurrent_update',
  DUPLICATE_NAME: 'placement.duplicate_name',
  PROVIDER_IN_USE: 'placement.resource_provider.inuse',
  PROVIDER_CANNOT_DELETE_PARENT: 'placement.resource_provider.cannot_delete_parent',
  RESOURCE_PROVIDER_NOT_FOUND: 'placement.resource_provider.not_found',
  QUERYPARAM_BAD_VALUE: 'placement.query.bad_value',
  QUERYPARAM_MISSING_VALUE: 'placement.query.missing_value',
  ILLEGAL_DUPLICATE_QUERYPARAM: 'placement.query.duplicate_key',
} as const;

/** Someone changed the provider (or consumer) since the caller read its generation. */
export class ConcurrentUpdate extends Conflict {
  constructor(message: string) { super(message, { type: ErrorCodes.CONCURRENT_UPDATE }); }
}

export class InventoryInUse extends Conflict {
  constructor(message: string) { super(message, { type: ErrorCodes.INVENTORY_INUSE }); }
}

export class ProviderNotFound extends NotFound {
  constructor(uuid: string) {
    super(`No resource provider with uuid ${uuid} found`, { type: ErrorCodes.RESOURCE_PROVIDER_NOT_FOUND });
  }
}

export class DuplicateName extends Conflict {
  constructor(message: string) { super(message, { type: ErrorCodes.DUPLICATE_NAME }); }
}

export class BadQueryValue extends BadRequest {
  constructor(message: string) { super(message, { type: ErrorCodes.QUERYPARAM_BAD_VALUE }); }
}

export class MissingQueryValue extends BadRequest {
  constructor(message: string) { super(message, { type: ErrorCodes.QUERYPARAM_MISSING_VALUE }); }
}
