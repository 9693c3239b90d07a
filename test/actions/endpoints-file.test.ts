import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { checkEndpointsFile, parseEndpointsFile } from '../../src/actions/endpoints-file.ts';
import { renderUrlTemplate, templateProblem } from '../../src/actions/url-template.ts';
import { ConfigFileError, formatProblem } from '../../src/policy/source-problems.ts';

const secrets = { SLUICE_SECRET_DEPLOY_TOKEN: 'tok-abcdefgh' };

function problems(text: string, env: Record<string, string> = secrets): string[] {
  const checked = checkEndpointsFile(text, 'endpoints.yaml', env);
  assert.equal(checked.ok, false, 'expected the endpoints file to be rejected');
  return checked.ok ? [] : checked.problems.map(formatProblem);
}

const endpoint = (fields: string) => `version: 1
endpoints:
  - name: e1
    description: Something useful.
${fields}`;

const okFields = `    method: POST
    url: https://deploy.internal/services/{service}
    params:
      type: object
      properties:
        service: { type: string }
      required: [service]
`;

describe('endpoints file', () => {
  it('loads the example file with its secret filled in, and keeps secrets out of JSON', () => {
    const endpoints = parseEndpointsFile(
      fs.readFileSync('examples/endpoints.yaml', 'utf8'),
      'examples/endpoints.yaml',
      secrets,
    );
    const restart = endpoints.find((e) => e.name === 'restart-service');
    assert.ok(restart);
    assert.equal(restart.method, 'POST');
    assert.equal(restart.body, 'json');
    assert.equal(restart.timeoutMs, 10_000);
    assert.equal(restart.risk, 'medium');
    assert.equal(restart.headers().Authorization, 'Bearer tok-abcdefgh');
    assert.ok(!JSON.stringify(endpoints).includes('tok-abcdefgh'));
    assert.equal(endpoints.find((e) => e.name === 'delete-cache-entries')?.body, 'none');
  });

  it('validates params with the JSON Schema, refusing unknown properties by default', () => {
    const [e] = parseEndpointsFile(endpoint(okFields), 'endpoints.yaml', secrets);
    assert.equal(e?.paramsSchema.safeParse({ service: 'api' }).success, true);
    assert.equal(e?.paramsSchema.safeParse({ service: 'api', host: 'evil' }).success, false);
    assert.equal(e?.paramsSchema.safeParse({}).success, false);
  });

  it('names a missing secret variable with file, line and endpoint', () => {
    const p = problems(
      endpoint(`${okFields}    headers:\n      Authorization: { secret: SLUICE_SECRET_MISSING }\n`),
    );
    assert.deepEqual(p, [
      'endpoints.yaml:13:7: endpoint "e1": environment variable SLUICE_SECRET_MISSING is not set',
    ]);
  });

  it('only reads secrets from SLUICE_SECRET_ variables', () => {
    const p = problems(
      endpoint(`${okFields}    headers:\n      Authorization: { secret: SLACK_BOT_TOKEN }\n`),
    );
    assert.match(
      p[0]!,
      /endpoint "e1": headers.Authorization.secret: secret must name an environment variable starting with SLUICE_SECRET_/,
    );
  });

  it('refuses literal credentials and a hand-set Idempotency-Key', () => {
    assert.match(
      problems(endpoint(`${okFields}    headers:\n      Authorization: Bearer abc\n`))[0]!,
      /put credentials in an environment variable/,
    );
    assert.match(
      problems(endpoint(`${okFields}    headers:\n      Idempotency-Key: x\n`))[0]!,
      /Idempotency-Key is set by Sluice/,
    );
  });

  it('refuses placeholders in the host and URLs that are not http(s)', () => {
    assert.match(
      problems(
        endpoint(
          okFields.replace('https://deploy.internal/services/{service}', 'https://{service}.internal/x'),
        ),
      )[0]!,
      /endpoints.yaml:6:5: endpoint "e1": url must start with http:\/\/ or https:\/\/ and a host/,
    );
    assert.match(
      problems(endpoint(okFields.replace('https://deploy.internal', 'ftp://deploy.internal')))[0]!,
      /url must start with http/,
    );
  });

  it('requires every URL placeholder to be a required property', () => {
    assert.match(
      problems(endpoint(okFields.replace('{service}', '{service}/{other}')))[0]!,
      /url placeholder \{other\} is not a property in params/,
    );
    assert.match(
      problems(endpoint(okFields.replace('      required: [service]\n', '')))[0]!,
      /url placeholder \{service\} must be listed in required/,
    );
  });

  it('refuses params that are not an object schema, or use $ref', () => {
    assert.match(
      problems(endpoint(okFields.replace('type: object', 'type: string')))[0]!,
      /params must be a JSON Schema with type: object/,
    );
    assert.match(
      problems(endpoint(okFields.replace('service: { type: string }', 'service: { $ref: "#/x" }')))[0]!,
      /\$ref is not supported/,
    );
  });

  it('refuses a GET with a body, a bad method, a bad timeout and duplicate names', () => {
    assert.match(
      problems(endpoint(okFields.replace('POST', 'GET') + '    body: json\n'))[0]!,
      /a GET request cannot have a body/,
    );
    assert.match(
      problems(endpoint(okFields.replace('POST', 'FETCH')))[0]!,
      /method must be one of GET, POST/,
    );
    assert.match(
      problems(endpoint(`${okFields}    timeout: 10m\n`))[0]!,
      /timeout must be a duration from 1s to 2m/,
    );
    const twice = `${endpoint(okFields)}  - name: e1\n    description: Again.\n${okFields}`;
    assert.match(problems(twice)[0]!, /endpoints.yaml:12:5: endpoint "e1": duplicate endpoint name "e1"/);
  });

  it('suggests the right key for a misspelt one', () => {
    assert.match(
      problems(endpoint(`${okFields}    timout: 5s\n`))[0]!,
      /unknown key "timout" \(did you mean "timeout"\?\)/,
    );
  });

  it('throws a ConfigFileError from parseEndpointsFile', () => {
    assert.throws(() => parseEndpointsFile('version: 2\nendpoints: []\n', 'e.yaml', {}), ConfigFileError);
  });
});

