package gbnf

import (
	"errors"
	"fmt"
	"io"
)

// WriteCheck parses src with the default limits, the check every grammar goes through before
// sampling, and writes the verdict for people on w (`nash grammar check`): "NAME: ok: ..."
// with the grammar's measurements against the limits, or the error placed at
// "NAME:LINE:COL". A grammar naming tokens by text (<...>) gets a note: each must be one token
// of the model, which only the model can check. It returns the parse error.
func WriteCheck(w io.Writer, name, src string) error {
	g, err := Parse(src, Limits{})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Line > 0 {
			fmt.Fprintf(w, "%s:%d:%d: %s\n", name, e.Line, e.Col, e.Msg)
		} else {
			fmt.Fprintf(w, "%s: %v\n", name, err)
		}
		return err
	}
	st, lim := g.Stats(), DefaultLimits
	fmt.Fprintf(w, "%s: ok: %d rules, %d elements (limit %d), depth %d (limit %d), fanout %d (limit %d)\n",
		name, st.Rules, st.Elements, lim.Elements, st.Depth, lim.Depth, st.Fanout, lim.Fanout)
	if _, err := g.Rules(); err != nil {
		fmt.Fprintf(w, "%s: note: it names tokens by text (<...>); each must be one token of the model, which the daemon checks\n", name)
	}
	return nil
}
