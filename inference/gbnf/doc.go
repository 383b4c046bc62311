// Package gbnf checks GBNF grammars, llama.cpp's grammar format, before llama.cpp sees them.
//
// llama.cpp parses and runs a grammar with recursive C++ functions and no bounds. A grammar a
// user sends can therefore crash or stall the whole daemon, not just its own request:
//
//   - parse_alternates recurses once per nested group: 20,000 nested parentheses overflow the
//     thread's stack (SIGSEGV);
//   - llama_grammar_detect_left_recursion and llama_grammar_advance_stack recurse once per rule
//     reference reached without consuming input: a chain of 100,000 rules `rN ::= rN+1` overflows;
//   - both enumerate every path through such references without memoisation: 20 rules
//     `rN ::= rN+1 | rN+1 "x"` take minutes (2^20 paths) before the first token;
//   - the left-recursion check counts a rule as possibly empty only if one of its alternatives is
//     written empty, so `root ::= a root | "x"` with `a ::= b` and `b ::= ""` passes the check and
//     then recurses forever;
//   - repetition is expanded in memory (`S{m,n}` copies S n times), so nested `{2000}` counts
//     multiply into billions of elements.
//
// [Parse] mirrors llama.cpp's parser (src/llama-grammar.cpp, llama_grammar_parser, as vendored in
// ollama v0.17.4) byte for byte, so that within the limits it accepts exactly the grammars
// llama.cpp accepts, and reports errors with a line and column ([SyntaxError]) where llama.cpp
// only prints to stderr. It then checks what llama.cpp does not: left recursion through rules
// that can derive the empty string, and the [Limits] on size, nesting, reference-chain depth and
// the number of parse stacks one step can create ([LimitError]).
//
// The package is pure Go and allocates at most a small multiple of the grammar's expanded size,
// which the limits bound.
package gbnf
