import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { validateSchema } from '../src/model/schema.js';
import { parseJsonSource, parseYamlSource } from '../src/model/source.js';

function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('JSON with positions', () => {
  const text =
    '{\n  "name": "orders",\n  "modules": {\n    "a": { "version": "1.0.0" },\n    "b/c": [1, 2]\n  }\n}\n';

  it('maps a JSON pointer back to the line and column of the value or the key', () => {
    const doc = parseJsonSource('x.json', text);
    expect(doc.locate('/name')).toEqual({ line: 2, column: 11 });
    expect(doc.locate('/name', 'key')).toEqual({ line: 2, column: 3 });
    expect(doc.locate('/modules/a/version')).toEqual({ line: 4, column: 23 });
    expect(doc.locate('/modules/b~1c/1')).toEqual({ line: 5, column: 16 });
    // A pointer below a missing key lands on the nearest existing ancestor.
    expect(doc.locate('/modules/a/missing/deeper')).toEqual({ line: 4, column: 10 });
  });

  it('reports syntax errors at their line and column, all of them', () => {
    const e = thrown(() => parseJsonSource('bad.json', '{\n  "a": 1,\n  "b": 2,\n}\n'));
    expect(e.exitCode).toBe(2);
    expect(e.details).toHaveLength(1);
    expect(e.details[0]).toMatchObject({
      file: 'bad.json',
      line: 3,
      column: 9,
      rule: 'json/syntax',
      message: 'invalid JSON: trailing comma',
    });
    const e2 = thrown(() => parseJsonSource('bad.json', '{"a": tru}'));
    expect(e2.details[0]).toMatchObject({ line: 1, column: 7 });
    const empty = thrown(() => parseJsonSource('empty.json', ''));
    expect(empty.message).toBe('the file is empty');
    const deep = thrown(() => parseJsonSource('deep.json', `{"a": ${'['.repeat(300)}${']'.repeat(300)}}`));
    expect(deep.details[0]).toMatchObject({ rule: 'json/too-deep', line: 1, column: 206 });
  });

  it('refuses duplicate keys, naming both lines', () => {
    const e = thrown(() => parseJsonSource('dup.json', '{\n  "a": 1,\n  "a": 2\n}'));
    expect(e.details[0]).toMatchObject({ rule: 'json/duplicate-key', line: 3, column: 3 });
    expect(e.message).toContain('first defined at line 2');
  });

  it('accepts a byte-order mark', () => {
    expect(parseJsonSource('bom.json', '\uFEFF{"a": 1}').value).toEqual({ a: 1 });
  });
});

describe('YAML with positions', () => {
  const text = 'apiVersion: ringlock/v1\nrings:\n  - name: canary\n  - name: Edge\n    minSoak: 1y\n';

  it('maps pointers into maps and sequences', () => {
    const doc = parseYamlSource('r.yaml', text);
    expect(doc.locate('/rings/1/name')).toEqual({ line: 4, column: 11 });
    expect(doc.locate('/rings/1/minSoak', 'key')).toEqual({ line: 5, column: 5 });
  });

  it('reports syntax errors and duplicate keys with positions', () => {
    const e = thrown(() => parseYamlSource('bad.yaml', 'a: 1\nb: [1, 2\nc: 3\n'));
    expect(e.details).toHaveLength(1);
    expect(e.details[0]).toMatchObject({ rule: 'yaml/syntax', line: 3, column: 1 });
    const d = thrown(() => parseYamlSource('dup.yaml', 'a: 1\nb: 2\na: 3\n'));
    expect(d.details[0]).toMatchObject({ rule: 'yaml/duplicate-key', line: 3, column: 1 });
  });

  it('turns schema errors into diagnostics at the offending value, with what was expected', () => {
    const doc = parseYamlSource('ringlock.yaml', text);
    const diags = validateSchema('config', doc);
    const name = diags.find((d) => d.pointer === '/rings/1/name')!;
    expect(name).toMatchObject({ file: 'ringlock.yaml', line: 4, column: 11, rule: 'schema/pattern' });
    expect(name.expected).toContain('ring name');
    const soak = diags.find((d) => d.pointer === '/rings/1/minSoak')!;
    expect(soak).toMatchObject({ line: 5, column: 14 });
    expect(soak.expected).toContain('duration');
    const missing = diags.find((d) => d.rule === 'schema/required')!;
    expect(missing.message).toContain('"platform"');
  });

  it('points unknown properties at the key and lists what is allowed', () => {
    const doc = parseJsonSource(
      'module.json',
      '{\n  "name": "a",\n  "version": "1.0.0",\n  "lifecycle": {\n    "onFoo": "x"\n  }\n}\n',
    );
    const [d] = validateSchema('module', doc);
    expect(d).toMatchObject({ line: 5, column: 5, rule: 'schema/additionalProperties' });
    expect(d!.expected).toContain('onInstall');
  });
});
