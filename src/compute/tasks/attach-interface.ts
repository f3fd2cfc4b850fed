/**
 * Nova's attach_interface and detach_interface on the host. Attach makes (or
 * binds the user's) port on this host, hot-plugs it into the guest and adds
 * it to the server's network info; a plug that fails gives the port back, so
 * nothing is left half-attached. Detach unplugs it, then deletes the port if
 * compute made it (a user's port is only released), and drops it from the
 * network info.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import type { VifInfo } from '../../virt/driver.js';
import { withActionEvent } from './action-event.js';
import { instancePayload } from '../notifications.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';
import { networkInfoOf } from './network-info.js';
import { unwirePorts, wirePorts } from './port-wiring.js';

export interface AttachRequest {
  networkId: string | null;
  portId: string | null;
  fixedIp: string | null;
  /** 2.49 device tag, shown from 2.70. */
  tag: string | null;
}

/** A VIF as the server's network info keeps it, with the tag the attach gave it. */
export type TaggedVif = VifInfo & { tag?: string | null };

async function networkInfo(deps: ComputeHostDeps, uuid: string): Promise<TaggedVif[]> {
  return networkInfoOf(deps, uuid);
}

/** Answers with the attached port's id (a call: the API shows that port). */
export async function attachInterface(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, req: AttachRequest): Promise<string> {
  await deps.notifier.info(ctx, 'instance.interface_attach.start', instancePayload(instance));
  const vif = await withActionEvent(deps.store, ctx, instance.uuid, 'compute_attach_interface', deps.host, async () => {
    const [made] = await deps.network.allocateForInstance({
      instanceUuid: instance.uuid, projectId: instance.project_id, userId: instance.user_id, host: deps.host,
      requested: [{ networkId: req.networkId ?? undefined, portId: req.portId ?? undefined, fixedIp: req.fixedIp ?? undefined }],
    });
    try {
      await deps.driver.attachInterface(driverInstanceFor(deps, instance), made);
      await wirePorts(deps, [made.id]);
    } catch (err) {
      await deps.network.detachPort(instance.uuid, made.id).catch(() => undefined);
      await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Failed to attach network adapter device to ${instance.uuid}`, host: deps.host });
      throw err;
    }
    const vifs = await networkInfo(deps, instance.uuid);
    await deps.store.saveInstance(instance.uuid, { network_info: JSON.stringify([...vifs, { ...made, tag: req.tag }]) });
    return made;
  }, { finishesAction: true });
  await deps.notifier.info(ctx, 'instance.interface_attach.end', instancePayload(instance, { port_id: vif.id }));
  return vif.id;
}

export async function detachInterface(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, portId: string): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid, port: portId });
  await deps.notifier.info(ctx, 'instance.interface_detach.start', instancePayload(instance));
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_detach_interface', deps.host, async () => {
      const vifs = await networkInfo(deps, instance.uuid);
      const vif = vifs.find((v) => v.id === portId) ?? { id: portId, address: '', network: { id: '', label: '', subnets: [] } };
      await deps.driver.detachInterface(driverInstanceFor(deps, instance), vif);
      await unwirePorts(deps, [portId]);
      await deps.network.detachPort(instance.uuid, portId);
      await deps.store.saveInstance(instance.uuid, { network_info: JSON.stringify(vifs.filter((v) => v.id !== portId)) });
    }, { finishesAction: true });
    await deps.notifier.info(ctx, 'instance.interface_detach.end', instancePayload(instance, { port_id: portId }));
  } catch (err) {
    log.warn({ err }, 'interface detach failed');
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Failed to detach network adapter device from ${instance.uuid}`, host: deps.host });
  }
}
