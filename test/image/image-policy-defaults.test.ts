import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { PolicyEnforcer } from '../../src/policy/enforcer.js';
import { defaultImagePolicy, IMAGE_POLICY_DEFAULTS } from '../../src/image/policy.js';
import { VISIBILITIES } from '../../src/image/model.js';

describe('image policy defaults', () => {
  // The API evaluates defaultImagePolicy; an operator's policy.yaml replaces the
  // oslo.policy strings. The two must grant the same things, or an override of
  // one rule would silently change others.
  test('the oslo.policy strings decide as the built-in policy does', () => {
    const engine = new PolicyEnforcer(IMAGE_POLICY_DEFAULTS);
    const projects = [TEST_AUTH.demo.projectId, TEST_AUTH.other.projectId];
    let reader = 0;
    for (const { name } of IMAGE_POLICY_DEFAULTS) {
      for (const auth of Object.values(TEST_AUTH)) {
        for (const visibility of VISIBILITIES) {
          for (const project of projects) {
            for (const owner of projects) {
              // member_id: none (own or unshared image), or the viewer's project on another's shared image.
              for (const member of [null, ...projects]) {
                const target = { project_id: project, owner, visibility, member_id: member };
                const built = defaultImagePolicy.allowed(name, target, auth);
                assert.equal(engine.allowed(name, target, auth), built, `${name} for ${auth.userName} on ${JSON.stringify(target)}`);
                if (auth === TEST_AUTH.reader && built) reader++;
              }
            }
          }
        }
      }
    }
    // A reader is granted something (get_image, get_images), so the comparison is not all-false.
    assert.ok(reader > 0);
  });
});
