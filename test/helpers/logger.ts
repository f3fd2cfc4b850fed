import pino from 'pino';
/** Quiet unless KILONOVA_TEST_LOG=debug|info. */
export const testLogger = pino({ level: process.env.KILONOVA_TEST_LOG ?? 'silent' });
