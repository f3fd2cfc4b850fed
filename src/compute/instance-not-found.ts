/** Nova's InstanceNotFound, in a module of its own so a compute host can raise and recognise it without the database code of instance-store.ts. */
import { NotFound } from '../errors.js';

export class InstanceNotFound extends NotFound {
  constructor(uuid: string) {
    super(`Instance ${uuid} could not be found.`);
  }
}
