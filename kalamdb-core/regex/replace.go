package regex

import "strings"

// Replacement is the replacement text of regexp_replace, read once in
// PostgreSQL's syntax: \1 to \9 insert a group (nothing when the pattern
// has no such group or it took no part in the match), \& the whole match,
// \\ a backslash; a backslash before anything else, or last, is itself.
//
// It is read once into literal texts and runs of group references, so
// that what one match costs does not grow with the replacement's length
// beyond what the match writes:
//   - measuring a match's expansion (Len) takes a step per group:
//     regexp_replace measures every match before it builds its result,
//     and walking a replacement of a million \1 once per match of an
//     empty pattern was a million steps a match for no output at all;
//   - writing it (AppendTo) takes a step per literal text and per group
//     reference that writes something, and at most longRun steps per run
//     of references that writes nothing: a run of references to groups
//     that are all empty in this match is skipped, and a long run that
//     mixes empty and non-empty groups visits only the non-empty ones'
//     references.
type Replacement struct {
	parts []replacementPart
	// lit is the length of the literal text of one expansion; refs[g]
	// how many times group g (0: the match) is inserted.
	lit  int64
	refs [10]int64
}

// replacementPart is a literal text, or (run not empty) a run of group
// references with no literal text between them.
type replacementPart struct {
	lit string
	// run is the groups referred to, in order; groups the set of them
	// (bit g for group g).
	run    []uint8
	groups uint16
	// at, for a run of at least longRun references to more than one
	// group, is where in run each group is referred to.
	at *[10][]int32
}

// longRun is the length from which a run of references to several
// groups records where each is, so that writing it can skip the
// references to empty groups.
const longRun = 16

// ParseReplacement reads repl. Its literal texts are parts of repl, not
// copies (a replacement may be a large parameter).
func ParseReplacement(repl string) *Replacement {
	r := &Replacement{}
	var run []uint8
	// repl[lit:i] is literal text not yet added.
	lit := 0
	flushLit := func(end int) {
		if end > lit {
			r.parts = append(r.parts, replacementPart{lit: repl[lit:end]})
			r.lit += int64(end - lit)
		}
	}
	flushRun := func() {
		if len(run) > 0 {
			r.parts = append(r.parts, newRun(run))
			run = nil
		}
	}
	for i := 0; i < len(repl); i++ {
		if repl[i] != '\\' || i+1 == len(repl) {
			if i == lit {
				flushRun()
			}
			continue
		}
		switch d := repl[i+1]; {
		case d >= '1' && d <= '9', d == '&':
			g := uint8(0)
			if d != '&' {
				g = d - '0'
			}
			flushLit(i)
			run = append(run, g)
			r.refs[g]++
			i++
			lit = i + 1
		case d == '\\':
			// One backslash: the first, kept with the text before it.
			if i == lit {
				flushRun()
			}
			flushLit(i + 1)
			i++
			lit = i + 1
		default:
			// The backslash is kept, and the next character read as
			// usual (PostgreSQL's "\x" is "\x").
			if i == lit {
				flushRun()
			}
		}
	}
	flushLit(len(repl))
	flushRun()
	return r
}

func newRun(run []uint8) replacementPart {
	p := replacementPart{run: run}
	for _, g := range run {
		p.groups |= 1 << g
	}
	if len(run) >= longRun && p.groups&(p.groups-1) != 0 {
		p.at = new([10][]int32)
		for i, g := range run {
			p.at[g] = append(p.at[g], int32(i))
		}
	}
	return p
}

// Len is the length in bytes of the expansion for the match at loc (as
// Each gives it).
func (r *Replacement) Len(loc []int) int64 {
	n := r.lit
	for g, k := range r.refs {
		if k > 0 && 2*g+1 < len(loc) && loc[2*g] >= 0 {
			n += k * int64(loc[2*g+1]-loc[2*g])
		}
	}
	return n
}

// AppendTo writes the expansion for the match at loc in text to b.
func (r *Replacement) AppendTo(b *strings.Builder, text string, loc []int) {
	// written is the set of groups that write something.
	var written uint16
	for g := 0; 2*g+1 < len(loc) && g < 10; g++ {
		if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
			written |= 1 << g
		}
	}
	group := func(g uint8) string { return text[loc[2*g]:loc[2*g+1]] }
	for _, p := range r.parts {
		switch active := p.groups & written; {
		case p.run == nil:
			b.WriteString(p.lit)
		case active == 0:
		case active == p.groups || p.at == nil:
			for _, g := range p.run {
				if active&(1<<g) != 0 {
					b.WriteString(group(g))
				}
			}
		default:
			// Merge the positions of the groups that write something.
			var next [10]int
			for {
				best := -1
				for g := range uint8(10) {
					if active&(1<<g) != 0 && next[g] < len(p.at[g]) && (best < 0 || p.at[g][next[g]] < p.at[best][next[best]]) {
						best = int(g)
					}
				}
				if best < 0 {
					break
				}
				b.WriteString(group(uint8(best)))
				next[best]++
			}
		}
	}
}
