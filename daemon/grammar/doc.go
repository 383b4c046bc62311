// Package grammar converts JSON Schemas (the subset OpenAI's response_format json_schema
// uses) into llama.cpp GBNF grammars, so constrained generation always yields JSON that
// validates against the schema.
//
// Supported: type (string, number, integer, boolean, null, object, array, or a list of
// them), properties (emitted in schema order), required, enum, const, nullable (OpenAPI
// style), anyOf/oneOf, items, minItems/maxItems, minLength/maxLength, additionalProperties
// (false or absent: only the listed properties; an object without properties is any JSON
// object). Numeric bounds (minimum, maximum), pattern, format and $ref are not enforced
// by the grammar: $ref and pattern are errors (so a caller never gets silently
// unconstrained output), the others are ignored.
//
// The generated rules follow llama.cpp's json-schema-to-grammar (common/json-schema-to-grammar.cpp):
// the same bounded whitespace rule (at most one newline and 20 indentation characters
// between tokens, so a model cannot loop on whitespace) and the same JSON string and number
// rules, except that fractions are bounded to 15 digits like the integer part and exponents
// to 2 digits, so every number the grammar allows fits a float64.
package grammar
