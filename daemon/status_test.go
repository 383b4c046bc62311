package daemon

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference/engine/threadctl"
)

// fill sets every encoded field of v (a pointer) to a value other than its zero value, so a
// field the wire type lacks shows up in the JSON.
func fill(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1_700_000_000, 5).UTC()))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() && f.Tag.Get("json") != "-" {
				fill(t, v.Field(i))
			}
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		v.SetUint(4)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0))
	default:
		t.Fatalf("fill: unhandled kind %s", v.Kind())
	}
}

// TestModelStatusWire: the wire form of the model manager's status carries every field it
// encodes, under the same names.
func TestModelStatusWire(t *testing.T) {
	var st modelmgr.Status
	fill(t, reflect.ValueOf(&st).Elem())
	want, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(modelStatus(st))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("wire status\n%s\nmodel manager's\n%s", got, want)
	}
}

// TestThreadsStatusWire: every statistic of the thread controllers reaches the wire status
// under the same name (Hold as HoldMS).
func TestThreadsStatusWire(t *testing.T) {
	var r threadctl.Report
	fill(t, reflect.ValueOf(&r).Elem())
	r.Batch.Steps = 7 // tell the two kinds apart
	st := modelmgr.Status{Serving: &modelmgr.ModelStatus{Threads: &r}}
	w := modelStatus(st).Serving.Threads
	if w == nil || w.Poll != r.Poll {
		t.Fatalf("wire threads %+v, want poll %d", w, r.Poll)
	}
	for _, k := range []struct {
		from threadctl.Stats
		to   api.ThreadCount
	}{{r.Generation, w.Generation}, {r.Batch, w.Batch}} {
		fv, tv := reflect.ValueOf(k.from), reflect.ValueOf(k.to)
		for i := range fv.NumField() {
			name := fv.Type().Field(i).Name
			got := tv.FieldByName(name)
			if name == "Hold" {
				if k.to.HoldMS != float64(k.from.Hold)/1e6 {
					t.Errorf("HoldMS = %v, want %v", k.to.HoldMS, float64(k.from.Hold)/1e6)
				}
				continue
			}
			if !got.IsValid() || !reflect.DeepEqual(got.Interface(), fv.Field(i).Interface()) {
				t.Errorf("ThreadCount.%s = %v, want %v", name, got, fv.Field(i).Interface())
			}
		}
	}
}
