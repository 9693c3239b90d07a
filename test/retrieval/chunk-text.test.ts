import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkText } from '../../retrieval/ingest/chunk-text.ts';

const runbook = [
  '# Runbook',
  '',
  'Intro paragraph. It explains the runbook.',
  '',
  '## Rotate the staging password',
  '',
  'Step one: open the vault and find the staging entry.',
  '',
  'Step two: generate a new password. Step three: store it. Step four: restart the app.',
  '',
  '```bash',
  '# not a heading, a comment in a code block',
  'vault write secret/staging password=...',
  '',
  'echo done',
  '```',
  '',
  '## Empty section',
  '### Child',
  '',
  'Child text lives here.',
].join('\n');

describe('chunkText', () => {
  it('never crosses a heading and records the heading path', () => {
    const chunks = chunkText(runbook, { maxChars: 2000, overlapChars: 0, markdown: true });
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [['Runbook'], ['Runbook', 'Rotate the staging password'], ['Runbook', 'Empty section', 'Child']],
    );
    assert.ok(chunks[1]!.content.startsWith('## Rotate the staging password'));
    assert.ok(
      chunks[1]!.content.includes('# not a heading'),
      'a # line inside a code fence is not a heading',
    );
    assert.ok(chunks[1]!.content.endsWith('```'), 'the code block stays whole, blank line and all');
  });

  it('gives offsets and line numbers that point back into the text exactly', () => {
    for (const maxChars of [80, 150, 2000]) {
      for (const c of chunkText(runbook, { maxChars, overlapChars: 30, markdown: true })) {
        assert.equal(runbook.slice(c.startOffset, c.endOffset), c.content);
        assert.equal(runbook.slice(0, c.startOffset).split('\n').length, c.startLine);
        assert.ok(
          c.content.length <= maxChars || !/\s/.test(c.content),
          `chunk of ${c.content.length} > ${maxChars}`,
        );
      }
    }
  });

  it('ends chunks on paragraph boundaries when paragraphs fit', () => {
    const text = [
      'First paragraph here.',
      'Second paragraph, a bit longer than the first.',
      'Third one.',
    ].join('\n\n');
    const chunks = chunkText(text, { maxChars: 50, overlapChars: 0, markdown: false });
    assert.deepEqual(
      chunks.map((c) => c.content),
      ['First paragraph here.', 'Second paragraph, a bit longer than the first.', 'Third one.'],
    );
  });

  it('overlaps consecutive chunks of a section, starting the overlap at a sentence', () => {
    const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} says something.`);
    const text = `# Long\n\n${sentences.join(' ')}`;
    const chunks = chunkText(text, { maxChars: 300, overlapChars: 100, markdown: true });
    assert.ok(chunks.length >= 4);
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]!;
      const current = chunks[i]!;
      assert.ok(current.startOffset < previous.endOffset, `chunk ${i} overlaps the previous one`);
      assert.ok(
        previous.endOffset - current.startOffset <= 100,
        `overlap of chunk ${i} is at most 100 characters`,
      );
      assert.match(current.content, /^Sentence number \d+/, `chunk ${i} starts at a sentence`);
    }
    assert.ok(
      chunks[0]!.content.startsWith('# Long\n\nSentence number 0'),
      'the heading stays with its first paragraph',
    );
  });

  it('splits a word longer than the limit rather than looping', () => {
    const text = 'x'.repeat(1000);
    const chunks = chunkText(text, { maxChars: 300, overlapChars: 50, markdown: false });
    assert.equal(chunks.map((c) => c.content).join(''), text);
  });
});
