/**
 * Versioned objects: every registered type survives the wire (toPrimitive →
 * JSON → fromPrimitive) unchanged, and a receiver refuses what it cannot read:
 * missing or wrong-typed fields, a newer minor or another major version, or
 * a different object.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FlavorObject, ImageMetaObject, IncompatibleObjectVersion, InstanceObject, NetworkRequestListObject, ObjectFieldError, RequestSpecObject,
  fromPrimitive, registeredObjects, toPrimitive,
  type Flavor, type FieldSpec, type NetworkRequest, type ObjectDef, type Primitive,
} from '../../src/objects/index.js';
import { SAMPLES, flavor, image, instance, networkRequest, networkRequestList, requestSpec } from './samples.js';

/** Through the wire: only JSON crosses the bus. */
function wire<T>(def: ObjectDef<T>, value: T): T {
  return fromPrimitive(def, JSON.parse(JSON.stringify(toPrimitive(def, value))));
}

function primitiveOf(def: ObjectDef<any>, value: unknown): Primitive {
  return JSON.parse(JSON.stringify(toPrimitive(def, value)));
}

function withVersion(p: Primitive, version: unknown): unknown {
  return { ...p, 'kilonova_object.version': version };
}

function withData(p: Primitive, change: (data: Record<string, unknown>) => void): Primitive {
  const data = structuredClone(p['kilonova_object.data']);
  change(data);
  return { ...p, 'kilonova_object.data': data };
}

/** A value of the wrong kind for a field. */
function wrongValue(spec: FieldSpec): unknown {
  if (spec.list) return 'not a list';
  switch (spec.kind) {
    case 'string': return 42;
    case 'int': return 1.5;
    case 'float': return '1.0';
    case 'bool': return 1;
    case 'dict': return ['not', 'a', 'dict'];
    case 'list': return { not: 'a list' };
    case 'any': return undefined;
    default: return 'not an object';
  }
}

function fieldsOf(def: ObjectDef<any>): Array<[string, FieldSpec]> {
  return Object.entries(def.fields) as Array<[string, FieldSpec]>;
}

function bumpMinor(version: string, by: number): string {
  const [major, minor] = version.split('.').map(Number);
  return `${major}.${minor + by}`;
}

