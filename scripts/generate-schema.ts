import { writeFile } from 'node:fs/promises';
import { MAPPING_SCHEMA_FILE, mappingJsonSchemaText } from '../src/config/json-schema.js';

// Writes schema/okr-progress.schema.json; run from the repository root (npm run schema).
await writeFile(MAPPING_SCHEMA_FILE, mappingJsonSchemaText());
console.log(`wrote ${MAPPING_SCHEMA_FILE}`);
