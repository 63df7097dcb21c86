// The redaction list cannot be forgotten: the compiler reads every payload type in shared/ and
// any field whose name looks secret must be on SECRET_FIELDS or, with its reason, on NOT_SECRET.
// A field added later fails here until someone decides which.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { defaultPayloadConverter, type Payload, type UpdateDefinition } from '@temporalio/common';
import ts from 'typescript';
import { createRedactingCodec } from '../../codec/redacting-codec';
import { EncryptionCodec } from '../../lib/payload-encryption';
import {
  REGISTER_FORM_COLUMNS,
  type confirmRequestUpdate,
  type RegisterFormColumn,
  type RegistrationRequestInput,
} from '../../shared/form-request-contract';
import { isSecretField, REDACTED, redactSecrets } from '../../shared/secret-fields';

const ROOT = join(__dirname, '..', '..');
const SHARED = join(ROOT, 'shared');
const LOOKS_SECRET = /pin|token|hash|password|pwd|key|secret/i;

/** Field names that look secret but are not: each with the reason. Exact names. */
const NOT_SECRET: Record<string, string> = {
  key: "a request row's key (e-mail and form timestamp) or a quota's name",
  keys: 'the request rows to stamp, or the quota names to read',
  key_pairs: "Nova's quota of SSH key pairs: a number",
  messageKey: 'seeds the Message-ID so a retried send is the same mail; made from workflow ids',
  sheetKey: "the access or quota row's key (e-mail and form timestamp)",
  pinRequest: "a form request's id: setpass holds the PIN's HMAC under it, the id opens nothing",
  passwordSetAt: 'when the password was set: a time',
  PASSWORD_RESET_FORM_URL: 'the public /reset page',
  TOKEN_EXPIRATION: 'how long a set-password link lives, in words',
  pinHeader: "a sheet column's header text (the PIN cell's), never a PIN",
};

interface Field {
  name: string;
  /** The file and the named declaration (type, interface, or message constant) it belongs to. */
  file: string;
  type: string;
}

/**
 * Every property name a payload of these files can carry: members of interfaces and type
 * literals at any depth (union and intersection members, arrays, tuples, Record/Partial keys),
 * the arguments and answers of define{Signal,Query,Update}<...>, and the inputs and results of
 * methods (activities). Method names are not payload fields and are skipped.
 */
function payloadFields(files: readonly string[]): Field[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
    // shared/ imports only itself and Temporal's definitions, which hold no payload: faster.
    noResolve: true,
  });
  const checker = program.getTypeChecker();
  const ours = new Set(files.map((f) => program.getSourceFile(f)));
  assert.ok(!ours.has(undefined), `the compiler did not read all of ${files.join(', ')}`);
  const isOurs = (node: ts.Node) => ours.has(node.getSourceFile());

  type Owner = Pick<Field, 'file' | 'type'>;
  const ownerOf = (node: ts.Node): Owner => {
    for (let at: ts.Node | undefined = node; at; at = at.parent) {
      if (
        (ts.isInterfaceDeclaration(at) ||
          ts.isTypeAliasDeclaration(at) ||
          ts.isVariableDeclaration(at) ||
          ts.isFunctionDeclaration(at)) &&
        at.name
      ) {
        return { file: relative(ROOT, at.getSourceFile().fileName), type: at.name.getText() };
      }
    }
    return { file: relative(ROOT, node.getSourceFile().fileName), type: '(top level)' };
  };

  const found = new Map<string, Field>();
  const seen = new Set<ts.Type>();
  const walk = (type: ts.Type, owner: Owner): void => {
    if (seen.has(type)) return;
    seen.add(type);
    // A named type of ours owns the keys it maps (Record<MailVariable, string> has no members).
    const named = (type.aliasSymbol ?? type.getSymbol())?.declarations?.find(
      (d) => isOurs(d) && (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d)),
    );
    if (named) owner = ownerOf(named);
    if (type.isUnionOrIntersection()) return type.types.forEach((t) => walk(t, owner));
    if (!(type.flags & ts.TypeFlags.Object)) return;
    const flags = (type as ts.ObjectType).objectFlags;
    const declarations = type.getSymbol()?.declarations ?? [];
    const foreign =
      !(flags & (ts.ObjectFlags.Anonymous | ts.ObjectFlags.Mapped)) &&
      declarations.length > 0 &&
      !declarations.some(isOurs);
    // Arrays, tuples, Promise<...>: only what they hold is ours.
    if (foreign || checker.isArrayType(type) || checker.isTupleType(type)) {
      if (flags & ts.ObjectFlags.Reference) {
        checker.getTypeArguments(type as ts.TypeReference).forEach((t) => walk(t, owner));
      }
      return;
    }
    for (const info of checker.getIndexInfosOfType(type)) walk(info.type, owner);
    for (const property of checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const propertyType = checker.getTypeOfSymbol(property);
      const signatures = propertyType.getCallSignatures();
      if (signatures.length > 0) {
        for (const signature of signatures) {
          for (const p of signature.getParameters()) walk(checker.getTypeOfSymbol(p), owner);
          walk(signature.getReturnType(), owner);
        }
        continue;
      }
      const where = declaration && isOurs(declaration) ? ownerOf(declaration) : owner;
      const field = { name: property.getName(), ...where };
      found.set(`${field.file} ${field.type} ${field.name}`, field);
      walk(propertyType, where);
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
      const symbol = checker.getSymbolAtLocation(node.name);
      if (symbol) walk(checker.getDeclaredTypeOfSymbol(symbol), ownerOf(node));
    } else if (ts.isTypeLiteralNode(node)) {
      walk(checker.getTypeFromTypeNode(node), ownerOf(node));
    } else if (ts.isCallExpression(node) && node.typeArguments) {
      // defineUpdate<Answer, [Argument]>('name'): both are payloads.
      for (const t of node.typeArguments) walk(checker.getTypeFromTypeNode(t), ownerOf(node));
    }
    ts.forEachChild(node, visit);
  };
  for (const file of ours) if (file) visit(file);
  return [...found.values()];
}