describe('URL templates', () => {
  it('encodes each value as one component and refuses dot segments', () => {
    assert.equal(
      renderUrlTemplate('https://h.internal/a/{x}?q={y}', { x: 'a/b c', y: 'k=v&z' }),
      'https://h.internal/a/a%2Fb%20c?q=k%3Dv%26z',
    );
    assert.throws(
      () => renderUrlTemplate('https://h.internal/a/{x}/b', { x: '..' }),
      /may not be empty, "." or ".."/,
    );
    assert.throws(() => renderUrlTemplate('https://h.internal/a/{x}', { x: '' }), /may not be empty/);
    assert.throws(
      () => renderUrlTemplate('https://h.internal/a/{x}', { x: { y: 1 } }),
      /must be text, a number or true\/false/,
    );
  });

  it('never lets a value change the origin', () => {
    assert.equal(
      renderUrlTemplate('https://h.internal/{x}', { x: '@evil.com' }),
      'https://h.internal/%40evil.com',
    );
    assert.equal(
      renderUrlTemplate('https://h.internal/{x}', { x: '//evil.com' }),
      'https://h.internal/%2F%2Fevil.com',
    );
  });

  it('explains bad templates', () => {
    assert.equal(templateProblem('https://h.internal/{x}'), undefined);
    assert.match(templateProblem('https://h{x}.internal/') ?? '', /may not be part of the host/);
    assert.match(templateProblem('https://h.internal:{port}/') ?? '', /host/);
    assert.match(templateProblem('https://h.internal/{x') ?? '', /not a \{name\} placeholder/);
  });
});
