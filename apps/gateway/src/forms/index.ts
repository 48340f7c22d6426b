/**
 * DIGITS' form semantics as the gateway reads them (contract §1.3–1.4, §6–§8, §10): the field
 * specs and parsers of every create form, their field help, and the inference image lists. Only
 * the gateway parses forms; what a parsed form becomes (the job payloads) is in contracts.
 */
export * from './form.ts';
export * from './dataset-form.ts';
export * from './prebuilt-dataset-form.ts';
export * from './generic-dataset-form.ts';
export * from './model-form.ts';
export * from './field-help.ts';
export * from './inference-list.ts';
export * from './inference-form.ts';
export * from './pretrained-form.ts';
