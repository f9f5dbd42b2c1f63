import { z } from 'zod';

// The GraphQL query of the `project` source, and the shape of its answer. Projects have no
// REST listing: items are read 100 to a page, each with only the field values the target
// needs, by name (aliased `fieldValueByName`, which costs nothing extra). The first page also
// brings the project's fields, so that the names in the mapping file are checked against them.

export const PROJECT_PAGE_SIZE = 100;
/** Labels read per issue or pull request, when the target narrows by labels; an item with more fails the target. */
export const LABELS_PER_ITEM = 25;

export interface ProjectQueryOptions {
  /** The first page: with the project's title, address and fields. */
  first: boolean;
  iteration: boolean;
  estimate: boolean;
  labels: boolean;
}

/** The query for one page of a project's items; variables: owner, number, after, and the field names. */
export function projectQuery(options: ProjectQueryOptions): string {
  const declarations = ['$owner: String!', '$number: Int!', '$after: String', '$status: String!'];
  const values = ['status: fieldValueByName(name: $status) { ... on ProjectV2ItemFieldSingleSelectValue { name updatedAt } }'];
  if (options.iteration) {
    declarations.push('$iteration: String!');
    values.push('iteration: fieldValueByName(name: $iteration) { ... on ProjectV2ItemFieldIterationValue { iterationId title } }');
  }
  if (options.estimate) {
    declarations.push('$estimate: String!');
    values.push('estimate: fieldValueByName(name: $estimate) { ... on ProjectV2ItemFieldNumberValue { number } }');
  }
  const labels = options.labels ? ` labels(first: ${LABELS_PER_ITEM}) { totalCount nodes { name } }` : '';
  const common = `number title url createdAt updatedAt closedAt author { __typename login } repository { nameWithOwner } milestone { number title }${labels}`;
  const iteration = '{ id title startDate duration }';
  const fields = options.first
    ? `
  title
  url
  fields(first: 100) {
    totalCount
    nodes {
      __typename
      ... on ProjectV2FieldCommon { name dataType }
      ... on ProjectV2SingleSelectField { options { name } }
      ... on ProjectV2IterationField { configuration { iterations ${iteration} completedIterations ${iteration} } }
    }
  }`
    : '';
  return `query (${declarations.join(', ')}) {
  repositoryOwner(login: $owner) {
    __typename
    ... on Organization { projectV2(number: $number) { ...page } }
    ... on User { projectV2(number: $number) { ...page } }
  }
  rateLimit { cost remaining }
}
fragment page on ProjectV2 {${fields}
  items(first: ${PROJECT_PAGE_SIZE}, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      type
      isArchived
      ${values.join('\n      ')}
      content {
        __typename
        ... on DraftIssue { title createdAt updatedAt creator { __typename login } }
        ... on Issue { ${common} state stateReason(enableDuplicate: true) }
        ... on PullRequest { ${common} pullState: state mergedAt }
      }
    }
  }
}`;
}

const Actor = z.object({ __typename: z.string(), login: z.string() }).nullable();
const Labels = z.object({ totalCount: z.number().int(), nodes: z.array(z.object({ name: z.string() })) }).optional();
const Common = {
  number: z.number().int().positive(),
  title: z.string(),
  url: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
  author: Actor,
  repository: z.object({ nameWithOwner: z.string() }),
  milestone: z.object({ number: z.number().int(), title: z.string() }).nullable(),
  labels: Labels,
};

const Content = z.discriminatedUnion('__typename', [
  z.object({ __typename: z.literal('DraftIssue'), title: z.string(), createdAt: z.string(), updatedAt: z.string(), creator: Actor }),
  z.object({
    __typename: z.literal('Issue'),
    ...Common,
    state: z.enum(['OPEN', 'CLOSED']),
    stateReason: z.enum(['COMPLETED', 'NOT_PLANNED', 'DUPLICATE', 'REOPENED']).nullable(),
  }),
  // Aliased: Issue's and PullRequest's `state` are different enums, which one selection may not merge.
  z.object({ __typename: z.literal('PullRequest'), ...Common, pullState: z.enum(['OPEN', 'CLOSED', 'MERGED']), mergedAt: z.string().nullable() }),
]);
export type ProjectItemContent = z.infer<typeof Content>;

// A value of another kind of field (when a name points at one) reads as an empty object.
const StatusValue = z.object({ name: z.string().nullable().optional(), updatedAt: z.string().optional() }).nullable();
const IterationValue = z.object({ iterationId: z.string().optional(), title: z.string().optional() }).nullable().optional();
const EstimateValue = z.object({ number: z.number().nullable().optional() }).nullable().optional();

const ProjectItem = z.object({
  type: z.enum(['ISSUE', 'PULL_REQUEST', 'DRAFT_ISSUE', 'REDACTED']),
  isArchived: z.boolean(),
  status: StatusValue,
  iteration: IterationValue,
  estimate: EstimateValue,
  content: Content.nullable(),
});
export type ProjectItem = z.infer<typeof ProjectItem>;

const Iteration = z.object({ id: z.string(), title: z.string(), startDate: z.string(), duration: z.number().int() });
export type ProjectIteration = z.infer<typeof Iteration>;

const Field = z.object({
  __typename: z.string(),
  name: z.string(),
  dataType: z.string(),
  options: z.array(z.object({ name: z.string() })).optional(),
  configuration: z.object({ iterations: z.array(Iteration), completedIterations: z.array(Iteration) }).optional(),
});
export type ProjectField = z.infer<typeof Field>;

const Project = z.object({
  title: z.string().optional(),
  url: z.string().optional(),
  fields: z.object({ totalCount: z.number().int(), nodes: z.array(Field) }).optional(),
  items: z.object({
    totalCount: z.number().int().nonnegative(),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
    nodes: z.array(ProjectItem),
  }),
});
export type ProjectPage = z.infer<typeof Project>;

export const ProjectAnswer = z.object({
  repositoryOwner: z.object({ __typename: z.string(), projectV2: Project.nullable().optional() }).nullable(),
  rateLimit: z.object({ cost: z.number(), remaining: z.number() }),
});
