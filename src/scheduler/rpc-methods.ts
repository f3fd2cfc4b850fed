/**
 * The scheduler's RPC API (topic `scheduler`): Nova's SchedulerAPI
 * (scheduler/rpcapi.py), declared once for the conductor's client
 * (rpcapi.ts) and SchedulerManager's handler.
 */
import { RequestSpecObject, SelectionObject } from '../objects/index.js';
import { bool, listOf, obj, str } from '../rpc/codecs.js';
import { call, declareRpcApi } from '../rpc/rpc-api.js';

export const SCHEDULER_RPC_API = declareRpcApi({
  service: 'scheduler',
  topic: 'scheduler',
  routing: 'topic',
  version: '4.0',
  methods: {
    /**
     * One list per instance: the chosen host first (its allocation already
     * claimed), then alternates for rescheduling when asked for.
     */
    select_destinations: call('4.0', {
      spec_obj: obj(RequestSpecObject), instance_uuids: listOf(str), return_alternates: bool,
    }, listOf(listOf(obj(SelectionObject)))),
  },
});
