/** Client side of the scheduler's RPC API (topic `scheduler`). */
import type { RpcClient } from '../bus/rpc.js';
import type { RequestContext } from '../bus/context.js';
import { fromPrimitive, toPrimitive, RequestSpecObject, SelectionObject, type RequestSpec, type Selection, type Primitive } from '../objects/index.js';

export const SCHEDULER_TOPIC = 'scheduler';

export class SchedulerRpcClient {
  constructor(private readonly rpc: RpcClient, private readonly timeoutMs?: number) {}

  /**
   * One list per instance: the chosen host first (its allocation already
   * claimed), then alternates for rescheduling.
   */
  async selectDestinations(ctx: RequestContext, spec: RequestSpec, instanceUuids: string[], returnAlternates: boolean): Promise<Selection[][]> {
    const result = await this.rpc.call<Primitive[][]>(ctx, SCHEDULER_TOPIC, 'select_destinations', {
      spec_obj: toPrimitive(RequestSpecObject, spec), instance_uuids: instanceUuids, return_alternates: returnAlternates,
    }, { timeoutMs: this.timeoutMs });
    return result.map((list) => list.map((p) => fromPrimitive(SelectionObject, p)));
  }
}
