export type * from './analyzer/types.js';
