package experiment

import (
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart is a grouped bar chart of a summary: one group of bars per category, one bar per
// series in each.
type Chart struct {
	// Name is the file name without extension (NAME.png and NAME.svg).
	Name       string
	Title      string
	YLabel     string
	Categories []string
	Series     []Series
	// YMax fixes the top of the y axis (0: automatic).
	YMax float64
}

// Series is one bar of every group; NaN values draw no bar.
type Series struct {
	Name   string
	Values []float64
}

// save writes the chart as dir/NAME.png and dir/NAME.svg.
func (c *Chart) save(dir string) error {
	p := plot.New()
	p.Title.Text = c.Title
	p.Y.Label.Text = c.YLabel
	n := len(c.Series)
	cats := max(len(c.Categories), 1)
	wcm := math.Min(40, math.Max(16, 0.45*float64(cats*max(n, 1))+6))
	w := vg.Length(wcm) * vg.Centimeter
	// The bars of a group fill about 70% of a category's share of the plot's width.
	width := (w - 3*vg.Centimeter) * 0.7 / vg.Length(cats*max(n, 1))
	ymin, ymax := 0.0, c.YMax
	for i, s := range c.Series {
		vals := make(plotter.Values, len(s.Values))
		for k, v := range s.Values {
			if !math.IsNaN(v) {
				vals[k] = v
				ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return fmt.Errorf("experiment: plot %s: %w", c.Name, err)
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(i)
		bars.Offset = vg.Length(float64(i)-float64(n-1)/2) * width
		p.Add(bars)
		p.Legend.Add(s.Name, bars)
	}
	if ymax == ymin {
		ymax = ymin + 1
	}
	p.Y.Min, p.Y.Max = ymin, ymax*1.05
	p.Legend.Top = true
	p.Legend.Left = false
	p.NominalX(c.Categories...)
	if len(c.Categories) > 4 {
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	p.Add(plotter.NewGrid())
	for _, ext := range []string{".png", ".svg"} {
		if err := p.Save(w, vg.Length(math.Max(10, 0.4*wcm))*vg.Centimeter, filepath.Join(dir, c.Name+ext)); err != nil {
			return fmt.Errorf("experiment: plot %s: %w", c.Name, err)
		}
	}
	return nil
}
