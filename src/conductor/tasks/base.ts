/**
 * A conductor task (Nova's conductor/tasks/base.py): `execute` does the work;
 * if it throws, `rollback` undoes what was done, then the error goes on.
 */
export abstract class ConductorTask<T> {
  protected abstract execute(): Promise<T>;
  protected abstract rollback(err: unknown): Promise<void>;

  async run(): Promise<T> {
    try {
      return await this.execute();
    } catch (err) {
      await this.rollback(err);
      throw err;
    }
  }
}
