/** /resource_classes (1.2) and /traits (1.6): the catalog of names. */
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../errors.js';
import { allow, atLeast, noContent, since, type PlacementRouteDeps } from './common.js';
import { placement as words, placementQuery, validate } from '../../http/validation.js';
import { checkCustomResourceClass, checkCustomTrait, resourceClassBody, traitListQuery } from './schemas/catalog.js';
import { single, traitNameFilter, type Query } from './schemas/queries.js';

export function registerCatalogRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  const { placement, base } = deps;
  const rcView = (name: string) => ({ name, links: [{ rel: 'self', href: `${base}/resource_classes/${name}` }] });
  type P = { Params: { name: string } };

  app.get('/resource_classes', async (req) => {
    since(req, '1.2');
    allow(deps, req, 'placement:resource_classes:list');
    return { resource_classes: (await placement.listResourceClasses()).map(rcView) };
  });

  app.post('/resource_classes', async (req, reply) => {
    since(req, '1.2');
    allow(deps, req, 'placement:resource_classes:create');
    validate(resourceClassBody, req.body, words);
    const { name } = req.body as { name: string };
    await placement.createResourceClass(name);
    return reply.code(201).header('location', `${base}/resource_classes/${name}`).send();
  });

  app.get<P>('/resource_classes/:name', async (req) => {
    since(req, '1.2');
    allow(deps, req, 'placement:resource_classes:show');
    if (!(await placement.resourceClassExists(req.params.name))) throw new NotFound(`No such resource class ${req.params.name}.`);
    return rcView(req.params.name);
  });

  app.put<P>('/resource_classes/:name', async (req, reply) => {
    since(req, '1.2');
    allow(deps, req, 'placement:resource_classes:update');
    const name = req.params.name;
    if (!atLeast(req, '1.7')) {
      // 1.2–1.6: PUT renames a custom class.
      validate(resourceClassBody, req.body, words);
      const to = (req.body as { name: string }).name;
      await placement.renameResourceClass(name, to);
      return rcView(to);
    }
    checkCustomResourceClass(name);
    const created = await placement.ensureResourceClass(name);
    reply.header('location', `${base}/resource_classes/${name}`);
    return created ? reply.code(201).send() : noContent(reply);
  });

  app.delete<P>('/resource_classes/:name', async (req, reply) => {
    since(req, '1.2');
    allow(deps, req, 'placement:resource_classes:delete');
    await placement.deleteResourceClass(req.params.name);
    return noContent(reply);
  });

  app.get('/traits', async (req) => {
    since(req, '1.6');
    allow(deps, req, 'placement:traits:list');
    const q = req.query as Query;
    validate(traitListQuery, q, placementQuery);
    const filters: { names?: string[]; prefix?: string; associated?: boolean } = traitNameFilter(q);
    const associated = single(q, 'associated');
    if (associated !== undefined) filters.associated = associated === 'true';
    return { traits: await placement.listTraits(filters) };
  });

  app.get<P>('/traits/:name', async (req, reply) => {
    since(req, '1.6');
    allow(deps, req, 'placement:traits:show');
    if (!(await placement.traitExists(req.params.name))) throw new NotFound(`No such trait(s): ${req.params.name}.`);
    return noContent(reply);
  });

  app.put<P>('/traits/:name', async (req, reply) => {
    since(req, '1.6');
    allow(deps, req, 'placement:traits:update');
    const name = req.params.name;
    checkCustomTrait(name);
    const created = await placement.ensureTrait(name);
    reply.header('location', `${base}/traits/${name}`);
    return created ? reply.code(201).send() : noContent(reply);
  });

  app.delete<P>('/traits/:name', async (req, reply) => {
    since(req, '1.6');
    allow(deps, req, 'placement:traits:delete');
    await placement.deleteTrait(req.params.name);
    return noContent(reply);
  });
}
