package cli

import (
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
)

// minColumnWidth is the narrowest a column is cut to when a table must fit
// the terminal. A table that cannot fit with every column at least this
// wide is shown one record at a time instead (the expanded layout).
const minColumnWidth = 8

const ellipsis = "…"

// ANSI styles, used only when colour is on.
const (
	styleBold  = "\x1b[1m"
	styleDim   = "\x1b[2m"
	styleRed   = "\x1b[31m"
	styleGreen = "\x1b[32m"
	styleYel   = "\x1b[33m"
	styleCyan  = "\x1b[36m"
	styleReset = "\x1b[0m"
)

// styled wraps s in an ANSI style when on is set.
func styled(on bool, style, s string) string {
	if !on || s == "" {
		return s
	}
	return style + s + styleReset
}

// table is a result laid out for the terminal.
type table struct {
	headers []string
	rows    [][]cell
	color   bool
	// width is the terminal width; 0 means unlimited (output to a file or
	// pipe keeps every character).
	width int
}

// render writes the table: aligned columns cut to the terminal width, or
// the expanded layout when even cut columns would not fit.
func (t *table) render(w io.Writer) error {
	n := len(t.headers)
	natural := make([]int, n)
	for i, h := range t.headers {
		natural[i] = runewidth.StringWidth(sanitize(h))
	}
	for _, row := range t.rows {
		for i := range row {
			if cw := runewidth.StringWidth(sanitize(row[i].text)); cw > natural[i] {
				natural[i] = cw
			}
		}
	}
	widths, ok := fitWidths(natural, t.width)
	if !ok {
		return t.renderExpanded(w)
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString(strings.TrimRight(" "+strings.Join(cells, " | "), " "))
		b.WriteByte('\n')
	}
	cells := make([]string, n)
	for i, h := range t.headers {
		cells[i] = styled(t.color, styleBold, pad(fit(sanitize(h), widths[i]), widths[i], false))
	}
	line(cells)
	for i := range cells {
		cells[i] = strings.Repeat("-", widths[i]+2)
	}
	b.WriteString(strings.Join(cells, "+"))
	b.WriteByte('\n')
	for _, row := range t.rows {
		for i := range cells {
			c := cell{}
			if i < len(row) {
				c = row[i]
			}
			text := pad(fit(sanitize(c.text), widths[i]), widths[i], c.numeric)
			if c.null {
				text = styled(t.color, styleDim, text)
			}
			cells[i] = text
		}
		line(cells)
		if b.Len() > 64<<10 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fitWidths chooses column widths that fit the total width: the widest
// columns are cut first, none below min(natural, minColumnWidth). ok is
// false when the columns cannot fit even so.
func fitWidths(natural []int, total int) ([]int, bool) {
	n := len(natural)
	if total <= 0 || n == 0 {
		return natural, true
	}
	// A line is a space, the cells with " | " between them and a space
	// (the separator line fills that last space too).
	avail := total - 3*n + 1
	floor := make([]int, n)
	sum, floorSum := 0, 0
	for i, w := range natural {
		floor[i] = min(w, minColumnWidth)
		sum += w
		floorSum += floor[i]
	}
	if sum <= avail {
		return natural, true
	}
	if floorSum > avail {
		return nil, false
	}
	// The largest cap such that every column cut to it (but not below its
	// floor) fits.
	maxW := 0
	for _, w := range natural {
		maxW = max(maxW, w)
	}
	capped := func(c int) (int, []int) {
		out := make([]int, n)
		s := 0
		for i, w := range natural {
			out[i] = max(min(w, c), floor[i])
			s += out[i]
		}
		return s, out
	}
	c := sort.Search(maxW+1, func(c int) bool { s, _ := capped(c); return s > avail }) - 1
	s, out := capped(c)
	// Hand the columns that the cap cut the space left over.
	for i := range out {
		if s >= avail {
			break
		}
		if out[i] < natural[i] {
			add := min(natural[i]-out[i], avail-s)
			out[i] += add
			s += add
		}
	}
	return out, true
}

// fit cuts s to at most w columns, marking the cut with an ellipsis.
func fit(s string, w int) string {
	if runewidth.StringWidth(s) <= w {
		return s
	}
	return runewidth.Truncate(s, w, ellipsis)
}

// pad pads s with spaces to w columns, on the left when right is set.
func pad(s string, w int, right bool) string {
	gap := w - runewidth.StringWidth(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// renderExpanded writes one block per record, a line per column, values
// wrapped to the terminal width (psql's expanded display).
func (t *table) renderExpanded(w io.Writer) error {
	label := 0
	for _, h := range t.headers {
		label = max(label, runewidth.StringWidth(sanitize(h)))
	}
	if t.width > 0 {
		label = min(label, max(t.width/3, minColumnWidth))
	}
	valueWidth := 0
	if t.width > 0 {
		valueWidth = max(t.width-label-3, minColumnWidth)
	}
	var b strings.Builder
	for r, row := range t.rows {
		head := "-[ RECORD " + strconv.Itoa(r+1) + " ]"
		if t.width > 0 {
			head += strings.Repeat("-", max(t.width-runewidth.StringWidth(head), 0))
		}
		b.WriteString(styled(t.color, styleBold, head))
		b.WriteByte('\n')
		for i, h := range t.headers {
			c := cell{}
			if i < len(row) {
				c = row[i]
			}
			lines := wrapText(c.text, valueWidth)
			name := styled(t.color, styleBold, pad(fit(sanitize(h), label), label, false))
			for j, l := range lines {
				if c.null {
					l = styled(t.color, styleDim, l)
				}
				if j == 0 {
					b.WriteString(strings.TrimRight(name+" | "+l, " "))
				} else {
					b.WriteString(strings.TrimRight(strings.Repeat(" ", label)+" | "+l, " "))
				}
				b.WriteByte('\n')
			}
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		b.Reset()
	}
	return nil
}

// wrapText splits s at its line breaks and then every width columns
// (width 0: no limit), each piece sanitized.
func wrapText(s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		para = sanitize(para)
		if width <= 0 || runewidth.StringWidth(para) <= width {
			out = append(out, para)
			continue
		}
		var cur strings.Builder
		cw := 0
		for _, r := range para {
			rw := runewidth.RuneWidth(r)
			if cw+rw > width && cw > 0 {
				out = append(out, cur.String())
				cur.Reset()
				cw = 0
			}
			cur.WriteRune(r)
			cw += rw
		}
		out = append(out, cur.String())
	}
	return out
}
