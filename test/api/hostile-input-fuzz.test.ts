/** The generated hostile-input suite (test/helpers/fuzz/suite.ts) against an all-in-one on SQLite. */
import { hostileInputSuite } from '../helpers/fuzz/suite.js';

hostileInputSuite('sqlite');