describe('versioned objects', () => {
  test('every registered type has a sample here', () => {
    assert.deepEqual([...registeredObjects().keys()].sort(), Object.keys(SAMPLES).sort());
    for (const [name, { def }] of Object.entries(SAMPLES)) {
      assert.equal(registeredObjects().get(name), def);
      assert.match(def.version, /^\d+\.\d+$/);
    }
  });

  for (const [name, { def, value }] of Object.entries(SAMPLES)) {
    describe(name, () => {
      test('round-trips through JSON unchanged', () => {
        const back = wire(def, value);
        assert.deepEqual(back, value);
        assert.notEqual(back, value);
      });

      test('the primitive names the object and its version', () => {
        const p = toPrimitive(def, value);
        assert.equal(p['kilonova_object.name'], name);
        assert.equal(p['kilonova_object.version'], def.version);
        assert.deepEqual(Object.keys(p['kilonova_object.data']).sort(), Object.keys(def.fields).sort());
      });

      test('a missing required field is refused on both sides', () => {
        for (const [key, spec] of fieldsOf(def)) {
          if (spec.optional) continue;
          const partial = { ...value };
          delete partial[key];
          assert.throws(() => toPrimitive(def, partial), (e: unknown) => e instanceof ObjectFieldError && e.message.includes(key), `encode without ${key}`);
          const p = withData(primitiveOf(def, value), (d) => delete d[key]);
          assert.throws(() => fromPrimitive(def, p), (e: unknown) => e instanceof ObjectFieldError && e.message.includes(key), `decode without ${key}`);
        }
      });

      test('a wrong-typed field is refused on both sides', () => {
        for (const [key, spec] of fieldsOf(def)) {
          const bad = wrongValue(spec);
          if (bad === undefined) continue;
          assert.throws(() => toPrimitive(def, { ...value, [key]: bad }), ObjectFieldError, `encode ${key}=${JSON.stringify(bad)}`);
          const p = withData(primitiveOf(def, value), (d) => { d[key] = bad; });
          assert.throws(() => fromPrimitive(def, p), ObjectFieldError, `decode ${key}=${JSON.stringify(bad)}`);
        }
      });

      test('null is accepted exactly where the field is nullable', () => {
        for (const [key, spec] of fieldsOf(def)) {
          const nulled = { ...value, [key]: null };
          if (spec.nullable) {
            assert.deepEqual(wire(def, nulled), nulled, `${key} is nullable`);
          } else {
            assert.throws(() => toPrimitive(def, nulled), ObjectFieldError, `encode ${key}=null`);
            const p = withData(primitiveOf(def, value), (d) => { d[key] = null; });
            assert.throws(() => fromPrimitive(def, p), ObjectFieldError, `decode ${key}=null`);
          }
        }
      });

      test('a newer minor version is refused; another major is refused', () => {
        const p = primitiveOf(def, value);
        const [major] = def.version.split('.').map(Number);
        assert.throws(() => fromPrimitive(def, withVersion(p, bumpMinor(def.version, 1))), IncompatibleObjectVersion);
        assert.throws(() => fromPrimitive(def, withVersion(p, `${major + 1}.0`)), IncompatibleObjectVersion);
        assert.throws(() => fromPrimitive(def, withVersion(p, `${major + 1}.${def.version.split('.')[1]}`)), IncompatibleObjectVersion);
        if (major > 0) assert.throws(() => fromPrimitive(def, withVersion(p, `${major - 1}.0`)), IncompatibleObjectVersion);
      });

      test('the same version and every older minor are accepted', () => {
        const p = primitiveOf(def, value);
        const minor = Number(def.version.split('.')[1]);
        for (let m = minor; m >= 0; m--) {
          assert.deepEqual(fromPrimitive(def, withVersion(p, bumpMinor(def.version, m - minor))), value, `version minor ${m}`);
        }
      });

      test('a primitive of another object is refused', () => {
        const other = Object.values(SAMPLES).find((s) => s.def !== def)!;
        assert.throws(() => fromPrimitive(def, primitiveOf(other.def, other.value)), (e: unknown) =>
          e instanceof ObjectFieldError && e.message.includes(name) && e.message.includes(other.def.name));
        const p = primitiveOf(def, value);
        assert.throws(() => fromPrimitive(def, { ...p, 'kilonova_object.name': `${name}X` }), ObjectFieldError);
      });
    });
  }

  describe('malformed primitives are refused with ObjectFieldError, never a TypeError', () => {
    const good = primitiveOf(FlavorObject, flavor);
    const cases: Array<[string, unknown]> = [
      ['null', null],
      ['a string', 'Flavor'],
      ['an array', [good]],
      ['a plain object', { ...flavor }],
      ['no version', { 'kilonova_object.name': 'Flavor', 'kilonova_object.data': good['kilonova_object.data'] }],
      ['a numeric version', withVersion(good, 1.2)],
      ['a version that is not major.minor', withVersion(good, 'one.two')],
      ['the same bad version again', withVersion(good, 'one.two')],
      ['three parts', withVersion(good, `${FlavorObject.version}.1`)],
      ['no data', { 'kilonova_object.name': 'Flavor', 'kilonova_object.version': FlavorObject.version }],
      ['data that is a string', { ...good, 'kilonova_object.data': 'x' }],
      ['data that is a list', { ...good, 'kilonova_object.data': [] }],
    ];
    for (const [what, prim] of cases) {
      test(what, () => {
        assert.throws(() => fromPrimitive(FlavorObject, prim), ObjectFieldError);
      });
    }

    test('encoding something that is not an object', () => {
      assert.throws(() => toPrimitive(FlavorObject, null as unknown as Flavor), ObjectFieldError);
      assert.throws(() => toPrimitive(FlavorObject, 'm1.small' as unknown as Flavor), ObjectFieldError);
    });
  });

  describe('field kinds', () => {
    test('int refuses fractions and numeric strings; float refuses NaN and Infinity (JSON would turn them into null)', () => {
      assert.throws(() => toPrimitive(FlavorObject, { ...flavor, vcpus: 2.5 }), ObjectFieldError);
      assert.throws(() => toPrimitive(FlavorObject, { ...flavor, vcpus: '2' as unknown as number }), ObjectFieldError);
      assert.throws(() => toPrimitive(FlavorObject, { ...flavor, rxtx_factor: Number.NaN }), ObjectFieldError);
      assert.throws(() => toPrimitive(FlavorObject, { ...flavor, rxtx_factor: Infinity }), ObjectFieldError);
      assert.equal(wire(FlavorObject, { ...flavor, rxtx_factor: 2 }).rxtx_factor, 2);
    });

    test('a list of strings refuses a non-string element', () => {
      assert.throws(() => toPrimitive(RequestSpecObject, { ...requestSpec, ignore_hosts: ['ok', 7 as unknown as string] }), ObjectFieldError);
    });

    test('empty lists and dicts survive', () => {
      const v = { ...requestSpec, scheduler_hints: {}, ignore_hosts: [] };
      assert.deepEqual(wire(RequestSpecObject, v), v);
      assert.deepEqual(wire(NetworkRequestListObject, { mode: 'none', objects: [] }), { mode: 'none', objects: [] });
    });
  });

  describe('nested objects', () => {
    test('a nested object is itself a named, versioned primitive', () => {
      const p = toPrimitive(RequestSpecObject, requestSpec);
      const nestedFlavor = p['kilonova_object.data'].flavor as Primitive;
      assert.equal(nestedFlavor['kilonova_object.name'], 'Flavor');
      assert.equal(nestedFlavor['kilonova_object.version'], FlavorObject.version);
      const nestedImage = p['kilonova_object.data'].image as Primitive;
      assert.equal(nestedImage['kilonova_object.name'], 'ImageMeta');
    });

    test('a list of objects is a list of primitives', () => {
      const p = toPrimitive(NetworkRequestListObject, networkRequestList);
      const objects = p['kilonova_object.data'].objects as Primitive[];
      assert.equal(objects.length, 2);
      for (const o of objects) assert.equal(o['kilonova_object.name'], 'NetworkRequest');
      assert.deepEqual(wire(NetworkRequestListObject, networkRequestList).objects[1], networkRequestList.objects[1]);
    });

    test('a bad field inside a nested object is refused', () => {
      assert.throws(() => toPrimitive(RequestSpecObject, { ...requestSpec, flavor: { ...flavor, vcpus: 'one' as unknown as number } }), ObjectFieldError);
      const p = primitiveOf(InstanceObject, instance);
      const bad = withData(p, (d) => { delete (d.flavor as Primitive)['kilonova_object.data'].memory_mb; });
      assert.throws(() => fromPrimitive(InstanceObject, bad), (e: unknown) => e instanceof ObjectFieldError && e.message.includes('memory_mb'));
    });

    test('a nested object of a newer version, or of the wrong type, is refused', () => {
      const p = primitiveOf(RequestSpecObject, requestSpec);
      const newer = withData(p, (d) => { (d.flavor as Primitive)['kilonova_object.version'] = bumpMinor(FlavorObject.version, 1); });
      assert.throws(() => fromPrimitive(RequestSpecObject, newer), IncompatibleObjectVersion);
      const swapped = withData(p, (d) => { d.flavor = primitiveOf(ImageMetaObject, image); });
      assert.throws(() => fromPrimitive(RequestSpecObject, swapped), ObjectFieldError);
      const raw = withData(p, (d) => { d.flavor = { ...flavor }; });
      assert.throws(() => fromPrimitive(RequestSpecObject, raw), ObjectFieldError);
    });

    test('a list element of the wrong kind is refused', () => {
      assert.throws(() => toPrimitive(NetworkRequestListObject, { mode: 'explicit', objects: [networkRequest, null as unknown as NetworkRequest] }), ObjectFieldError);
      const p = primitiveOf(NetworkRequestListObject, networkRequestList);
      const bad = withData(p, (d) => { (d.objects as unknown[]).push('x'); });
      assert.throws(() => fromPrimitive(NetworkRequestListObject, bad), ObjectFieldError);
    });
  });

  describe('optional fields (an unregistered definition)', () => {
    interface Probe { id: string; note?: string; ratio?: number | null }
    const ProbeObject: ObjectDef<Probe> = {
      name: 'Probe', version: '1.3',
      fields: { id: { kind: 'string' }, note: { kind: 'string', optional: true }, ratio: { kind: 'float', optional: true, nullable: true } },
    };

    test('an absent optional field is left out of the primitive and of the result', () => {
      const p = toPrimitive(ProbeObject, { id: 'x' });
      assert.deepEqual(p['kilonova_object.data'], { id: 'x' });
      const back = wire(ProbeObject, { id: 'x' });
      assert.deepEqual(back, { id: 'x' });
      assert.equal(Object.hasOwn(back, 'note'), false);
    });

    test('a present optional field is kept and still type-checked', () => {
      assert.deepEqual(wire(ProbeObject, { id: 'x', note: 'hi', ratio: null }), { id: 'x', note: 'hi', ratio: null });
      assert.throws(() => toPrimitive(ProbeObject, { id: 'x', note: 5 as unknown as string }), ObjectFieldError);
    });

    test('an older sender without a field added later as optional is understood', () => {
      const older = { 'kilonova_object.name': 'Probe', 'kilonova_object.version': '1.0', 'kilonova_object.data': { id: 'y' } };
      assert.deepEqual(fromPrimitive(ProbeObject, older), { id: 'y' });
    });

    test('a definition built by hand is not registered', () => {
      assert.equal(registeredObjects().has('Probe'), false);
    });
  });
});
