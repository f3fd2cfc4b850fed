export { computePolicyDefaults, computeBaseRules, computeApiRules } from './compute.js';
export { identityPolicyDefaults } from './identity.js';