const sharedFiles = readdirSync(SHARED)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(SHARED, f));

test('every payload field in shared/ that looks secret is redacted or named as not secret', () => {
  const fields = payloadFields(sharedFiles);
  const names = new Set(fields.map((f) => f.name));
  // The walk reaches interfaces, Update arguments, activity inputs and mapped keys.
  for (const name of ['pin', 'confirmToken', 'tokenHash', 'pinHash', 'messageId', 'key_pairs']) {
    assert.ok(names.has(name), `the walker did not find "${name}" in shared/`);
  }
  const unexplained = fields
    .filter((f) => LOOKS_SECRET.test(f.name) && !isSecretField(f.name) && !(f.name in NOT_SECRET))
    .map((f) => `  "${f.name}" in ${f.type} (${f.file})`);
  assert.deepEqual(
    unexplained,
    [],
    `payload fields that look secret but are not redacted:\n${unexplained.join('\n')}\n` +
      'add each to SECRET_FIELDS in shared/secret-fields.ts, or to NOT_SECRET in ' +
      'test/unit/secret-fields.test.ts with the reason',
  );
  // No stale or needless excuses.
  for (const name of Object.keys(NOT_SECRET)) {
    assert.ok(names.has(name), `NOT_SECRET names "${name}", which no payload in shared/ has`);
    assert.ok(!isSecretField(name), `"${name}" is on both SECRET_FIELDS and NOT_SECRET`);
    assert.match(name, LOOKS_SECRET, `"${name}" does not look secret: drop it from NOT_SECRET`);
  }
});

test('the walker finds a field wherever a payload type can hold it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-fields-'));
  try {
    const file = join(dir, 'contract.ts');
    writeFileSync(
      file,
      `declare function defineUpdate<Answer, Args extends unknown[]>(name: string): unknown;
       export interface Input { plain: string; nested: { inner: { deep: string } }; list: { inList: string }[] }
       export type Choice = { kind: 'a'; inUnion: string } | ({ kind: 'b' } & { inIntersection: string });
       export type Mapped = Partial<Record<'mappedKey', number>>;
       export interface Activities { doIt(input: { inArgument: string }): Promise<{ inResult: string }> }
       export const update = defineUpdate<{ inAnswer: string }, [{ inUpdateArg: string }]>('u');`,
    );
    const found = payloadFields([file]).map((f) => `${f.type}.${f.name}`);
    for (const expected of [
      'Input.plain',
      'Input.deep',
      'Input.inList',
      'Choice.inUnion',
      'Choice.inIntersection',
      'Mapped.mappedKey',
      'Activities.inArgument',
      'Activities.inResult',
      'update.inAnswer',
      'update.inUpdateArg',
    ]) {
      assert.ok(found.includes(expected), `${expected} not found in ${found.join(', ')}`);
    }
    assert.ok(!found.includes('Activities.doIt'), 'a method name is not a payload field');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- a form request's confirmation: what the Web UI and the CLI show ---

type ConfirmArgument =
  typeof confirmRequestUpdate extends UpdateDefinition<unknown, infer Args> ? Args[0] : never;

const registrationRequestInput: RegistrationRequestInput = {
  requestId: '6f1c9a52-0b7e-4d8a-9c3e-2a4b5c6d7e8f',
  request: {
    kind: 'access',
    values: {
      ...(Object.fromEntries(REGISTER_FORM_COLUMNS.map((c) => [c, ''])) as Record<
        RegisterFormColumn,
        string
      >),
      firstName: 'Ada',
      email: 'ada@example.org',
    },
  },
  pinHash: 'a1b2c3-pin-hmac',
  confirmToken: '6f1c9a52-0b7e-4d8a-9c3e-2a4b5c6d7e8f.s3cret-part-of-the-link',
  confirmTokenHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  confirmWithinMs: 86_400_000,
  mailApprovers: true,
};
const confirmArgument: ConfirmArgument = { tokenHash: registrationRequestInput.confirmTokenHash };

test("redactSecrets hides registrationRequest's token, its hash and the PIN's HMAC", () => {
  assert.deepEqual(redactSecrets(registrationRequestInput), {
    ...registrationRequestInput,
    pinHash: REDACTED,
    confirmToken: REDACTED,
    confirmTokenHash: REDACTED,
  });
  assert.deepEqual(redactSecrets([confirmArgument]), [{ tokenHash: REDACTED }]);
});

test('the codec endpoint shows neither the hash in the input nor the confirm argument', async () => {
  const key = Buffer.alloc(32, 7);
  const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
  const encrypted = await new EncryptionCodec(key).encode([
    toPayload(registrationRequestInput),
    toPayload(confirmArgument),
  ]);
  const shown = (await createRedactingCodec(key).decode(encrypted)).map((p) =>
    JSON.stringify(defaultPayloadConverter.fromPayload(p)),
  );
  for (const text of shown) {
    assert.ok(!text.includes(registrationRequestInput.confirmTokenHash), text);
    assert.ok(!text.includes('s3cret-part-of-the-link'), text);
  }
  assert.match(shown[0]!, /"email":"ada@example.org"/, 'the rest stays readable');
});
