import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { toolSpec } from '../../src/llm/tool-output.ts';

describe('toolSpec', () => {
  const schema = z.object({
    service: z.string().describe('The service to restart'),
    environment: z.enum(['staging', 'production']),
    reason: z.string().optional(),
  });

  it("gives the schema's draft-7 JSON Schema for its input, without $schema", () => {
    const spec = toolSpec('restart', 'Restart a service.', schema);
    const expected = z.toJSONSchema(schema, {
      target: 'draft-7',
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    delete expected.$schema;
    assert.deepEqual(spec, { name: 'restart', description: 'Restart a service.', inputSchema: expected });
    assert.deepEqual((spec.inputSchema.properties as Record<string, unknown>).environment, {
      type: 'string',
      enum: ['staging', 'production'],
    });
  });

  it('gives every call an object of its own, though the conversion is done once per schema', () => {
    const first = toolSpec('restart', 'Restart a service.', schema);
    (first.inputSchema.properties as Record<string, unknown>).injected = { type: 'string' };
    first.inputSchema.required = [];
    const second = toolSpec('restart_again', 'Again.', schema);
    assert.equal((second.inputSchema.properties as Record<string, unknown>).injected, undefined);
    assert.deepEqual(second.inputSchema.required, ['service', 'environment']);
    assert.equal(second.name, 'restart_again');
  });
});
