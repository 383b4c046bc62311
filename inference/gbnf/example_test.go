package gbnf_test

import (
	"fmt"
	"strings"

	"github.com/nashd/nashd/inference/gbnf"
)

func ExampleParse() {
	g, err := gbnf.Parse(`root ::= "move: " ("C" | "D") [0-9]{1,2}`, gbnf.Limits{})
	fmt.Printf("%+v %v\n", g.Stats(), err)

	_, err = gbnf.Parse("root ::= answer\nanswer ::= [A-Z", gbnf.Limits{})
	fmt.Println(err)

	// 20,000 nested groups overflow llama.cpp's parser.
	_, err = gbnf.Parse("root ::= "+strings.Repeat("(", 20000)+`"x"`+strings.Repeat(")", 20000), gbnf.Limits{})
	fmt.Println(err)
	// Output:
	// {Rules:3 Elements:19 Depth:3 Fanout:2} <nil>
	// grammar line 2 column 12: unterminated character set
	// grammar line 1 column 266: groups nested more than 256 deep
}
