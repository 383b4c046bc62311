package client

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
)

// maxEvent bounds one server-sent event (a GTAlign or game result with its transcript).
const maxEvent = 64 << 20

// readSSE reads the "data: " lines of a server-sent event stream and passes each payload to
// onData until "data: [DONE]" (nil) or an error from onData (returned). A stream that ends without [DONE] is an error naming what (e.g. "game stream"); one
// cut by ctx returns ctx.Err().
func readSSE(ctx context.Context, body io.Reader, what string, onData func(data string) error) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), maxEvent)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			return nil
		}
		if err := onData(data); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return fmt.Errorf("%s ended without [DONE]", what)
}
