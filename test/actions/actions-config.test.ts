import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('actions configuration', () => {
  it('reads the endpoints file, actions folder, post channels and SLUICE_SECRET_ variables', () => {
    const config = loadConfig(
      {
        SLUICE_ENDPOINTS_FILE: 'examples/endpoints.yaml',
        SLUICE_ACTIONS_DIR: './actions',
        SLUICE_POST_CHANNELS: ' C0123ABCD, G0456EFGH ',
        SLUICE_SECRET_DEPLOY_TOKEN: 'tok',
        SLUICE_SECRET_EMPTY: '',
        DEPLOY_TOKEN: 'not picked up',
      },
      '/srv/sluice',
    );
    assert.deepEqual(config.actions, {
      endpointsFile: path.resolve('/srv/sluice', 'examples/endpoints.yaml'),
      customDir: path.resolve('/srv/sluice', 'actions'),
      postChannels: ['C0123ABCD', 'G0456EFGH'],
      secrets: { SLUICE_SECRET_DEPLOY_TOKEN: 'tok' },
    });
  });

  it('defaults to no endpoints, no custom actions and no channels', () => {
    assert.deepEqual(loadConfig({}, '/srv').actions, {
      endpointsFile: undefined,
      customDir: undefined,
      postChannels: [],
      secrets: {},
    });
  });

  it('names channel names given where ids are needed', () => {
    assert.throws(
      () => loadConfig({ SLUICE_POST_CHANNELS: 'C0123ABCD,#ops' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /SLUICE_POST_CHANNELS: must be comma-separated channel ids .*not #ops/.test(e.message),
    );
  });
});
