// Everything a run needs once its inputs are read and its mapping file is found: the zod
// schemas, yaml, octokit and the Feishu client. main.ts loads this module with import() only
// then, so that a run that stops earlier starts about as fast as @actions/core alone.

export { burnUpChart } from './chart/index.js';
export { parseMappingDocument, pathText } from './config/load.js';
export { resolveTargets } from './config/resolve.js';
export { checkBaseUrl, FeishuClient } from './feishu/client.js';
export { FeishuStoppedError } from './feishu/errors.js';
export { Collector, SelectionError } from './github/collect.js';
export { createOctokit } from './github/octokit.js';
export { findEarlierRecords, publishRecord } from './publish.js';
export { buildRecordRequest, measureWords } from './record/content.js';
export { renderRecord } from './record/render.js';
export { selectTargets } from './sources/index.js';
