import { z } from 'zod';
import { MappingFileSchema, TargetSchema } from './schema.js';

// The JSON Schema of the mapping file, generated from the schema the action validates with,
// so that editors complete and check the file (contract: "The mapping file").

/** Where the committed schema is published; the `# yaml-language-server: $schema=` line points here. */
export const MAPPING_SCHEMA_URL = 'https://raw.githubusercontent.com/org/okr-progress-action/v1/schema/okr-progress.schema.json';

/** The committed file, relative to the repository root. */
export const MAPPING_SCHEMA_FILE = 'schema/okr-progress.schema.json';

export function mappingJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(MappingFileSchema, {
    // What a user may write, not what validation turns it into.
    io: 'input',
    // Unquoted ids are read as big integers; in JSON Schema they are plain integers.
    unrepresentable: ({ zodSchema }) => (zodSchema._zod.def.type === 'bigint' ? { type: 'integer', minimum: 0 } : 'throw'),
    override: ({ zodSchema, jsonSchema }) => {
      // The rules that relate several keys of a target, as far as JSON Schema can say them.
      if (zodSchema === TargetSchema) {
        jsonSchema.oneOf = [{ required: ['key_result'] }, { required: ['objective'] }];
        jsonSchema.anyOf = [{ required: ['milestone'] }, { required: ['labels'] }, { required: ['project'] }, { required: ['query'] }, { required: ['metric'] }];
      }
    },
  });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: MAPPING_SCHEMA_URL,
    title: 'okr-progress-action mapping file',
    description: 'Links GitHub milestones and labels to Feishu / Lark OKR objectives and key results.',
    ...rest,
  };
}

/** The schema as the committed file holds it: pretty JSON with a final newline. */
export function mappingJsonSchemaText(): string {
  return `${JSON.stringify(mappingJsonSchema(), null, 2)}\n`;
}
