/**
 * /servers/{id}/os-interface: a server's ports (list, show), hot-plugging
 * one (attach: a new port on a network, optionally with a fixed IP, or the
 * user's port) and unplugging it (detach).
 */
import type { FastifyInstance } from 'fastify';
import { validate } from '../../http/validation.js';
import type { AttachOptions } from '../interfaces-api.js';
import type { ComputeApiDeps } from './deps.js';
import { attachInterfaceSchema, attachInterfaceV249Schema } from './schemas/interfaces.js';
import { interfaceAttachmentView } from './views/interfaces.js';

type Params = { id: string; portId: string };

export function registerInterfaceRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const api = deps.computeApi.interfaces;

  app.get<{ Params: { id: string } }>('/servers/:id/os-interface', async (request) => {
    const showTag = request.apiVersion.atLeast('2.70');
    return { interfaceAttachments: (await api.list(request.auth, request.params.id)).map((a) => interfaceAttachmentView(a, showTag)) };
  });

  app.get<{ Params: Params }>('/servers/:id/os-interface/:portId', async (request) => {
    const a = await api.show(request.auth, request.params.id, request.params.portId);
    return { interfaceAttachment: interfaceAttachmentView(a, request.apiVersion.atLeast('2.70')) };
  });

  app.post<{ Params: { id: string } }>('/servers/:id/os-interface', async (request) => {
    const v = request.apiVersion;
    const body = request.body ?? {};
    validate(v.atLeast('2.49') ? attachInterfaceV249Schema : attachInterfaceSchema, body);
    const r = ((body as { interfaceAttachment?: Record<string, any> }).interfaceAttachment ?? {});
    const opts: AttachOptions = { netId: r.net_id, portId: r.port_id, fixedIp: r.fixed_ips?.[0]?.ip_address, tag: r.tag };
    const a = await api.attach(request.auth, String(request.id), request.params.id, opts);
    // Nova answers 200 with the attached port.
    return { interfaceAttachment: interfaceAttachmentView(a, v.atLeast('2.70')) };
  });

  app.delete<{ Params: Params }>('/servers/:id/os-interface/:portId', async (request, reply) => {
    await api.detach(request.auth, String(request.id), request.params.id, request.params.portId);
    return reply.code(202).send();
  });
}
