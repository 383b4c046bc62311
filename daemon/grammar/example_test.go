package grammar_test

import (
	"fmt"
	"strings"

	"github.com/nashd/nashd/daemon/grammar"
)

func ExampleFromJSONSchema() {
	g, err := grammar.FromJSONSchema([]byte(`{
		"type": "object",
		"properties": {"action": {"enum": ["cooperate", "defect"]}},
		"required": ["action"]
	}`))
	if err != nil {
		panic(err)
	}
	// The first lines are the schema's rules; the shared JSON rules follow.
	for _, line := range strings.Split(g, "\n")[:3] {
		fmt.Println(line)
	}
	// Output:
	// root ::= s-root-object
	// s-root-action-kv ::= "\"action\"" ws ":" ws ( "\"cooperate\"" | "\"defect\"" )
	// s-root-object ::= "{" ws s-root-action-kv ws "}"
}
