import type { RetryPolicy } from '../../../src/jobs/retry-policy.ts';

/** Short leases so a killed worker's runs are picked up again within seconds. */
export const CRASH_TEST_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 60,
  leaseSeconds: 2,
  baseDelaySeconds: 1,
  maxDelaySeconds: 1,
};
